// hlsgen layer library: element-wise merges of two tensors and concatenation.
//
// ---------------------------------------------------------------------------------
// Signatures (io_parallel flat arrays; io_stream one nnet::array<T, C> per pixel):
//   nnet::merge<in0_T, in1_T, res_T, CONFIG_T>(const in0_T a[n_elem], const in1_T b[n_elem], res_T res[n_elem]);
//   nnet::concatenate<in0_T, in1_T, res_T, CONFIG_T>(const in0_T a[n_outer*n_inner0],
//        const in1_T b[n_outer*n_inner1], res_T res[n_outer*(n_inner0+n_inner1)]);
//   nnet::merge_stream<in0_array_T, in1_array_T, out_array_T, CONFIG_T>(hls::stream<in0_array_T>& a,
//        hls::stream<in1_array_T>& b, hls::stream<out_array_T>& res);      // n_elem / C elements each
//   nnet::concatenate_stream<in0_array_T, in1_array_T, out_array_T, CONFIG_T>(a, b, res);
// merge_config: n_elem, op (merge_add, merge_subtract, merge_multiply, merge_average,
// merge_maximum, merge_minimum).  concat_config: n_outer, n_inner0, n_inner1 (the flat
// tensors seen as (n_outer, n_inner) around the concatenation axis), channel_axis
// (1 when concatenating the last axis: each output pixel joins one pixel of a and of b).
//
// Arithmetic: every operation is exact in ap_fixed's result-type rules (a + b, a - b,
// a * b, (a + b) * 0.5 with 0.5 an ap_ufixed<1,0>, comparisons), then one cast to res_T.
//
// io_stream FIFOs: merge_stream reads one element of a and one of b per output element,
// so the two input FIFOs must together cover the lag between the branches (see
// nnet_conv.h for convolution lags).  concatenate_stream along the channel axis does the
// same; along another axis it reads n_inner0 / C pixels of a, then n_inner1 / C of b, per
// outer index: b's FIFO must hold up to n_inner1 / C pixels (a whole tensor when
// concatenating along the first axis).
// ---------------------------------------------------------------------------------
#ifndef NNET_MERGE_H_
#define NNET_MERGE_H_

#include "nnet_array.h"
#include "nnet_common.h"

namespace nnet {

enum merge_op_t {
    merge_add = 0, merge_subtract = 1, merge_multiply = 2, merge_average = 3, merge_maximum = 4, merge_minimum = 5
};

struct merge_config {
    static const unsigned n_elem = 1;
    static const unsigned op = merge_add;
};

struct concat_config {
    static const unsigned n_outer = 1, n_inner0 = 1, n_inner1 = 1;
    static const unsigned channel_axis = 1;
};

template <class in0_T, class in1_T, class res_T, unsigned OP> struct merge_op {
    static inline res_T run(const in0_T& a, const in1_T& b) {
        #pragma HLS INLINE
        if (OP == merge_add) return (res_T)(a + b);
        if (OP == merge_subtract) return (res_T)(a - b);
        if (OP == merge_multiply) return (res_T)(a * b);
        if (OP == merge_average) {
            const ap_ufixed<1, 0> half = 0.5;
            return (res_T)((a + b) * half);
        }
        if (OP == merge_maximum) return a > b ? (res_T)a : (res_T)b;
        return a < b ? (res_T)a : (res_T)b;
    }
};

template <class in0_T, class in1_T, class res_T, typename CONFIG_T>
void merge(const in0_T a[CONFIG_T::n_elem], const in1_T b[CONFIG_T::n_elem], res_T res[CONFIG_T::n_elem]) {
    for (unsigned i = 0; i < CONFIG_T::n_elem; i++) {
        #pragma HLS UNROLL
        res[i] = merge_op<in0_T, in1_T, res_T, CONFIG_T::op>::run(a[i], b[i]);
    }
}

template <class in0_T, class in1_T, class res_T, typename CONFIG_T>
void concatenate(const in0_T a[CONFIG_T::n_outer * CONFIG_T::n_inner0],
                 const in1_T b[CONFIG_T::n_outer * CONFIG_T::n_inner1],
                 res_T res[CONFIG_T::n_outer * (CONFIG_T::n_inner0 + CONFIG_T::n_inner1)]) {
    const unsigned N = CONFIG_T::n_inner0 + CONFIG_T::n_inner1;
    for (unsigned o = 0; o < CONFIG_T::n_outer; o++) {
        #pragma HLS UNROLL
        for (unsigned i = 0; i < CONFIG_T::n_inner0; i++) {
            #pragma HLS UNROLL
            res[o * N + i] = (res_T)a[o * CONFIG_T::n_inner0 + i];
        }
        for (unsigned i = 0; i < CONFIG_T::n_inner1; i++) {
            #pragma HLS UNROLL
            res[o * N + CONFIG_T::n_inner0 + i] = (res_T)b[o * CONFIG_T::n_inner1 + i];
        }
    }
}

#if NNET_HAVE_STREAM

template <class in0_T, class in1_T, class res_T, typename CONFIG_T>
void merge_stream(hls::stream<in0_T>& a, hls::stream<in1_T>& b, hls::stream<res_T>& res) {
    const unsigned C = res_T::size;
    for (unsigned p = 0; p < CONFIG_T::n_elem / C; p++) {
        #pragma HLS PIPELINE
        const in0_T x = a.read();
        const in1_T y = b.read();
        res_T o;
        for (unsigned c = 0; c < C; c++) {
            #pragma HLS UNROLL
            o[c] = merge_op<typename in0_T::value_type, typename in1_T::value_type, typename res_T::value_type,
                            CONFIG_T::op>::run(x[c], y[c]);
        }
        res.write(o);
    }
}

template <class in0_T, class in1_T, class res_T, typename CONFIG_T>
void concatenate_stream(hls::stream<in0_T>& a, hls::stream<in1_T>& b, hls::stream<res_T>& res) {
    typedef typename res_T::value_type out_t;
    if (CONFIG_T::channel_axis) {
        for (unsigned p = 0; p < CONFIG_T::n_outer; p++) {
            #pragma HLS PIPELINE
            const in0_T x = a.read();
            const in1_T y = b.read();
            res_T o;
            for (unsigned c = 0; c < in0_T::size; c++) {
                #pragma HLS UNROLL
                o[c] = (out_t)x[c];
            }
            for (unsigned c = 0; c < in1_T::size; c++) {
                #pragma HLS UNROLL
                o[in0_T::size + c] = (out_t)y[c];
            }
            res.write(o);
        }
    } else {
        for (unsigned p = 0; p < CONFIG_T::n_outer; p++) {
            for (unsigned i = 0; i < CONFIG_T::n_inner0 / in0_T::size; i++) {
                #pragma HLS PIPELINE
                const in0_T x = a.read();
                res_T o;
                for (unsigned c = 0; c < res_T::size; c++) {
                    #pragma HLS UNROLL
                    o[c] = (out_t)x[c];
                }
                res.write(o);
            }
            for (unsigned i = 0; i < CONFIG_T::n_inner1 / in1_T::size; i++) {
                #pragma HLS PIPELINE
                const in1_T y = b.read();
                res_T o;
                for (unsigned c = 0; c < res_T::size; c++) {
                    #pragma HLS UNROLL
                    o[c] = (out_t)y[c];
                }
                res.write(o);
            }
        }
    }
}

#endif  // NNET_HAVE_STREAM

}  // namespace nnet

#endif
