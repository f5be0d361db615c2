// hlsgen layer library: fully connected layer.
//
// res[j] = act(bias[j] + sum_i data[i] * weights[i * n_out + j])
// The accumulation order per output is ascending i in both strategies, so Latency and
// Resource give identical results for every accumulator type.
#ifndef NNET_DENSE_H_
#define NNET_DENSE_H_

#include "nnet_common.h"
#include "nnet_dense_raw.h"

namespace nnet {

struct dense_config {
    static const unsigned n_in = 1;
    static const unsigned n_out = 1;
    static const unsigned reuse_factor = 1;
    static const unsigned strategy = latency;
    static const unsigned activation = act_linear;
    // from the layer's implementation plan (hlsgen.layers.plan), never derived here
    static const unsigned multiplier_limit = 1;
    static const unsigned block_factor = 1;
    static const unsigned reshape_factor = 1;
    typedef float accum_t;
    typedef float weight_t;
    typedef float bias_t;
};

// Latency: every multiplication in parallel (limited by the reuse factor), one result per call.
template <class data_T, class res_T, typename CONFIG_T>
void dense_latency(const data_T data[CONFIG_T::n_in], res_T res[CONFIG_T::n_out],
                   const typename CONFIG_T::weight_t weights[CONFIG_T::n_in * CONFIG_T::n_out],
                   const typename CONFIG_T::bias_t biases[CONFIG_T::n_out]) {
    typedef typename fast_accum<typename CONFIG_T::accum_t>::type acc_t;
    acc_t acc[CONFIG_T::n_out];
    #pragma HLS ARRAY_PARTITION variable=acc complete
    #pragma HLS ARRAY_PARTITION variable=weights complete
    #pragma HLS ARRAY_PARTITION variable=biases complete
    #pragma HLS ALLOCATION operation instances=mul limit=CONFIG_T::multiplier_limit

InitAccum:
    for (unsigned j = 0; j < CONFIG_T::n_out; j++) {
        #pragma HLS UNROLL
        acc[j] = (typename CONFIG_T::accum_t)biases[j];
    }
Product:
    for (unsigned i = 0; i < CONFIG_T::n_in; i++) {
        #pragma HLS UNROLL
        const data_T x = data[i];
        for (unsigned j = 0; j < CONFIG_T::n_out; j++) {
            #pragma HLS UNROLL
            acc[j] += x * weights[i * CONFIG_T::n_out + j];
        }
    }
Result:
    for (unsigned j = 0; j < CONFIG_T::n_out; j++) {
        #pragma HLS UNROLL
        typename CONFIG_T::accum_t a = acc[j];
        res[j] = (res_T)apply_fused(a, CONFIG_T::activation);
    }
}

// Resource: the inputs are split into reuse_factor contiguous blocks; one block of
// n_in / reuse_factor rows of multiplications per clock cycle.
template <class data_T, class res_T, typename CONFIG_T>
void dense_resource(const data_T data[CONFIG_T::n_in], res_T res[CONFIG_T::n_out],
                    const typename CONFIG_T::weight_t weights[CONFIG_T::n_in * CONFIG_T::n_out],
                    const typename CONFIG_T::bias_t biases[CONFIG_T::n_out]) {
    // block = ceil(n_in / reuse_factor); iteration r reads the block * n_out consecutive
    // weights from r * block * n_out on: a cyclic reshape by block * n_out puts exactly
    // those in one wide word
    const unsigned block = CONFIG_T::block_factor;
    typedef typename fast_accum<typename CONFIG_T::accum_t>::type acc_t;
    acc_t acc[CONFIG_T::n_out];
    #pragma HLS ARRAY_PARTITION variable=acc complete
    #pragma HLS ARRAY_RESHAPE variable=weights cyclic factor=CONFIG_T::reshape_factor
    #pragma HLS ALLOCATION operation instances=mul limit=CONFIG_T::multiplier_limit
    #pragma HLS ARRAY_PARTITION variable=biases complete

    for (unsigned j = 0; j < CONFIG_T::n_out; j++) {
        #pragma HLS UNROLL
        acc[j] = (typename CONFIG_T::accum_t)biases[j];
    }
Reuse:
    for (unsigned r = 0; r < CONFIG_T::reuse_factor; r++) {
        #pragma HLS PIPELINE II=1 rewind
        for (unsigned b = 0; b < block; b++) {
            #pragma HLS UNROLL
            const unsigned i = r * block + b;
            if (i < CONFIG_T::n_in) {
                const data_T x = data[i];
                for (unsigned j = 0; j < CONFIG_T::n_out; j++) {
                    #pragma HLS UNROLL
                    acc[j] += x * weights[i * CONFIG_T::n_out + j];
                }
            }
        }
    }
    for (unsigned j = 0; j < CONFIG_T::n_out; j++) {
        #pragma HLS UNROLL
        typename CONFIG_T::accum_t a = acc[j];
        res[j] = (res_T)apply_fused(a, CONFIG_T::activation);
    }
}

// Only the configured strategy is instantiated (keeps compile time down).
template <unsigned S> struct dense_strategy {
    template <class data_T, class res_T, typename CONFIG_T>
    static void run(const data_T* data, res_T* res, const typename CONFIG_T::weight_t* w,
                    const typename CONFIG_T::bias_t* b) {
        #pragma HLS INLINE
        dense_latency<data_T, res_T, CONFIG_T>(data, res, w, b);
    }
};
template <> struct dense_strategy<resource> {
    template <class data_T, class res_T, typename CONFIG_T>
    static void run(const data_T* data, res_T* res, const typename CONFIG_T::weight_t* w,
                    const typename CONFIG_T::bias_t* b) {
        #pragma HLS INLINE
        dense_resource<data_T, res_T, CONFIG_T>(data, res, w, b);
    }
};

template <class data_T, class res_T, typename CONFIG_T>
void dense(const data_T data[CONFIG_T::n_in], res_T res[CONFIG_T::n_out],
           const typename CONFIG_T::weight_t weights[CONFIG_T::n_in * CONFIG_T::n_out],
           const typename CONFIG_T::bias_t biases[CONFIG_T::n_out]) {
    #pragma HLS INLINE
#if HLSGEN_RAW_CSIM
    // C simulation: the same sums on raw integers (nnet_dense_raw.h) where raw_mac applies;
    // the plain code only for other types, and while the counters watch the accumulator
    // type, which they can only when it is the result type (the watched type of this call).
    dense_raw_select<(bool)raw_mac<data_T, typename CONFIG_T::weight_t, typename CONFIG_T::accum_t>::ok,
                     (bool)std::is_same<typename CONFIG_T::accum_t, res_T>::value>::template run<data_T, res_T, CONFIG_T>(
        data, res, weights, biases);
#else
    dense_strategy<CONFIG_T::strategy>::template run<data_T, res_T, CONFIG_T>(data, res, weights, biases);
#endif
}

} // namespace nnet

#include "nnet_dense_batch.h"  // C simulation: Dense on a block of samples

#endif
