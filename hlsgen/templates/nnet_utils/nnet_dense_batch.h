// hlsgen layer library: Dense over a block of samples (C simulation only, host builds).
//
// The bridge's batched network (myproject_bridge.cpp, io_parallel) runs each layer on a
// block of n samples in turn; this is Dense's kernel for it.  It never exists under
// __SYNTHESIS__ (nor with HLSGEN_NO_FAST_CSIM): synthesis sees dense() per sample only.
//
// Where raw_mac applies (nnet_array.h: every sum is an integer sum modulo 2^W) and the
// raw data and weights fit 16-bit lanes, the products are summed with the 16-bit
// multiply-add of the host's vector unit (x86 pmaddwd, AVX-512BW or AVX2), each weight
// vector loaded once for SB samples.  Exactness, per pmaddwd lane (two products added
// exactly into 32 bits):
//   * SPLIT: x = 256 * xh + xl, xl = x & 255 in [0, 255], xh = x >> 8 in [-128, 255] (any
//     data of at most 16 bits, signed or not) and |w| <= 2^15 (weights of at most 16
//     signed or 15 unsigned bits): |xl * w|, |xh * w| < 2^23, a lane gains < 2^24 per
//     pair of inputs and PAIRS = 64 pairs stay below 2^30.
//   * DIRECT (data that is itself an int16 and products of at most PN <= 24 bits as
//     signed integers, |p| <= 2^(PN-1)): a lane gains <= 2^PN per pair, and
//     2^(30-PN) pairs stay within 2^30.
// The 32-bit partial sums are added into 64-bit totals (SPLIT: 256 * hi + lo), which are
// the exact integer sums of the products; raw_mac's modular sum is that integer shifted
// by SH >= 0 and wrapped, so acc = start(bias) + (total << SH) is the synthesized
// accumulator bit for bit, whatever the order of the terms.  Other types: dense() per
// sample.  Compiled once per raw signature (data, weight and sum integers, shift), not
// per layer: sizes are run-time arguments.
#ifndef NNET_DENSE_BATCH_H_
#define NNET_DENSE_BATCH_H_

#include <vector>

#include "nnet_dense_raw.h"

#if HLSGEN_FAST_CSIM

namespace nnet {

template <class data_T, class res_T, typename CONFIG_T, bool RAW> struct dense_batch_impl {
    // other types (and other ap_types headers): the layer per sample
    static void run(const data_T* data, res_T* res, const typename CONFIG_T::weight_t* w,
                    const typename CONFIG_T::bias_t* b, unsigned n) {
        for (unsigned s = 0; s < n; s++) dense<data_T, res_T, CONFIG_T>(data + (size_t)s * CONFIG_T::n_in,
                                                                        res + (size_t)s * CONFIG_T::n_out, w, b);
    }
};

#if HLSGEN_RAW_CSIM

// A thread's scratch buffer number `slot` (of uint32 words), kept between calls.
inline uint32_t* batch_scratch(unsigned slot, size_t n) {
    static thread_local std::vector<uint32_t> buf[3];
    if (buf[slot].size() < n) buf[slot].resize(n);
    return buf[slot].data();
}

#if NNET_HAVE_MADD16
// The exact sums of the 16-bit kernel on packed operands, compiled once whatever the layers'
// types: wp holds, per block b of JB outputs and pair q of inputs, JB lanes (w[2q][j],
// w[2q+1][j]) as two int16; xp, per sample s and pair q, NH words (SPLIT: the low bytes,
// then the high bytes of x[2q], x[2q+1]; else the two values).  On return
// t[s * nb * JB + j] = sum_i x[s][i] * w[i][j] for the ns samples (a multiple of SB).
struct batch16_core {
#if defined(__AVX512BW__)
    enum { V = 16, SB = 4 };  // int32 lanes per vector, samples per weight load
    typedef short vh __attribute__((vector_size(64)));
    typedef int vs __attribute__((vector_size(64)));
#if defined(__AVX512VNNI__)
    static inline vs dot(vs c, vs a, vs b) { return __builtin_ia32_vpdpwssd_v16si(c, a, b); }  // c + pmaddwd(a, b)
#else
    static inline vs dot(vs c, vs a, vs b) {
        return c + (vs)__builtin_ia32_pmaddwd512_mask((vh)a, (vh)b, (vs){}, (unsigned short)0xFFFF);
    }
#endif
#else
    enum { V = 8, SB = 2 };
    typedef short vh __attribute__((vector_size(32)));
    typedef int vs __attribute__((vector_size(32)));
    static inline vs dot(vs c, vs a, vs b) { return c + (vs)__builtin_ia32_pmaddwd256((vh)a, (vh)b); }
#endif
    enum { NV = 2, JB = NV * V };  // JB outputs per block

    static inline vs load(const uint32_t* p) {
        vs v;
        __builtin_memcpy(&v, p, sizeof(v));
        return v;
    }

    template <bool SPLIT>
    static __attribute__((noinline)) void sums(const uint32_t* wp, const uint32_t* xp, int64_t* t, unsigned np,
                                               unsigned nb, unsigned ns, unsigned pairs) {
        enum { NH = SPLIT ? 2 : 1 };
        const size_t ldt = (size_t)nb * JB;
        for (unsigned b = 0; b < nb; b++) {
            const uint32_t* wb = wp + (size_t)b * np * JB;
            for (unsigned s0 = 0; s0 < ns; s0 += SB) {
                for (unsigned s = 0; s < SB; s++)
                    for (unsigned l = 0; l < JB; l++) t[(s0 + s) * ldt + b * JB + l] = 0;
                for (unsigned q0 = 0; q0 < np; q0 += pairs) {
                    const unsigned q1 = q0 + pairs < np ? q0 + pairs : np;
                    vs lo[SB][NV] = {}, hi[SB][NV] = {};
                    for (unsigned q = q0; q < q1; q++) {
                        vs wv[NV];
                        NNET_CSIM_UNROLL
                        for (unsigned v = 0; v < NV; v++) wv[v] = load(wb + ((size_t)q * NV + v) * V);
                        NNET_CSIM_UNROLL
                        for (unsigned s = 0; s < SB; s++) {
                            const uint32_t* d = xp + ((size_t)(s0 + s) * np + q) * NH;
                            const vs xl = (vs){} + (int)d[0];
                            NNET_CSIM_UNROLL
                            for (unsigned v = 0; v < NV; v++) lo[s][v] = dot(lo[s][v], wv[v], xl);
                            if (SPLIT) {
                                const vs xh = (vs){} + (int)d[NH - 1];
                                NNET_CSIM_UNROLL
                                for (unsigned v = 0; v < NV; v++) hi[s][v] = dot(hi[s][v], wv[v], xh);
                            }
                        }
                    }
                    // this chunk's exact sums (256 hi + lo) into the totals (vector registers reach
                    // memory only here: no element of lo, hi is addressed in the loop above)
                    NNET_CSIM_UNROLL
                    for (unsigned s = 0; s < SB; s++) {
                        NNET_CSIM_UNROLL
                        for (unsigned v = 0; v < NV; v++) {
                            int32_t l[V], h[V];
                            __builtin_memcpy(l, &lo[s][v], sizeof(l));
                            __builtin_memcpy(h, &hi[s][v], sizeof(h));
                            int64_t* d = t + (s0 + s) * ldt + b * JB + v * V;
                            for (unsigned k = 0; k < V; k++) d[k] += (int64_t)h[k] * 256 + (int64_t)l[k];
                        }
                    }
                }
            }
        }
    }
};

static inline uint32_t batch16_pack(int32_t a, int32_t b) { return (uint32_t)(uint16_t)a | ((uint32_t)(uint16_t)b << 16); }

// The operands of batch16_core::sums in its layout; one function per raw integer type (few),
// not per layer (compile time).
#define NNET_BATCH_PACK __attribute__((noinline))
template <class WT>
NNET_BATCH_PACK void batch16_pack_w(const WT* w, uint32_t* wp, unsigned n_in, unsigned n_out, unsigned np, unsigned nb) {
    const unsigned JB = batch16_core::JB;
    for (unsigned q = 0; q < np; q++) {
        const WT* r0 = w + (size_t)(2 * q) * n_out;
        const WT* r1 = 2 * q + 1 < n_in ? r0 + n_out : 0;
        for (unsigned b = 0; b < nb; b++) {
            uint32_t* d = wp + ((size_t)b * np + q) * JB;
            const unsigned j0 = b * JB, m = n_out - j0 < JB ? n_out - j0 : JB;
            if (r1)
                for (unsigned l = 0; l < m; l++) d[l] = batch16_pack(r0[j0 + l], r1[j0 + l]);
            else
                for (unsigned l = 0; l < m; l++) d[l] = batch16_pack(r0[j0 + l], 0);
            for (unsigned l = m; l < JB; l++) d[l] = 0;
        }
    }
}
template <class XT>
NNET_BATCH_PACK void batch16_pack_x(const XT* x, uint32_t* xp, unsigned n_in, unsigned n, unsigned np, unsigned ns,
                                    bool split) {
    const unsigned whole = n_in / 2;  // pairs of two inputs (then one more, alone, if n_in is odd)
    for (unsigned s = 0; s < n; s++) {
        const XT* r = x + (size_t)s * n_in;
        uint32_t* d = xp + (size_t)s * np * (split ? 2 : 1);
        if (split) {
            for (unsigned q = 0; q < whole; q++) {
                const int32_t a = r[2 * q], c = r[2 * q + 1];
                d[2 * q] = batch16_pack(a & 255, c & 255);
                d[2 * q + 1] = batch16_pack(a >> 8, c >> 8);
            }
            if (whole < np) {
                const int32_t a = r[2 * whole];
                d[2 * whole] = batch16_pack(a & 255, 0);
                d[2 * whole + 1] = batch16_pack(a >> 8, 0);
            }
        } else {
            for (unsigned q = 0; q < whole; q++) d[q] = batch16_pack(r[2 * q], r[2 * q + 1]);
            if (whole < np) d[whole] = batch16_pack(r[2 * whole], 0);
        }
    }
    for (size_t k = (size_t)n * np * (split ? 2 : 1); k < (size_t)ns * np * (split ? 2 : 1); k++) xp[k] = 0;
}

template <class XT, class WT, int SH, int PN> struct batch16 {
    enum {
        w16 = sizeof(WT) < 2 || (sizeof(WT) == 2 && (WT)(-1) < 0),
        direct = (sizeof(XT) == 1 || (sizeof(XT) == 2 && (XT)(-1) < 0)) && PN <= 24,
        ok = sizeof(XT) <= 2 && w16 && SH >= 0,
        PAIRS = direct ? (PN <= 18 ? 4096 : (1 << (30 - PN))) : 64,
        JB = batch16_core::JB, SB = batch16_core::SB, NH = direct ? 1 : 2
    };

    // t[s * ldt + j] (ldt: n_out rounded up to JB; s < n rounded up to SB): the exact sums.
    static int64_t* run(const XT* x, const WT* w, unsigned n_in, unsigned n_out, unsigned n, unsigned& ldt) {
        const unsigned np = (n_in + 1) / 2, nb = (n_out + JB - 1) / JB, ns = (n + SB - 1) / SB * SB;
        ldt = nb * JB;
        uint32_t* wp = batch_scratch(0, (size_t)nb * np * JB);
        batch16_pack_w(w, wp, n_in, n_out, np, nb);
        uint32_t* xp = batch_scratch(1, (size_t)ns * np * NH);
        batch16_pack_x(x, xp, n_in, n, np, ns, !direct);
        int64_t* t = reinterpret_cast<int64_t*>(batch_scratch(2, (size_t)ns * ldt * 2));
        batch16_core::sums<!direct>(wp, xp, t, np, nb, ns, PAIRS);
        return t;
    }
};
#endif

template <class data_T, class res_T, typename CONFIG_T> struct dense_batch_impl<data_T, res_T, CONFIG_T, true> {
    typedef typename CONFIG_T::weight_t weight_T;
    typedef raw_mac<data_T, weight_T, typename CONFIG_T::accum_t> M;
    typedef typename data_T::T XT;
    typedef typename weight_T::T WT;
    typedef typename M::U U;
    enum { PN = M::DW + M::WW - ((fx_info<data_T>::s && fx_info<weight_T>::s) ? 0 : 1) };

    static void run(const data_T* data, res_T* res, const weight_T* weights, const typename CONFIG_T::bias_t* biases,
                    unsigned n) {
        static_assert(sizeof(data_T) == sizeof(XT) && sizeof(weight_T) == sizeof(WT),
                      "hlsgen: an ap type is its raw integer");
#if NNET_HAVE_MADD16
        with16<(bool)batch16<XT, WT, M::SH, PN>::ok>::run(data, res, weights, biases, n);
#else
        dense_batch_impl<data_T, res_T, CONFIG_T, false>::run(data, res, weights, biases, n);
#endif
    }

    template <bool OK, int = 0> struct with16 {  // (only the path a layer takes is instantiated)
        static void run(const data_T* data, res_T* res, const weight_T* weights,
                        const typename CONFIG_T::bias_t* biases, unsigned n) {
            dense_batch_impl<data_T, res_T, CONFIG_T, false>::run(data, res, weights, biases, n);
        }
    };
#if NNET_HAVE_MADD16
    template <int D> struct with16<true, D> {
        static void run(const data_T* data, res_T* res, const weight_T* weights,
                        const typename CONFIG_T::bias_t* biases, unsigned n) {
            const unsigned NO = CONFIG_T::n_out;
            unsigned ldt = 0;
            const int64_t* t = batch16<XT, WT, M::SH, PN>::run(reinterpret_cast<const XT*>(data),
                                                               reinterpret_cast<const WT*>(weights), CONFIG_T::n_in,
                                                               NO, n, ldt);
            U start[NO];
            for (unsigned j = 0; j < NO; j++) start[j] = M::start(biases[j]);
            // raw_mac's modular sum: start(bias) + (the exact sum << SH), in U as there
            for (unsigned s = 0; s < n; s++)
                for (unsigned j = 0; j < NO; j++)
                    res[(size_t)s * NO + j] = raw_output<M, res_T>::run(
                        (U)(start[j] + (U)((U)t[(size_t)s * ldt + j] << (M::SH >= 0 ? M::SH : 0))),
                        CONFIG_T::activation);
        }
    };
#endif
};

#endif  // HLSGEN_RAW_CSIM

// Dense on n samples (data: n x n_in, res: n x n_out), as n calls of dense().  Only for a
// run whose saturation counters are off (the bridge runs counted samples one by one).
template <class data_T, class res_T, typename CONFIG_T>
void dense_batch(const data_T* data, res_T* res, const typename CONFIG_T::weight_t* weights,
                 const typename CONFIG_T::bias_t* biases, unsigned n) {
    dense_batch_impl<data_T, res_T, CONFIG_T,
                     (bool)raw_mac<data_T, typename CONFIG_T::weight_t, typename CONFIG_T::accum_t>::ok>::run(
        data, res, weights, biases, n);
}

}  // namespace nnet

#endif  // HLSGEN_FAST_CSIM

#endif
