// hlsgen layer library: io_stream plumbing generated into the network top.
//
// read_tensor / write_tensor move a whole tensor between a stream of pixels
// (nnet::array<T, C> per element) and a flat array, for layers that have no streaming
// kernel of their own; clone_stream copies a stream to several consumers (a tensor that
// feeds more than one layer).
#ifndef NNET_STREAM_H_
#define NNET_STREAM_H_

#include "hls_stream.h"
#include "nnet_array.h"

namespace nnet {

template <class A, class T, unsigned N>
void read_tensor(hls::stream<A>& in, T out[N]) {
    for (unsigned p = 0; p < N / A::size; p++) {
        #pragma HLS PIPELINE
        A a = in.read();
        for (unsigned c = 0; c < A::size; c++) {
            #pragma HLS UNROLL
            out[p * A::size + c] = a[c];
        }
    }
}

template <class T, class A, unsigned N>
void write_tensor(const T in[N], hls::stream<A>& out) {
    for (unsigned p = 0; p < N / A::size; p++) {
        #pragma HLS PIPELINE
        A a;
        for (unsigned c = 0; c < A::size; c++) {
            #pragma HLS UNROLL
            a[c] = in[p * A::size + c];
        }
        out.write(a);
    }
}

template <class A, unsigned COUNT>
void copy_stream(hls::stream<A>& in, hls::stream<A>& out) {
    for (unsigned p = 0; p < COUNT; p++) {
        #pragma HLS PIPELINE
        out.write(in.read());
    }
}

template <class A, unsigned COUNT>
void clone_stream(hls::stream<A>& in, hls::stream<A>& o1, hls::stream<A>& o2) {
    for (unsigned p = 0; p < COUNT; p++) {
        #pragma HLS PIPELINE
        A a = in.read();
        o1.write(a);
        o2.write(a);
    }
}

template <class A, unsigned COUNT>
void clone_stream(hls::stream<A>& in, hls::stream<A>& o1, hls::stream<A>& o2, hls::stream<A>& o3) {
    for (unsigned p = 0; p < COUNT; p++) {
        #pragma HLS PIPELINE
        A a = in.read();
        o1.write(a);
        o2.write(a);
        o3.write(a);
    }
}

} // namespace nnet

#endif
