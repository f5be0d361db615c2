// hlsgen layer library: softmax over the last axis, robust to any input range.
//
// Per slice of n_slice values (hlsgen/layers/activations.py has the full derivation):
//   d = x - max(x) <= 0                                       exact
//   t = floor_{2^-E}(d * log2e), saturated low;  t = -k + f   (k >= 1 integer, f in [0,1))
//   e = exp_table[f * 2^E] >> k;  e = 1 when d == 0           2^t = e^d
//   s = sum e (exact);  p = leading-one position of s
//   inv = inv_table[top bits of the fraction of s / 2^p] >> p   (1/s)
//   y = e * inv, one cast to the result type
// No floating point, no state: the tables are constant arrays passed by the caller.
#ifndef NNET_SOFTMAX_H_
#define NNET_SOFTMAX_H_

#include "nnet_common.h"
#include "nnet_activation.h"

namespace nnet {

struct softmax_config {
    static const unsigned n_in = 1;     // total values (n_in / n_slice independent slices)
    static const unsigned n_slice = 1;  // length of the softmax axis (last)
    static const unsigned reuse_factor = 1;
    static const unsigned exp_table_size = 1024;
    static const int exp_index_bits = 10;  // log2(exp_table_size)
    static const unsigned inv_table_size = 1024;
    static const int inv_index_bits = 10;  // log2(inv_table_size)
    static const unsigned max_shift = 0;   // largest leading-one position of the sum
    typedef ap_ufixed<18, 1, AP_RND, AP_SAT> exp_table_t;
    typedef ap_ufixed<18, 0, AP_RND, AP_SAT> inv_table_t;
    typedef ap_ufixed<18, 1> accum_t;
    typedef ap_fixed<17, 7> diff_t;                        // x - max, exact
    typedef ap_ufixed<18, 1, AP_RND_CONV, AP_SAT> log2e_t;
    typedef ap_fixed<16, 6, AP_TRN, AP_SAT> exparg_t;      // E fractional bits
    typedef ap_fixed<6, 6, AP_TRN, AP_WRAP> expint_t;      // floor of exparg_t
    typedef ap_ufixed<10, 0, AP_TRN, AP_SAT> exp_index_t;  // fraction, E bits
    typedef ap_ufixed<18, 0> inv_scaled_t;                 // inv_table_t with max_shift more fraction bits
    static log2e_t log2e() { return log2e_t(1.4426956176757812); }
};

// e = 2^(d log2 e) for d = x - max(x) <= 0 (e = 1 exactly at d == 0): step 2.
template <typename CONFIG_T>
inline typename CONFIG_T::exp_table_t exp_of_diff(const typename CONFIG_T::diff_t d,
                                                  const typename CONFIG_T::exp_table_t exp_table[CONFIG_T::exp_table_size]) {
    #pragma HLS INLINE
    typedef typename CONFIG_T::exp_table_t exp_t;
    if (d == 0) return exp_t(1);
    const typename CONFIG_T::exparg_t t = d * CONFIG_T::log2e();
    const typename CONFIG_T::expint_t ip = t;  // floor(t) <= -1
    const typename CONFIG_T::exp_index_t f = t - ip;
    const int k = -ip.to_int();
    const unsigned idx = grid_index<-CONFIG_T::exp_index_bits>::get(f);
    if (k >= exp_t::width) return exp_t(0);
    exp_t v = exp_table[idx];
    v >>= k;
    return v;
}

// The maximum of a slice (step 1).
template <class data_T, typename CONFIG_T>
inline data_T slice_max(const data_T data[CONFIG_T::n_slice]) {
    #pragma HLS INLINE
    data_T m = data[0];
Max:
    for (unsigned j = 1; j < CONFIG_T::n_slice; j++) {
        #pragma HLS UNROLL
        if (data[j] > m) m = data[j];
    }
    return m;
}

template <class data_T, class res_T, typename CONFIG_T>
void softmax_slice(const data_T data[CONFIG_T::n_slice], res_T res[CONFIG_T::n_slice],
                   const typename CONFIG_T::exp_table_t exp_table[CONFIG_T::exp_table_size],
                   const typename CONFIG_T::inv_table_t inv_table[CONFIG_T::inv_table_size]) {
    #pragma HLS INLINE
    typedef typename CONFIG_T::exp_table_t exp_t;
    exp_t e[CONFIG_T::n_slice];
    #pragma HLS ARRAY_PARTITION variable=e complete
    const data_T m = slice_max<data_T, CONFIG_T>(data);

    // exponentials of x - max in base 2
Exp:
    for (unsigned j = 0; j < CONFIG_T::n_slice; j++) {
        #pragma HLS UNROLL
        e[j] = exp_of_diff<CONFIG_T>(data[j] - m, exp_table);
    }

    // sum, exact
    typename CONFIG_T::accum_t s = 0;
Sum:
    for (unsigned j = 0; j < CONFIG_T::n_slice; j++) {
        #pragma HLS UNROLL
        s += e[j];
    }

    // reciprocal: normalise to [1, 2) by the leading one, look up, shift back
    const typename CONFIG_T::inv_scaled_t inv =
        reciprocal<typename CONFIG_T::accum_t, typename CONFIG_T::inv_scaled_t, typename CONFIG_T::inv_table_t,
                   CONFIG_T::inv_index_bits, CONFIG_T::max_shift>(s, inv_table);

Out:
    for (unsigned j = 0; j < CONFIG_T::n_slice; j++) {
        #pragma HLS UNROLL
        res[j] = (res_T)(e[j] * inv);
    }
}

template <class data_T, class res_T, typename CONFIG_T>
void softmax(const data_T data[CONFIG_T::n_in], res_T res[CONFIG_T::n_in],
             const typename CONFIG_T::exp_table_t exp_table[CONFIG_T::exp_table_size],
             const typename CONFIG_T::inv_table_t inv_table[CONFIG_T::inv_table_size]) {
    #pragma HLS PIPELINE II=CONFIG_T::reuse_factor
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
        softmax_slice<data_T, res_T, CONFIG_T>(x, y, exp_table, inv_table);
        for (unsigned j = 0; j < CONFIG_T::n_slice; j++) {
            #pragma HLS UNROLL
            res[r * CONFIG_T::n_slice + j] = y[j];
        }
    }
}

// log_softmax of one slice: y = d - ln(s), d = x - max(x), s = sum 2^(d log2 e) (steps
// 1-3 as softmax); ln(s) = p ln2 + log_table[top log_index_bits bits of the fraction of
// s / 2^p], p the leading-one position of s (hlsgen/layers/log_softmax.py).
template <class data_T, class res_T, typename CONFIG_T>
void log_softmax_slice(const data_T data[CONFIG_T::n_slice], res_T res[CONFIG_T::n_slice],
                       const typename CONFIG_T::exp_table_t exp_table[CONFIG_T::exp_table_size],
                       const typename CONFIG_T::log_table_t log_table[CONFIG_T::log_table_size]) {
    #pragma HLS INLINE
    typename CONFIG_T::diff_t d[CONFIG_T::n_slice];
    #pragma HLS ARRAY_PARTITION variable=d complete
    const data_T m = slice_max<data_T, CONFIG_T>(data);
    typename CONFIG_T::accum_t s = 0;
Exp:
    for (unsigned j = 0; j < CONFIG_T::n_slice; j++) {
        #pragma HLS UNROLL
        d[j] = data[j] - m;
        s += exp_of_diff<CONFIG_T>(d[j], exp_table);
    }
    unsigned p = 0;
LeadingOne:
    for (int b = 1; b <= (int)CONFIG_T::max_shift; b++) {
        #pragma HLS UNROLL
        if (s >= (1u << b)) p = b;
    }
    typename CONFIG_T::accum_t sn = s;
    sn >>= p;
    const ap_ufixed<CONFIG_T::log_index_bits, 0, AP_TRN, AP_SAT> g = sn - 1;
    typename CONFIG_T::lse_t lse = log_table[grid_index<-CONFIG_T::log_index_bits>::get(g)];
    lse += CONFIG_T::ln2() * p;
Out:
    for (unsigned j = 0; j < CONFIG_T::n_slice; j++) {
        #pragma HLS UNROLL
        res[j] = (res_T)(d[j] - lse);
    }
}

template <class data_T, class res_T, typename CONFIG_T>
void log_softmax(const data_T data[CONFIG_T::n_in], res_T res[CONFIG_T::n_in],
                 const typename CONFIG_T::exp_table_t exp_table[CONFIG_T::exp_table_size],
                 const typename CONFIG_T::log_table_t log_table[CONFIG_T::log_table_size]) {
    #pragma HLS PIPELINE II=CONFIG_T::reuse_factor
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
        log_softmax_slice<data_T, res_T, CONFIG_T>(x, y, exp_table, log_table);
        for (unsigned j = 0; j < CONFIG_T::n_slice; j++) {
            #pragma HLS UNROLL
            res[r * CONFIG_T::n_slice + j] = y[j];
        }
    }
}

// Strategy 'argmax': 1 at the (first) largest element of each slice, 0 elsewhere; the
// comparison is exact, so the result is the framework's argmax on the same inputs.
template <class data_T, class res_T, typename CONFIG_T>
void softmax_argmax(const data_T data[CONFIG_T::n_in], res_T res[CONFIG_T::n_in]) {
    #pragma HLS PIPELINE II=CONFIG_T::reuse_factor
ArgmaxSlices:
    for (unsigned r = 0; r < CONFIG_T::n_in / CONFIG_T::n_slice; r++) {
        #pragma HLS UNROLL
        unsigned best = 0;
        data_T m = data[r * CONFIG_T::n_slice];
        for (unsigned j = 1; j < CONFIG_T::n_slice; j++) {
            #pragma HLS UNROLL
            if (data[r * CONFIG_T::n_slice + j] > m) {
                m = data[r * CONFIG_T::n_slice + j];
                best = j;
            }
        }
        for (unsigned j = 0; j < CONFIG_T::n_slice; j++) {
            #pragma HLS UNROLL
            res[r * CONFIG_T::n_slice + j] = (j == best) ? (res_T)1 : (res_T)0;
        }
    }
}

} // namespace nnet

#endif
