// hlsgen layer library: layer normalization over the last axis, without a division.
//
// Per slice of n = n_slice values (hlsgen/layers/layernorm.py has the derivation):
//   s = sum x;  d_j = n x_j - s;  V = sum d_j^2 + eps n^3            exact
//   q = leading-one position of V's raw bits, b = q & 1, h = q >> 1
//   t = table[b << R | the R raw bits of V below its leading one]    ~ 2^h / sqrt(V_raw)
//   n_j = d_raw_j >> h (to 2^-18);  norm_j = n_j * t;  y_j = norm_j * scale_j + bias_j
// scale = gamma * sqrt(n), bias = beta, given by the caller like the tables.
#ifndef NNET_LAYERNORM_H_
#define NNET_LAYERNORM_H_

#include "nnet_common.h"

namespace nnet {

struct layernorm_config {
    static const unsigned n_in = 1;
    static const unsigned n_slice = 1;
    static const unsigned reuse_factor = 1;
    static const int table_bits = 10;  // R: table entries per octave = 2^R (2 octaves)
    static const int frac_x = 0;       // fractional bits of the input type
};

template <class data_T, class res_T, typename CONFIG_T>
void layernorm_slice(const data_T data[CONFIG_T::n_slice], res_T res[CONFIG_T::n_slice],
                     const typename CONFIG_T::scale_t scale[CONFIG_T::n_slice],
                     const typename CONFIG_T::bias_t bias[CONFIG_T::n_slice],
                     const typename CONFIG_T::table_t table[2 << CONFIG_T::table_bits]) {
    #pragma HLS INLINE
    const int n = CONFIG_T::n_slice;
    typename CONFIG_T::sum_t s = 0;
Sum:
    for (int j = 0; j < n; j++) {
        #pragma HLS UNROLL
        s += data[j];
    }
    typename CONFIG_T::diff_t d[CONFIG_T::n_slice];
    #pragma HLS ARRAY_PARTITION variable=d complete
    typename CONFIG_T::var_t v = CONFIG_T::epsilon();
Var:
    for (int j = 0; j < n; j++) {
        #pragma HLS UNROLL
        d[j] = data[j] * n - s;
        v += d[j] * d[j];
    }
    int q = 0;
LeadingOne:
    for (int b = 0; b < CONFIG_T::var_t::width; b++) {
        #pragma HLS UNROLL
        if (v[b]) q = b;
    }
    unsigned idx = q & 1;
Mantissa:
    for (int k = 1; k <= CONFIG_T::table_bits; k++) {
        #pragma HLS UNROLL
        idx <<= 1;
        if (q - k >= 0 && v[q - k]) idx |= 1;
    }
    const typename CONFIG_T::table_t t = table[idx];
    const int h = q >> 1;
    const int fx = CONFIG_T::frac_x;
Out:
    for (int j = 0; j < n; j++) {
        #pragma HLS UNROLL
        typename CONFIG_T::shift_t m = d[j];
        m <<= fx;  // the raw integer of d_j
        m >>= h;
        const typename CONFIG_T::dn_t dn = m;
        const typename CONFIG_T::norm_t nrm = dn * t;
        typename CONFIG_T::accum_t a = bias[j];
        a += nrm * scale[j];
        res[j] = (res_T)a;
    }
}

template <class data_T, class res_T, typename CONFIG_T>
void layernorm(const data_T data[CONFIG_T::n_in], res_T res[CONFIG_T::n_in],
               const typename CONFIG_T::scale_t scale[CONFIG_T::n_slice],
               const typename CONFIG_T::bias_t bias[CONFIG_T::n_slice],
               const typename CONFIG_T::table_t table[2 << CONFIG_T::table_bits]) {
    #pragma HLS PIPELINE II=CONFIG_T::reuse_factor
    #pragma HLS ARRAY_PARTITION variable=scale complete
    #pragma HLS ARRAY_PARTITION variable=bias complete
Slices:
    for (unsigned r = 0; r < CONFIG_T::n_in / CONFIG_T::n_slice; r++) {
        #pragma HLS UNROLL
        data_T x[CONFIG_T::n_slice];
        res_T y[CONFIG_T::n_slice];
        #pragma HLS ARRAY_PARTITION variable=x complete
        #pragma HLS ARRAY_PARTITION variable=y complete
        for (unsigned j = 0; j < CONFIG_T::n_slice; j++) {
            #pragma HLS UNROLL
            x[j] = data[r * CONFIG_T::n_slice + j];
        }
        layernorm_slice<data_T, res_T, CONFIG_T>(x, y, scale, bias, table);
        for (unsigned j = 0; j < CONFIG_T::n_slice; j++) {
            #pragma HLS UNROLL
            res[r * CONFIG_T::n_slice + j] = y[j];
        }
    }
}

} // namespace nnet

#endif
