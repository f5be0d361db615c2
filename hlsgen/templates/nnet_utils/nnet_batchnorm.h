// hlsgen layer library: standalone batch normalization (when it cannot be folded).
//
// res[i] = (res_T)(accum_t)(data[i] * scale[c] + bias[c]),  c = i % n_filt (channels last).
// The product and the sum are exact ap_fixed arithmetic; accum_t (exact by default) and
// the result type are the only roundings.
#ifndef NNET_BATCHNORM_H_
#define NNET_BATCHNORM_H_

#include "nnet_common.h"

namespace nnet {

struct batchnorm_config {
    static const unsigned n_in = 1;
    static const unsigned n_filt = 1;  // channels (last axis)
    static const unsigned reuse_factor = 1;
    typedef ap_fixed<16, 6> scale_t;
    typedef ap_fixed<16, 6> bias_t;
    typedef ap_fixed<32, 12> accum_t;
};

template <class data_T, class res_T, typename CONFIG_T>
void normalize(const data_T data[CONFIG_T::n_in], res_T res[CONFIG_T::n_in],
               const typename CONFIG_T::scale_t scale[CONFIG_T::n_filt],
               const typename CONFIG_T::bias_t bias[CONFIG_T::n_filt]) {
    #pragma HLS PIPELINE II=CONFIG_T::reuse_factor
    #pragma HLS ARRAY_PARTITION variable=scale complete
    #pragma HLS ARRAY_PARTITION variable=bias complete
    for (unsigned i = 0; i < CONFIG_T::n_in; i++) {
        #pragma HLS UNROLL
        const unsigned c = i % CONFIG_T::n_filt;
        const typename CONFIG_T::accum_t acc = data[i] * scale[c] + bias[c];
        res[i] = (res_T)acc;
    }
}

} // namespace nnet

#endif
