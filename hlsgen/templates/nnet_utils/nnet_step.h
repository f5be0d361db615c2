// hlsgen: piecewise-constant activations (QKeras binary, binary_tanh, ternary).
// y = CONFIG_T::value(k), k = the number of thresholds x passes (CONFIG_T::level).
#ifndef NNET_STEP_H_
#define NNET_STEP_H_

namespace nnet {

struct step_config {
    static const unsigned n_in = 1;
    static const unsigned reuse_factor = 1;
};

template <class data_T, class res_T, typename CONFIG_T>
void step(const data_T data[CONFIG_T::n_in], res_T res[CONFIG_T::n_in]) {
    #pragma HLS PIPELINE II=CONFIG_T::reuse_factor
    for (unsigned i = 0; i < CONFIG_T::n_in; i++) {
        #pragma HLS UNROLL
        res[i] = CONFIG_T::template value<res_T>(CONFIG_T::level(data[i]));
    }
}

} // namespace nnet

#endif
