// hlsgen layer library: recurrent layers (SimpleRNN, LSTM, GRU).
//
// hlsgen/layers/recurrent.py documents the weight layout, the step of each cell and
// the types; its numpy golden does the operations below in the same order.  Sums of
// products are exact in accum_t (bias first, then inputs, then states, ascending), the
// cell's activations are the config's static functions (Activation kernels of
// nnet_activation.h with their own tables), and every other value is cast once to its
// type.  The states h (res_T) and c (state_t, LSTM) start at zero for every sample, or
// (recurrent_init) at the initial states given as inputs.
#ifndef NNET_RECURRENT_H_
#define NNET_RECURRENT_H_

#include "nnet_array.h"
#include "nnet_common.h"

namespace nnet {

struct recurrent_config {
    static const unsigned n_in = 1;         // features per time step
    static const unsigned n_units = 1;
    static const unsigned n_timesteps = 1;
    static const unsigned n_gates = 1;
    static const bool return_sequences = false;
    static const bool go_backwards = false;     // read the last step first
    static const bool reverse_output = false;   // write the returned sequence last step first
    static const bool reset_after = true;       // GRU
    static const unsigned reuse_factor = 1;
    // from the layer's implementation plan (hlsgen.layers.plan)
    static const unsigned multiplier_limit = 1;
    static const unsigned reshape_factor = 0;
    static const unsigned pipeline_ii = 1;
};

// acc[j] += x[i] * w[i * STRIDE + OFFSET + j] for i < N_ROWS (ascending), j < N_COLS.
template <class acc_T, class x_T, class w_T, unsigned N_ROWS, unsigned N_COLS, unsigned STRIDE, unsigned OFFSET>
inline void mac_rows(acc_T acc[N_COLS], const x_T x[N_ROWS], const w_T w[N_ROWS * STRIDE]) {
    #pragma HLS INLINE
Rows:
    for (unsigned i = 0; i < N_ROWS; i++) {
        #pragma HLS UNROLL
        const x_T xi = x[i];
        for (unsigned j = 0; j < N_COLS; j++) {
            #pragma HLS UNROLL
            acc[j] += xi * w[i * STRIDE + OFFSET + j];
        }
    }
}

// ----------------------------------------------------------------------------- cells
// Each cell: step(x, hc, c, h, ...) computes one time step from the carried state hc
// (result_carry_t) and c (state_t, LSTM: updated in place), writing the output h.  The
// caller then carries hc = result_carry_t(h) and c = state_carry_t(c): identities unless a
// state quantizer (QKeras) sets those types.

struct simple_rnn_cell {
    // h = act(b + x W + h U)
    template <class x_T, class hc_T, class h_T, typename CONFIG_T>
    static void step(const x_T x[CONFIG_T::n_in], const hc_T hc[CONFIG_T::n_units],
                     typename CONFIG_T::state_t c[CONFIG_T::n_units], h_T h[CONFIG_T::n_units],
                     const typename CONFIG_T::weight_t w[CONFIG_T::n_in * CONFIG_T::n_units],
                     const typename CONFIG_T::recurrent_weight_t wr[CONFIG_T::n_units * CONFIG_T::n_units],
                     const typename CONFIG_T::bias_t b[CONFIG_T::n_units],
                     const typename CONFIG_T::recurrent_bias_t br[CONFIG_T::n_units]) {
        #pragma HLS INLINE
        const unsigned U = CONFIG_T::n_units;
        typedef typename fast_accum<typename CONFIG_T::accum_t>::type acc_t;
        acc_t acc[U];
        #pragma HLS ARRAY_PARTITION variable=acc complete
        for (unsigned j = 0; j < U; j++) {
            #pragma HLS UNROLL
            acc[j] = (typename CONFIG_T::accum_t)b[j];
        }
        mac_rows<acc_t, x_T, typename CONFIG_T::weight_t, CONFIG_T::n_in, U, U, 0>(acc, x, w);
        mac_rows<acc_t, hc_T, typename CONFIG_T::recurrent_weight_t, U, U, U, 0>(acc, hc, wr);
        typename CONFIG_T::accum_t z[U];
        #pragma HLS ARRAY_PARTITION variable=z complete
        for (unsigned j = 0; j < U; j++) {
            #pragma HLS UNROLL
            z[j] = acc[j];
        }
        CONFIG_T::activation(z, h);
    }
};

struct lstm_cell {
    // gates i, f, o = ract(a), candidate g = act(a) with a = b + x W + h U;
    // c = f * c + i * g;  h = o * act(c)
    template <class x_T, class hc_T, class h_T, typename CONFIG_T>
    static void step(const x_T x[CONFIG_T::n_in], const hc_T hc[CONFIG_T::n_units],
                     typename CONFIG_T::state_t c[CONFIG_T::n_units], h_T h[CONFIG_T::n_units],
                     const typename CONFIG_T::weight_t w[CONFIG_T::n_in * 4 * CONFIG_T::n_units],
                     const typename CONFIG_T::recurrent_weight_t wr[CONFIG_T::n_units * 4 * CONFIG_T::n_units],
                     const typename CONFIG_T::bias_t b[4 * CONFIG_T::n_units],
                     const typename CONFIG_T::recurrent_bias_t br[4 * CONFIG_T::n_units]) {
        #pragma HLS INLINE
        const unsigned U = CONFIG_T::n_units;
        typedef typename fast_accum<typename CONFIG_T::accum_t>::type acc_t;
        acc_t acc[4 * U];
        #pragma HLS ARRAY_PARTITION variable=acc complete
        for (unsigned j = 0; j < 4 * U; j++) {
            #pragma HLS UNROLL
            acc[j] = (typename CONFIG_T::accum_t)b[j];
        }
        mac_rows<acc_t, x_T, typename CONFIG_T::weight_t, CONFIG_T::n_in, 4 * U, 4 * U, 0>(acc, x, w);
        mac_rows<acc_t, hc_T, typename CONFIG_T::recurrent_weight_t, U, 4 * U, 4 * U, 0>(acc, hc, wr);
        typename CONFIG_T::accum_t zg[3 * U], zc[U];
        #pragma HLS ARRAY_PARTITION variable=zg complete
        #pragma HLS ARRAY_PARTITION variable=zc complete
        for (unsigned j = 0; j < 3 * U; j++) {
            #pragma HLS UNROLL
            zg[j] = acc[j];
        }
        for (unsigned j = 0; j < U; j++) {
            #pragma HLS UNROLL
            zc[j] = acc[3 * U + j];
        }
        typename CONFIG_T::gate_t g[3 * U];
        typename CONFIG_T::candidate_t cand[U];
        typename CONFIG_T::state_act_t tc[U];
        #pragma HLS ARRAY_PARTITION variable=g complete
        #pragma HLS ARRAY_PARTITION variable=cand complete
        #pragma HLS ARRAY_PARTITION variable=tc complete
        CONFIG_T::recurrent_activation(zg, g);
        CONFIG_T::activation(zc, cand);
        for (unsigned j = 0; j < U; j++) {
            #pragma HLS UNROLL
            c[j] = (typename CONFIG_T::state_t)(g[U + j] * c[j] + g[j] * cand[j]);
        }
        CONFIG_T::state_activation(c, tc);
        for (unsigned j = 0; j < U; j++) {
            #pragma HLS UNROLL
            h[j] = (h_T)(g[2 * U + j] * tc[j]);
        }
    }
};

struct gru_cell {
    // z, r = ract(ax + ah) with ax = b + x W, ah = br + h U;
    // reset_after: hh = act(ax + r * ah);  else hh = act(ax + br + (r * h) U)  (candidate block),
    // the sum exact in candidate_accum_t
    // h = z * h + (1 - z) * hh
    template <class x_T, class hc_T, class h_T, typename CONFIG_T>
    static void step(const x_T x[CONFIG_T::n_in], const hc_T hc[CONFIG_T::n_units],
                     typename CONFIG_T::state_t c[CONFIG_T::n_units], h_T h[CONFIG_T::n_units],
                     const typename CONFIG_T::weight_t w[CONFIG_T::n_in * 3 * CONFIG_T::n_units],
                     const typename CONFIG_T::recurrent_weight_t wr[CONFIG_T::n_units * 3 * CONFIG_T::n_units],
                     const typename CONFIG_T::bias_t b[3 * CONFIG_T::n_units],
                     const typename CONFIG_T::recurrent_bias_t br[3 * CONFIG_T::n_units]) {
        #pragma HLS INLINE
        const unsigned U = CONFIG_T::n_units;
        typedef typename CONFIG_T::accum_t accum_t;
        typedef typename fast_accum<accum_t>::type acc_t;
        acc_t ax[3 * U], ah[3 * U];
        #pragma HLS ARRAY_PARTITION variable=ax complete
        #pragma HLS ARRAY_PARTITION variable=ah complete
        for (unsigned j = 0; j < 3 * U; j++) {
            #pragma HLS UNROLL
            ax[j] = (accum_t)b[j];
            ah[j] = (accum_t)br[j];
        }
        mac_rows<acc_t, x_T, typename CONFIG_T::weight_t, CONFIG_T::n_in, 3 * U, 3 * U, 0>(ax, x, w);
        if (CONFIG_T::reset_after)
            mac_rows<acc_t, hc_T, typename CONFIG_T::recurrent_weight_t, U, 3 * U, 3 * U, 0>(ah, hc, wr);
        else
            mac_rows<acc_t, hc_T, typename CONFIG_T::recurrent_weight_t, U, 2 * U, 3 * U, 0>(ah, hc, wr);
        accum_t zr_in[2 * U];
        typename CONFIG_T::gate_t zr[2 * U];
        #pragma HLS ARRAY_PARTITION variable=zr_in complete
        #pragma HLS ARRAY_PARTITION variable=zr complete
        for (unsigned j = 0; j < 2 * U; j++) {
            #pragma HLS UNROLL
            zr_in[j] = (accum_t)ax[j] + (accum_t)ah[j];
        }
        CONFIG_T::recurrent_activation(zr_in, zr);
        typedef typename CONFIG_T::candidate_accum_t cand_acc_t;
        cand_acc_t pre[U];
        #pragma HLS ARRAY_PARTITION variable=pre complete
        if (CONFIG_T::reset_after) {
            for (unsigned j = 0; j < U; j++) {
                #pragma HLS UNROLL
                const accum_t a = ah[2 * U + j];
                pre[j] = (accum_t)ax[2 * U + j] + zr[U + j] * a;
            }
        } else {
            typename CONFIG_T::reset_state_t rh[U];
            typename fast_accum<cand_acc_t>::type ahh[U];
            #pragma HLS ARRAY_PARTITION variable=rh complete
            #pragma HLS ARRAY_PARTITION variable=ahh complete
            for (unsigned j = 0; j < U; j++) {
                #pragma HLS UNROLL
                rh[j] = zr[U + j] * hc[j];
                ahh[j] = (cand_acc_t)br[2 * U + j];
            }
            mac_rows<typename fast_accum<cand_acc_t>::type, typename CONFIG_T::reset_state_t,
                     typename CONFIG_T::recurrent_weight_t, U, U, 3 * U, 2 * U>(ahh, rh, wr);
            for (unsigned j = 0; j < U; j++) {
                #pragma HLS UNROLL
                pre[j] = (accum_t)ax[2 * U + j] + (cand_acc_t)ahh[j];
            }
        }
        typename CONFIG_T::candidate_t hh[U];
        #pragma HLS ARRAY_PARTITION variable=hh complete
        CONFIG_T::activation(pre, hh);
        for (unsigned j = 0; j < U; j++) {
            #pragma HLS UNROLL
            h[j] = (h_T)(zr[j] * hc[j] + (1 - zr[j]) * hh[j]);
        }
    }
};

// hc = result_carry_t(h); c = state_carry_t(c): the state the next step sees.
template <class h_T, typename CONFIG_T>
inline void carry(const h_T h[CONFIG_T::n_units], typename CONFIG_T::result_carry_t hc[CONFIG_T::n_units],
                  typename CONFIG_T::state_t c[CONFIG_T::n_units]) {
    #pragma HLS INLINE
    for (unsigned j = 0; j < CONFIG_T::n_units; j++) {
        #pragma HLS UNROLL
        hc[j] = h[j];
        c[j] = (typename CONFIG_T::state_carry_t)c[j];
    }
}

// The cell's state before the first step: h, its carried copy and c at zero.
template <typename CONFIG_T, class h_T>
inline void reset_state(h_T h[CONFIG_T::n_units], typename CONFIG_T::result_carry_t hc[CONFIG_T::n_units],
                        typename CONFIG_T::state_t c[CONFIG_T::n_units]) {
    #pragma HLS INLINE
    for (unsigned j = 0; j < CONFIG_T::n_units; j++) {
        #pragma HLS UNROLL
        h[j] = 0;
        hc[j] = 0;
        c[j] = 0;
    }
}

// The state before the first step given as inputs (PyTorch's h0, c0): hc = result_carry_t(h0),
// c = state_t(state_carry_t(c0)), as carry() leaves them after a step.
template <typename CONFIG_T, class h0_T>
inline void initial_h(const h0_T h0[CONFIG_T::n_units], typename CONFIG_T::result_carry_t hc[CONFIG_T::n_units]) {
    #pragma HLS INLINE
    for (unsigned j = 0; j < CONFIG_T::n_units; j++) {
        #pragma HLS UNROLL
        hc[j] = h0[j];
    }
}

template <typename CONFIG_T, class c0_T>
inline void initial_c(const c0_T c0[CONFIG_T::n_units], typename CONFIG_T::state_t c[CONFIG_T::n_units]) {
    #pragma HLS INLINE
    for (unsigned j = 0; j < CONFIG_T::n_units; j++) {
        #pragma HLS UNROLL
        c[j] = (typename CONFIG_T::state_carry_t)c0[j];
    }
}

// ----------------------------------------------------------------------------- io_parallel
// data: n_timesteps x n_in (step-major); res: n_units, or n_timesteps x n_units with
// return_sequences.  The network's pipeline unrolls the time loop; the multiplier limit
// shares the products of all steps.  recurrent starts from the zero state, recurrent_init
// from the initial states h0 (and, LSTM, c0); both run recurrent_steps.
template <class data_T, class res_T, typename CONFIG_T>
void recurrent_steps(const data_T data[CONFIG_T::n_timesteps * CONFIG_T::n_in],
                     res_T res[CONFIG_T::return_sequences ? CONFIG_T::n_timesteps * CONFIG_T::n_units : CONFIG_T::n_units],
                     res_T h[CONFIG_T::n_units], typename CONFIG_T::result_carry_t hc[CONFIG_T::n_units],
                     typename CONFIG_T::state_t c[CONFIG_T::n_units],
               const typename CONFIG_T::weight_t w[CONFIG_T::n_in * CONFIG_T::n_gates * CONFIG_T::n_units],
               const typename CONFIG_T::recurrent_weight_t wr[CONFIG_T::n_units * CONFIG_T::n_gates * CONFIG_T::n_units],
               const typename CONFIG_T::bias_t b[CONFIG_T::n_gates * CONFIG_T::n_units],
               const typename CONFIG_T::recurrent_bias_t br[CONFIG_T::n_gates * CONFIG_T::n_units]) {
    #pragma HLS INLINE
    const unsigned T = CONFIG_T::n_timesteps, U = CONFIG_T::n_units;
Time:
    for (unsigned s = 0; s < T; s++) {
        const unsigned t = CONFIG_T::go_backwards ? T - 1 - s : s;
        data_T x[CONFIG_T::n_in];
        #pragma HLS ARRAY_PARTITION variable=x complete
        for (unsigned i = 0; i < CONFIG_T::n_in; i++) {
            #pragma HLS UNROLL
            x[i] = data[t * CONFIG_T::n_in + i];
        }
        CONFIG_T::cell::template step<data_T, typename CONFIG_T::result_carry_t, res_T, CONFIG_T>(x, hc, c, h, w, wr,
                                                                                                  b, br);
        carry<res_T, CONFIG_T>(h, hc, c);
        if (CONFIG_T::return_sequences) {
            const unsigned o = CONFIG_T::reverse_output ? T - 1 - s : s;
            for (unsigned j = 0; j < U; j++) {
                #pragma HLS UNROLL
                res[o * U + j] = h[j];
            }
        }
    }
    if (!CONFIG_T::return_sequences) {
        for (unsigned j = 0; j < U; j++) {
            #pragma HLS UNROLL
            res[j] = h[j];
        }
    }
}


template <class data_T, class res_T, typename CONFIG_T>
void recurrent(const data_T data[CONFIG_T::n_timesteps * CONFIG_T::n_in], res_T res[CONFIG_T::return_sequences ? CONFIG_T::n_timesteps * CONFIG_T::n_units : CONFIG_T::n_units],
               const typename CONFIG_T::weight_t w[CONFIG_T::n_in * CONFIG_T::n_gates * CONFIG_T::n_units],
               const typename CONFIG_T::recurrent_weight_t wr[CONFIG_T::n_units * CONFIG_T::n_gates * CONFIG_T::n_units],
               const typename CONFIG_T::bias_t b[CONFIG_T::n_gates * CONFIG_T::n_units],
               const typename CONFIG_T::recurrent_bias_t br[CONFIG_T::n_gates * CONFIG_T::n_units]) {
    #pragma HLS ARRAY_PARTITION variable=w complete
    #pragma HLS ARRAY_PARTITION variable=wr complete
    #pragma HLS ARRAY_PARTITION variable=b complete
    #pragma HLS ARRAY_PARTITION variable=br complete
    #pragma HLS ALLOCATION operation instances=mul limit=CONFIG_T::multiplier_limit
    res_T h[CONFIG_T::n_units];
    typename CONFIG_T::result_carry_t hc[CONFIG_T::n_units];
    typename CONFIG_T::state_t c[CONFIG_T::n_units];
    #pragma HLS ARRAY_PARTITION variable=h complete
    #pragma HLS ARRAY_PARTITION variable=hc complete
    #pragma HLS ARRAY_PARTITION variable=c complete
    reset_state<CONFIG_T>(h, hc, c);
    recurrent_steps<data_T, res_T, CONFIG_T>(data, res, h, hc, c, w, wr, b, br);
}

template <class data_T, class h0_T, class c0_T, class res_T, typename CONFIG_T>
void recurrent_init(const data_T data[CONFIG_T::n_timesteps * CONFIG_T::n_in], const h0_T h0[CONFIG_T::n_units], const c0_T c0[CONFIG_T::n_units], res_T res[CONFIG_T::return_sequences ? CONFIG_T::n_timesteps * CONFIG_T::n_units : CONFIG_T::n_units],
               const typename CONFIG_T::weight_t w[CONFIG_T::n_in * CONFIG_T::n_gates * CONFIG_T::n_units],
               const typename CONFIG_T::recurrent_weight_t wr[CONFIG_T::n_units * CONFIG_T::n_gates * CONFIG_T::n_units],
               const typename CONFIG_T::bias_t b[CONFIG_T::n_gates * CONFIG_T::n_units],
               const typename CONFIG_T::recurrent_bias_t br[CONFIG_T::n_gates * CONFIG_T::n_units]) {
    #pragma HLS ARRAY_PARTITION variable=w complete
    #pragma HLS ARRAY_PARTITION variable=wr complete
    #pragma HLS ARRAY_PARTITION variable=b complete
    #pragma HLS ARRAY_PARTITION variable=br complete
    #pragma HLS ALLOCATION operation instances=mul limit=CONFIG_T::multiplier_limit
    res_T h[CONFIG_T::n_units];
    typename CONFIG_T::result_carry_t hc[CONFIG_T::n_units];
    typename CONFIG_T::state_t c[CONFIG_T::n_units];
    #pragma HLS ARRAY_PARTITION variable=h complete
    #pragma HLS ARRAY_PARTITION variable=hc complete
    #pragma HLS ARRAY_PARTITION variable=c complete
    reset_state<CONFIG_T>(h, hc, c);
    initial_h<CONFIG_T>(h0, hc);
    initial_c<CONFIG_T>(c0, c);
    recurrent_steps<data_T, res_T, CONFIG_T>(data, res, h, hc, c, w, wr, b, br);
}

// h0 alone (a GRU or an RNN; an LSTM given h0 only is refused by hlsgen): c starts at zero,
// which initial_c of a zero c0 gives exactly.
template <class data_T, class h0_T, class res_T, typename CONFIG_T>
void recurrent_init(const data_T data[CONFIG_T::n_timesteps * CONFIG_T::n_in], const h0_T h0[CONFIG_T::n_units], res_T res[CONFIG_T::return_sequences ? CONFIG_T::n_timesteps * CONFIG_T::n_units : CONFIG_T::n_units],
               const typename CONFIG_T::weight_t w[CONFIG_T::n_in * CONFIG_T::n_gates * CONFIG_T::n_units],
               const typename CONFIG_T::recurrent_weight_t wr[CONFIG_T::n_units * CONFIG_T::n_gates * CONFIG_T::n_units],
               const typename CONFIG_T::bias_t b[CONFIG_T::n_gates * CONFIG_T::n_units],
               const typename CONFIG_T::recurrent_bias_t br[CONFIG_T::n_gates * CONFIG_T::n_units]) {
    #pragma HLS INLINE
    typename CONFIG_T::state_carry_t c0[CONFIG_T::n_units];
    #pragma HLS ARRAY_PARTITION variable=c0 complete
    for (unsigned j = 0; j < CONFIG_T::n_units; j++) {
        #pragma HLS UNROLL
        c0[j] = 0;
    }
    recurrent_init<data_T, h0_T, typename CONFIG_T::state_carry_t, res_T, CONFIG_T>(data, h0, c0, res, w, wr, b, br);
}

#if NNET_HAVE_STREAM
// ----------------------------------------------------------------------------- io_stream
// One input beat (n_in features) per time step; with return_sequences one output beat
// (n_units) per step, else one beat with the last h.  go_backwards / reverse_output need
// the whole sequence first: it is buffered then.
template <class data_T, class res_T, typename CONFIG_T>
void recurrent_stream(hls::stream<data_T>& data, hls::stream<res_T>& res,
                      const typename CONFIG_T::weight_t w[CONFIG_T::n_in * CONFIG_T::n_gates * CONFIG_T::n_units],
                      const typename CONFIG_T::recurrent_weight_t wr[CONFIG_T::n_units * CONFIG_T::n_gates * CONFIG_T::n_units],
                      const typename CONFIG_T::bias_t b[CONFIG_T::n_gates * CONFIG_T::n_units],
                      const typename CONFIG_T::recurrent_bias_t br[CONFIG_T::n_gates * CONFIG_T::n_units]) {
    typedef typename data_T::value_type x_T;
    typedef typename res_T::value_type h_T;
    const unsigned T = CONFIG_T::n_timesteps, U = CONFIG_T::n_units, N = CONFIG_T::n_in;
    const bool buffered = CONFIG_T::go_backwards || (CONFIG_T::return_sequences && CONFIG_T::reverse_output);
    #pragma HLS ARRAY_PARTITION variable=w complete
    #pragma HLS ARRAY_PARTITION variable=wr complete
    #pragma HLS ARRAY_PARTITION variable=b complete
    #pragma HLS ARRAY_PARTITION variable=br complete
    #pragma HLS ALLOCATION operation instances=mul limit=CONFIG_T::multiplier_limit
    h_T h[U];
    typename CONFIG_T::result_carry_t hc[U];
    typename CONFIG_T::state_t c[U];
    #pragma HLS ARRAY_PARTITION variable=h complete
    #pragma HLS ARRAY_PARTITION variable=hc complete
    #pragma HLS ARRAY_PARTITION variable=c complete
    reset_state<CONFIG_T>(h, hc, c);
    // only used when buffered (go_backwards, reverse_output)
    x_T xbuf[buffered ? T * N : 1];
    h_T hbuf[buffered ? T * U : 1];
    if (buffered) {
    ReadAll:
        for (unsigned t = 0; t < T; t++) {
            #pragma HLS PIPELINE
            const data_T a = data.read();
            for (unsigned i = 0; i < N; i++) {
                #pragma HLS UNROLL
                xbuf[t * N + i] = a[i];
            }
        }
    }
Time:
    for (unsigned s = 0; s < T; s++) {
        #pragma HLS PIPELINE II=CONFIG_T::pipeline_ii
        x_T x[N];
        #pragma HLS ARRAY_PARTITION variable=x complete
        if (buffered) {
            const unsigned t = CONFIG_T::go_backwards ? T - 1 - s : s;
            for (unsigned i = 0; i < N; i++) {
                #pragma HLS UNROLL
                x[i] = xbuf[t * N + i];
            }
        } else {
            const data_T a = data.read();
            for (unsigned i = 0; i < N; i++) {
                #pragma HLS UNROLL
                x[i] = a[i];
            }
        }
        CONFIG_T::cell::template step<x_T, typename CONFIG_T::result_carry_t, h_T, CONFIG_T>(x, hc, c, h, w, wr, b, br);
        carry<h_T, CONFIG_T>(h, hc, c);
        if (CONFIG_T::return_sequences) {
            if (buffered) {
                const unsigned o = CONFIG_T::reverse_output ? T - 1 - s : s;
                for (unsigned j = 0; j < U; j++) {
                    #pragma HLS UNROLL
                    hbuf[o * U + j] = h[j];
                }
            } else {
                res_T o;
                for (unsigned j = 0; j < U; j++) {
                    #pragma HLS UNROLL
                    o[j] = h[j];
                }
                res.write(o);
            }
        }
    }
    if (CONFIG_T::return_sequences && buffered) {
    WriteAll:
        for (unsigned t = 0; t < T; t++) {
            #pragma HLS PIPELINE
            res_T o;
            for (unsigned j = 0; j < U; j++) {
                #pragma HLS UNROLL
                o[j] = hbuf[t * U + j];
            }
            res.write(o);
        }
    }
    if (!CONFIG_T::return_sequences) {
        res_T o;
        for (unsigned j = 0; j < U; j++) {
            #pragma HLS UNROLL
            o[j] = h[j];
        }
        res.write(o);
    }
}
#endif  // NNET_HAVE_STREAM

} // namespace nnet

#endif
