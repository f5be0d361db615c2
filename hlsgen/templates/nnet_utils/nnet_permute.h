// hlsgen layer library: Permute (a transpose of the sample axes, batch excluded).
// Pure data movement: every output is one input value cast to res_T.
//
// ---------------------------------------------------------------------------------
// Signature (io_parallel flat row-major arrays; io_stream through the generic adapter,
// which reads the whole input tensor first, as a transpose must):
//   nnet::permute_cl<data_T, res_T, CONFIG_T>(const data_T data[N], res_T res[N]);
// CONFIG_T (permute_config): the input's dimensions d0, d1, d2 (a rank-2 sample is
// (1, d1, d2), rank 1 (1, 1, d2)) and the permutation p0, p1, p2 of {0, 1, 2}: output
// axis k is input axis p_k, so the output's dimensions are (d_p0, d_p1, d_p2).
// ---------------------------------------------------------------------------------
#ifndef NNET_PERMUTE_H_
#define NNET_PERMUTE_H_

#include "nnet_common.h"

namespace nnet {

struct permute_config {
    static const unsigned d0 = 1, d1 = 1, d2 = 1;
    static const unsigned p0 = 0, p1 = 1, p2 = 2;
};

template <class data_T, class res_T, typename CONFIG_T>
void permute_cl(const data_T data[CONFIG_T::d0 * CONFIG_T::d1 * CONFIG_T::d2],
                res_T res[CONFIG_T::d0 * CONFIG_T::d1 * CONFIG_T::d2]) {
    const unsigned dims[3] = {CONFIG_T::d0, CONFIG_T::d1, CONFIG_T::d2};
    const unsigned strides[3] = {CONFIG_T::d1 * CONFIG_T::d2, CONFIG_T::d2, 1};
    const unsigned o0 = dims[CONFIG_T::p0], o1 = dims[CONFIG_T::p1], o2 = dims[CONFIG_T::p2];
    const unsigned s0 = strides[CONFIG_T::p0], s1 = strides[CONFIG_T::p1], s2 = strides[CONFIG_T::p2];
    for (unsigned i0 = 0; i0 < o0; i0++) {
        for (unsigned i1 = 0; i1 < o1; i1++) {
            for (unsigned i2 = 0; i2 < o2; i2++) {
                #pragma HLS PIPELINE
                res[(i0 * o1 + i1) * o2 + i2] = (res_T)data[i0 * s0 + i1 * s1 + i2 * s2];
            }
        }
    }
}

}  // namespace nnet

#endif
