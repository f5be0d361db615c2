// hlsgen layer library: io_stream plumbing generated into the network top.
//
// read_tensor / write_tensor move a whole tensor between a stream of pixels
// (nnet::array<T, C> per element) and a flat array, for layers that have no streaming
// kernel of their own; copy_stream moves a stream to another (a model input that is
// also an output).  A clone to several consumers is generated per tensor (stream.py).
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

} // namespace nnet

#endif
