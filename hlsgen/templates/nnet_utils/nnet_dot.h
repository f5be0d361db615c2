// hlsgen layer library: Dot, two tensors contracted over their last axis.
//
//   res[i * n_rows_b + j] = res_T(sum_k a[i * n_inner + k] * b[j * n_inner + k])
// summed from 0 in ascending k in accum_t (hlsgen/layers/dot.py).
#ifndef NNET_DOT_H_
#define NNET_DOT_H_

#include "nnet_common.h"

namespace nnet {

struct dot_config {
    static const unsigned n_rows_a = 1;  // M (1 for vectors)
    static const unsigned n_rows_b = 1;  // N (1 for vectors)
    static const unsigned n_inner = 1;   // K, the contracted axis
    static const unsigned reuse_factor = 1;
    typedef float accum_t;
};

template <class a_T, class b_T, class res_T, typename CONFIG_T>
void dot(const a_T a[CONFIG_T::n_rows_a * CONFIG_T::n_inner], const b_T b[CONFIG_T::n_rows_b * CONFIG_T::n_inner],
         res_T res[CONFIG_T::n_rows_a * CONFIG_T::n_rows_b]) {
    #pragma HLS PIPELINE II=CONFIG_T::reuse_factor
Rows:
    for (unsigned i = 0; i < CONFIG_T::n_rows_a; i++) {
        #pragma HLS UNROLL
    Cols:
        for (unsigned j = 0; j < CONFIG_T::n_rows_b; j++) {
            #pragma HLS UNROLL
            typename CONFIG_T::accum_t acc = 0;
        Inner:
            for (unsigned k = 0; k < CONFIG_T::n_inner; k++) {
                #pragma HLS UNROLL
                acc += a[i * CONFIG_T::n_inner + k] * b[j * CONFIG_T::n_inner + k];
            }
            res[i * CONFIG_T::n_rows_b + j] = (res_T)acc;
        }
    }
}

} // namespace nnet

#endif
