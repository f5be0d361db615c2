// hlsgen layer library: element-wise activations and PReLU.
//
// Piecewise-linear functions compute exactly in fixed point: constants come from the
// config struct in their own types (slope_t, bound_t), products and sums use the full
// precision types of the ap_fixed arithmetic, and the result is cast once.  The other
// functions read a constant table computed in Python (hlsgen/layers/activations.py
// documents ranges and sizes); the index is computed from the input with fixed-point
// operations only.  Nothing here keeps state between calls.
#ifndef NNET_ACTIVATION_H_
#define NNET_ACTIVATION_H_

#include "nnet_common.h"
#include "nnet_array.h"

namespace nnet {

// Behaviour of a table activation at and above tail_at().
enum table_tail_t {
    tail_clamp = 0,    // no tail: the index clamps to the last entry
    tail_identity = 1, // y = x
    tail_scaled = 2    // y = slope() * x
};

struct activ_config {
    static const unsigned n_in = 1;
    static const unsigned reuse_factor = 1;
    // table activations
    static const unsigned n_table = 1;  // entries
    static const int step_log2 = 0;     // the table step is 2^step_log2 input units
    static const unsigned tail = tail_clamp;
    // Keras ReLU family
    static const bool has_max = false;
    static const bool has_slope = false;
    static const bool has_min = false;  // the negative side floored at min_value()
    // softsign: largest leading-one position of 1 + |x|
    static const unsigned max_shift = 0;
    typedef ap_fixed<18, 8> table_t;
    // floor((x - table_lo()) / 2^step_log2) clamped to [0, 2^K - 1]:
    // ap_ufixed<K, K + step_log2, AP_TRN, AP_SAT>
    typedef ap_ufixed<1, 1, AP_TRN, AP_SAT> index_t;
    typedef ap_fixed<18, 8> slope_t;
    typedef ap_fixed<18, 8> bound_t;
    typedef ap_fixed<36, 16> accum_t;
    static slope_t slope() { return slope_t(0); }
    static bound_t threshold() { return bound_t(0); }
    static bound_t max_value() { return bound_t(0); }
    static bound_t min_value() { return bound_t(0); }
    static bound_t offset() { return bound_t(0); }
    static bound_t table_lo() { return bound_t(0); }
    static bound_t tail_at() { return bound_t(0); }
    static bound_t value() { return bound_t(0); }  // threshold_activation's value
};

// d / 2^S for a non-negative d on the 2^S grid, with integer operations only.
template <int S, bool NEG = (S < 0)> struct grid_index;
template <int S> struct grid_index<S, true> {
    template <class T> static unsigned get(const T &d) { return (d * (1u << (-S))).to_uint(); }
};
template <int S> struct grid_index<S, false> {
    template <class T> static unsigned get(const T &d) { return d.to_uint() >> S; }
};

// Table index of x: floor((x - lo) / step), clamped to [0, n_table - 1].
template <class data_T, typename CONFIG_T> inline unsigned table_index(const data_T &x) {
    #pragma HLS INLINE
    typename CONFIG_T::index_t d = x - CONFIG_T::table_lo();
    unsigned i = grid_index<CONFIG_T::step_log2>::get(d);
    return i < CONFIG_T::n_table ? i : CONFIG_T::n_table - 1;
}

// 1/s for s >= 1 by normalisation: p = position of the leading one of s (at most
// MAX_SHIFT), s / 2^p in [1, 2) indexes the table by the top R bits of its fraction,
// and the entry is shifted back by p (exact: out_T has MAX_SHIFT more fraction bits
// than table_T).  Used by softsign and softmax.
template <class s_T, class out_T, class table_T, int R, int MAX_SHIFT>
inline out_T reciprocal(const s_T &s, const table_T table[1 << R]) {
    #pragma HLS INLINE
    unsigned p = 0;
LeadingOne:
    for (int b = 1; b <= MAX_SHIFT; b++) {
        #pragma HLS UNROLL
        if (s >= (1u << b)) p = b;
    }
    s_T sn = s;
    sn >>= p;
    const ap_ufixed<R, 0, AP_TRN, AP_SAT> g = sn - 1;
    out_T inv = table[grid_index<-R>::get(g)];
    inv >>= p;
    return inv;
}

// ----------------------------------------------------------------------------- linear
template <class data_T, class res_T, typename CONFIG_T>
void linear(const data_T data[CONFIG_T::n_in], res_T res[CONFIG_T::n_in]) {
    #pragma HLS PIPELINE II=CONFIG_T::reuse_factor
    for (unsigned i = 0; i < CONFIG_T::n_in; i++) {
        #pragma HLS UNROLL
        res[i] = csim_cast<res_T>(data[i]);
    }
}

// ----------------------------------------------------------------------------- relu: max(x, 0)
template <class data_T, class res_T, typename CONFIG_T>
void relu(const data_T data[CONFIG_T::n_in], res_T res[CONFIG_T::n_in]) {
    #pragma HLS PIPELINE II=CONFIG_T::reuse_factor
    for (unsigned i = 0; i < CONFIG_T::n_in; i++) {
        #pragma HLS UNROLL
        const data_T x = data[i];
        if (x > 0)
            res[i] = csim_cast<res_T>(x);
        else
            res[i] = 0;
    }
}

// ----------------------------------------------------------------------------- Keras ReLU
// y = x > threshold ? (has_max ? clip(x, 0, max_value) : x) : slope * (x - threshold)
// (ReLU with max_value / negative_slope / threshold, relu6, LeakyReLU).
template <class data_T, class res_T, typename CONFIG_T>
void keras_relu(const data_T data[CONFIG_T::n_in], res_T res[CONFIG_T::n_in]) {
    #pragma HLS PIPELINE II=CONFIG_T::reuse_factor
    for (unsigned i = 0; i < CONFIG_T::n_in; i++) {
        #pragma HLS UNROLL
        const data_T x = data[i];
        if (x > CONFIG_T::threshold()) {
            if (CONFIG_T::has_max && x > CONFIG_T::max_value())
                res[i] = (res_T)CONFIG_T::max_value();
            else if (CONFIG_T::has_max && x < 0)
                res[i] = 0;
            else
                res[i] = csim_cast<res_T>(x);
        } else if (CONFIG_T::has_slope) {
            const auto v = CONFIG_T::slope() * (x - CONFIG_T::threshold());  // exact
            if (CONFIG_T::has_min && v < CONFIG_T::min_value())
                res[i] = (res_T)CONFIG_T::min_value();
            else
                res[i] = (res_T)v;
        } else {
            res[i] = 0;
        }
    }
}

// ----------------------------------------------------------------------------- threshold
// y = x > threshold ? x : value (PyTorch nn.Threshold); both constants are bound_t.
template <class data_T, class res_T, typename CONFIG_T>
void threshold_activation(const data_T data[CONFIG_T::n_in], res_T res[CONFIG_T::n_in]) {
    #pragma HLS PIPELINE II=CONFIG_T::reuse_factor
    for (unsigned i = 0; i < CONFIG_T::n_in; i++) {
        #pragma HLS UNROLL
        const data_T x = data[i];
        if (x > CONFIG_T::threshold())
            res[i] = csim_cast<res_T>(x);
        else
            res[i] = (res_T)CONFIG_T::value();
    }
}

// ----------------------------------------------------------------------------- hard sigmoid
// y = clip(slope * x + offset, 0, 1); accum_t holds slope * x + offset exactly.
template <class data_T, class res_T, typename CONFIG_T>
void hard_sigmoid(const data_T data[CONFIG_T::n_in], res_T res[CONFIG_T::n_in]) {
    #pragma HLS PIPELINE II=CONFIG_T::reuse_factor
    for (unsigned i = 0; i < CONFIG_T::n_in; i++) {
        #pragma HLS UNROLL
        const typename CONFIG_T::accum_t z = CONFIG_T::slope() * data[i] + CONFIG_T::offset();
        if (z <= 0)
            res[i] = 0;
        else if (z >= 1)
            res[i] = 1;
        else
            res[i] = (res_T)z;
    }
}

// ----------------------------------------------------------------------------- table functions
// sigmoid, tanh, softsign, softplus, swish, gelu, elu, selu, exponential.
template <class data_T, class res_T, typename CONFIG_T>
void table_activation(const data_T data[CONFIG_T::n_in], res_T res[CONFIG_T::n_in],
                      const typename CONFIG_T::table_t table[CONFIG_T::n_table]) {
    #pragma HLS PIPELINE II=CONFIG_T::reuse_factor
    for (unsigned i = 0; i < CONFIG_T::n_in; i++) {
        #pragma HLS UNROLL
        const data_T x = data[i];
        if (CONFIG_T::tail == tail_identity && x >= CONFIG_T::tail_at())
            res[i] = csim_cast<res_T>(x);
        else if (CONFIG_T::tail == tail_scaled && x >= CONFIG_T::tail_at())
            res[i] = (res_T)(CONFIG_T::slope() * x);
        else
            res[i] = (res_T)table[table_index<data_T, CONFIG_T>(x)];
    }
}

// ----------------------------------------------------------------------------- softsign
// y = x * 1/(1 + |x|): relative error of the reciprocal table, exact 0 at 0, odd.
// accum_t holds 1 + |x| exactly; index_t is the shifted reciprocal's type.
template <class data_T, class res_T, typename CONFIG_T>
void softsign(const data_T data[CONFIG_T::n_in], res_T res[CONFIG_T::n_in],
              const typename CONFIG_T::table_t table[CONFIG_T::n_table]) {
    #pragma HLS PIPELINE II=CONFIG_T::reuse_factor
    for (unsigned i = 0; i < CONFIG_T::n_in; i++) {
        #pragma HLS UNROLL
        const data_T x = data[i];
        typename CONFIG_T::accum_t u;
        if (x < 0)
            u = 1 - x;
        else
            u = 1 + x;
        const typename CONFIG_T::index_t inv =
            reciprocal<typename CONFIG_T::accum_t, typename CONFIG_T::index_t, typename CONFIG_T::table_t,
                       -CONFIG_T::step_log2, CONFIG_T::max_shift>(u, table);
        res[i] = (res_T)(x * inv);
    }
}

// ----------------------------------------------------------------------------- PReLU
// y = x > 0 ? x : alpha[i % n_alpha] * x  (n_alpha = channels, or n_in when alpha varies
// over other axes too).
struct prelu_config : activ_config {
    static const unsigned n_alpha = 1;
    typedef ap_fixed<16, 2> alpha_t;
};

template <class data_T, class res_T, typename CONFIG_T>
void prelu(const data_T data[CONFIG_T::n_in], res_T res[CONFIG_T::n_in],
           const typename CONFIG_T::alpha_t alpha[CONFIG_T::n_alpha]) {
    #pragma HLS PIPELINE II=CONFIG_T::reuse_factor
    #pragma HLS ARRAY_PARTITION variable=alpha complete
    for (unsigned i = 0; i < CONFIG_T::n_in; i++) {
        #pragma HLS UNROLL
        const data_T x = data[i];
        if (x > 0)
            res[i] = csim_cast<res_T>(x);
        else
            res[i] = (res_T)(alpha[i % CONFIG_T::n_alpha] * x);
    }
}

} // namespace nnet

#endif
