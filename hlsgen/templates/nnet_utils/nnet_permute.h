// hlsgen layer library: Permute (a transpose of the sample axes, batch excluded).
// Pure data movement: every output is one input value cast to res_T.
//
// ---------------------------------------------------------------------------------
// Signature (io_parallel flat row-major arrays; io_stream through the generic adapter,
// which reads the whole input tensor first, as a transpose must):
//   nnet::permute_cl<data_T, res_T, CONFIG_T>(const data_T data[n], res_T res[n]);
// CONFIG_T (permute_config): n elements, rank axes; dim(k) is output axis k's length,
// stride(k) the input's row-major stride along that axis (computed by the generator).
// The output is walked in row-major order with an odometer (idx) over its axes, the
// input offset src kept equal to sum_k idx[k] * stride(k).
// ---------------------------------------------------------------------------------
#ifndef NNET_PERMUTE_H_
#define NNET_PERMUTE_H_

#include "nnet_common.h"

namespace nnet {

struct permute_config {
    static const unsigned n = 1, rank = 1;
    static unsigned dim(unsigned) { return 1; }
    static unsigned stride(unsigned) { return 1; }
};

template <class data_T, class res_T, typename CONFIG_T>
void permute_cl(const data_T data[CONFIG_T::n], res_T res[CONFIG_T::n]) {
    unsigned idx[CONFIG_T::rank];
    #pragma HLS ARRAY_PARTITION variable=idx complete
    for (unsigned k = 0; k < CONFIG_T::rank; k++) {
        #pragma HLS UNROLL
        idx[k] = 0;
    }
    unsigned src = 0;
    for (unsigned o = 0; o < CONFIG_T::n; o++) {
        #pragma HLS PIPELINE
        res[o] = (res_T)data[src];
        bool carry = true;  // advance the odometer from the last axis
        for (int k = CONFIG_T::rank - 1; k >= 0; k--) {
            #pragma HLS UNROLL
            if (carry) {
                if (idx[k] + 1 < CONFIG_T::dim(k)) {
                    idx[k]++;
                    src += CONFIG_T::stride(k);
                    carry = false;
                } else {
                    src -= CONFIG_T::stride(k) * idx[k];
                    idx[k] = 0;
                }
            }
        }
    }
}

}  // namespace nnet

#endif
