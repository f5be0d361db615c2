// hlsgen layer library: the C-simulation kernel of Dense (host builds only).
//
// Used by nnet_dense.h when HLSGEN_RAW_CSIM holds and raw_mac applies (a signed AP_TRN /
// AP_WRAP accumulator of at most 64 bits, exact products; see raw_mac in nnet_array.h for
// why the raw sum is bit-identical to the synthesized accumulator in any order).  It never
// exists under __SYNTHESIS__: synthesis sees dense_latency / dense_resource only.
//
// The kernel is compiled once per raw signature (data integer, weight integer, product
// and sum integers, shift), not per layer: sizes are run-time arguments, and the bias and
// output conversions, which depend on the layer's types, stay in the caller.
//
// Speed: the outputs are taken in blocks of JB, whose sums stay in vector registers
// while the inputs stream past (GCC vectorizes the fixed-length inner loops for the
// host's vector unit, -march=native; any target gets the same integers).  Where the types
// bound every product below 2^(31 - L), blocks of up to 2^L - 1 terms are first summed in
// 32-bit lanes (no such partial sum can overflow) and then added into the wide sums: the
// products are integers, so the total is the same integer however it is grouped.
#ifndef NNET_DENSE_RAW_H_
#define NNET_DENSE_RAW_H_

#include "nnet_array.h"

#if HLSGEN_RAW_CSIM

namespace nnet {

// 16-bit multiply-add (x86 pmaddwd, AVX-512BW or AVX2): for 16-bit weights and at most
// 16-bit data, x = 256 * xh + xl with xl = x & 255 in [0, 255] and xh = x >> 8 in
// [-128, 255]; every product xl * w and xh * w is below 2^23 in magnitude, pmaddwd adds two
// of them exactly into a 32-bit lane (below 2^24), and 64 such pairs stay below 2^30.  The
// 32-bit sums are then added into the 64-bit ones as ((hi << 8) + lo) << SH: the same
// integer as the sum of the products, so the same bits (the weights of rows i and i+1 are
// interleaved per output by a lane shuffle; the lanes keep the outputs' order).
#if HLSGEN_RAW_CSIM && defined(__GNUC__) && !defined(__clang__) && (defined(__AVX512BW__) || defined(__AVX2__))
#define NNET_HAVE_MADD16 1
template <class XT, class WT, class U, int SH> struct madd16 {
    enum {
        ok = sizeof(XT) <= 2 && sizeof(WT) == 2 && (WT)(-1) < 0 && sizeof(U) == 8 && SH >= 0,
        MAX_IN = 4096, PAIRS = 64, JB = 32
    };
#if defined(__AVX512BW__)
    enum { L = 32 };  // int16 lanes per vector
    typedef short vh __attribute__((vector_size(64)));
    typedef int vs __attribute__((vector_size(64)));
    static inline vs madd(vh a, vh b) { return (vs)__builtin_ia32_pmaddwd512_mask(a, b, (vs){}, (unsigned short)0xFFFF); }
    static inline void interleave(vh a, vh b, vh& lo, vh& hi) {
        const vh ml = {0, 32, 1, 33, 2, 34, 3, 35, 4, 36, 5, 37, 6, 38, 7, 39,
                       8, 40, 9, 41, 10, 42, 11, 43, 12, 44, 13, 45, 14, 46, 15, 47};
        const vh mh = {16, 48, 17, 49, 18, 50, 19, 51, 20, 52, 21, 53, 22, 54, 23, 55,
                       24, 56, 25, 57, 26, 58, 27, 59, 28, 60, 29, 61, 30, 62, 31, 63};
        lo = __builtin_shuffle(a, b, ml);
        hi = __builtin_shuffle(a, b, mh);
    }
#else
    enum { L = 16 };
    typedef short vh __attribute__((vector_size(32)));
    typedef int vs __attribute__((vector_size(32)));
    static inline vs madd(vh a, vh b) { return (vs)__builtin_ia32_pmaddwd256((vh)a, (vh)b); }
    static inline void interleave(vh a, vh b, vh& lo, vh& hi) {
        const vh ml = {0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23};
        const vh mh = {8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31};
        lo = __builtin_shuffle(a, b, ml);
        hi = __builtin_shuffle(a, b, mh);
    }
#endif
    enum { NV = JB / L };  // vectors of int16 per block of JB outputs

    static inline vh load(const WT* p) {
        vh v;
        __builtin_memcpy(&v, p, sizeof(v));
        return v;
    }
    static inline vh pair(uint32_t v) {
        vs b;
        for (unsigned k = 0; k < sizeof(vs) / 4; k++) b[k] = (int)v;
        return (vh)b;
    }

    // The blocks of JB outputs (n_out / JB of them) of dense_raw_core::run.
    static void run(const XT* x, const WT* w, U* acc, unsigned n_in, unsigned n_out) {
        const unsigned np = (n_in + 1) / 2;
        uint32_t xl[MAX_IN / 2], xh[MAX_IN / 2];  // (x_i, x_i+1) as two int16 halves, low and high bytes
        for (unsigned q = 0; q < np; q++) {
            const int32_t a = (int32_t)x[2 * q], b = 2 * q + 1 < n_in ? (int32_t)x[2 * q + 1] : 0;
            xl[q] = (uint32_t)(a & 255) | ((uint32_t)(b & 255) << 16);
            xh[q] = (uint32_t)(uint16_t)(int16_t)(a >> 8) | ((uint32_t)(uint16_t)(int16_t)(b >> 8) << 16);
        }
        const vh zero = {};
        for (unsigned j0 = 0; j0 + JB <= n_out; j0 += JB) {
            int64_t t[JB];
            for (unsigned j = 0; j < JB; j++) t[j] = 0;
            for (unsigned q0 = 0; q0 < np; q0 += PAIRS) {
                const unsigned q1 = q0 + PAIRS < np ? q0 + PAIRS : np;
                vs lo[2 * NV] = {}, hi[2 * NV] = {};
                for (unsigned q = q0; q < q1; q++) {
                    const WT* r0 = w + (size_t)(2 * q) * n_out + j0;
                    const bool two = 2 * q + 1 < n_in;
                    const vh L_ = pair(xl[q]), H_ = pair(xh[q]);
                    for (unsigned v = 0; v < NV; v++) {
                        vh p0, p1;
                        interleave(load(r0 + v * L), two ? load(r0 + n_out + v * L) : zero, p0, p1);
                        lo[2 * v] += madd(p0, L_);
                        lo[2 * v + 1] += madd(p1, L_);
                        hi[2 * v] += madd(p0, H_);
                        hi[2 * v + 1] += madd(p1, H_);
                    }
                }
                for (unsigned v = 0; v < 2 * NV; v++)
                    for (unsigned k = 0; k < L / 2; k++)
                        t[v * (L / 2) + k] += (int64_t)hi[v][k] * 256 + (int64_t)lo[v][k];
            }
            for (unsigned j = 0; j < JB; j++) acc[j0 + j] += (U)((U)t[j] << SH);
        }
    }
};
static const unsigned MADD_MIN = 8192;

// madd16::run is compiled only for the signatures it takes (compile time).
template <bool OK> struct madd16_select {
    template <class XT, class WT, class U, int SH> static bool run(const XT*, const WT*, U*, unsigned, unsigned) {
        return false;
    }
};
template <> struct madd16_select<true> {
    template <class XT, class WT, class U, int SH>
    static bool run(const XT* x, const WT* w, U* acc, unsigned n_in, unsigned n_out) {
        madd16<XT, WT, U, SH>::run(x, w, acc, n_in, n_out);
        return true;
    }
};
#else
#define NNET_HAVE_MADD16 0
static const unsigned MADD_MIN = 0;
#endif

// XT, WT: the raw integers of data and weights; U: the (modular) sum; SH: the shift of a
// product onto the accumulator's grid; PN: the bits of a product as a signed integer
// (a-bit by b-bit: a + b, as |p| <= 2^(a+b-2) for two signed factors and |p| < 2^(a+b-1)
// for one unsigned; a + b + 1 for two unsigned), so |p| <= 2^(PN-1).  Products are computed
// in P, 32 bits when PN <= 32.  Nothing else of the layer's types reaches this code.
// MADD: the layer takes madd16 (below), decided by the caller: only layers of at least
// MADD_MIN products do, so the small networks do not pay its compile time.
template <class XT, class WT, class U, int SH, int PN, bool MADD> struct dense_raw_core {
    typedef typename select_t<sizeof(U) == 4, int32_t, int64_t>::type S;
    typedef typename select_t<PN <= 32, int32_t, int64_t>::type P;
    enum {
        JB = 32,
        // KB terms of |p| <= 2^(PN-1) sum below 2^31 in 32 bits for KB <= 2^(32-PN) - 1
        L = 32 - PN,
        block32 = (SH >= 0 && L >= 1 && sizeof(U) == 8),
        KB = block32 ? (L >= 20 ? (1 << 20) - 1 : (1 << L) - 1) : 1
    };

    static inline U term(P x, P w) {  // as raw_mac::term
        const P p = x * w;
        return SH >= 0 ? (U)((U)(S)p << (SH >= 0 ? SH : 0)) : (U)(S)(p >> (SH < 0 ? -SH : 0));
    }

    // acc[j] (j < n_out) holds the starting sums; on return the sums of all n_in terms.
    static __attribute__((noinline)) void run(const XT* x, const WT* w, U* acc, unsigned n_in, unsigned n_out) {
        unsigned j0 = 0;
#if NNET_HAVE_MADD16
        if (n_in <= madd16<XT, WT, U, SH>::MAX_IN && n_out >= JB &&
            madd16_select<MADD && (bool)madd16<XT, WT, U, SH>::ok>::template run<XT, WT, U, SH>(x, w, acc, n_in, n_out))
            j0 = n_out / JB * JB;
#endif
        for (; j0 + JB <= n_out; j0 += JB) block<JB>(x, w + j0, acc + j0, n_in, n_out);
        for (; j0 + 8 <= n_out; j0 += 8) block<8>(x, w + j0, acc + j0, n_in, n_out);
        for (; j0 < n_out; j0++) block<1>(x, w + j0, acc + j0, n_in, n_out);
    }

    template <unsigned N>
    static inline NNET_CSIM_INLINE void block(const XT* x, const WT* w, U* acc, unsigned n_in, unsigned stride) {
        U a[N];
        NNET_CSIM_UNROLL
        for (unsigned j = 0; j < N; j++) a[j] = acc[j];
        if (block32) {
            for (unsigned i0 = 0; i0 < n_in; i0 += KB) {
                const unsigned i1 = i0 + KB < n_in ? i0 + KB : n_in;
                int32_t p[N];
                NNET_CSIM_UNROLL
                for (unsigned j = 0; j < N; j++) p[j] = 0;
                for (unsigned i = i0; i < i1; i++) {
                    const int32_t xi = (int32_t)x[i];
                    const WT* wr = w + (size_t)i * stride;
                    NNET_CSIM_UNROLL
                    for (unsigned j = 0; j < N; j++) p[j] += xi * (int32_t)wr[j];
                }
                NNET_CSIM_UNROLL
                for (unsigned j = 0; j < N; j++) a[j] += (U)((U)(S)p[j] << (SH >= 0 ? SH : 0));
            }
        } else {
            for (unsigned i = 0; i < n_in; i++) {
                const P xi = (P)x[i];
                const WT* wr = w + (size_t)i * stride;
                NNET_CSIM_UNROLL
                for (unsigned j = 0; j < N; j++) a[j] += term(xi, (P)wr[j]);
            }
        }
        NNET_CSIM_UNROLL
        for (unsigned j = 0; j < N; j++) acc[j] = a[j];
    }
};

// True while the saturation counters watch conversions into T (hlsgen_trace.h).  The raw
// kernel wraps its sums without a conversion, so a layer whose accumulator type is its
// result type runs the plain code while it is counted (the first samples of a predict).
template <class T> inline bool sat_watching() {
#if defined(HLSGEN_SAT_COUNT) && defined(HLSGEN_AP_COMMON_H)
    if (!(apx::sat_hooked<T>::v && apx::sat_tag<T>::armed)) return false;
    const apx::sat_slot* s = apx::sat_state<0>::watch;
    return s != 0 && s->tag == apx::tag_of<T>();
#else
    return false;
#endif
}

// The outputs of a Dense from its raw sums: one function per sum, result type and activation,
// shared by the layers that have them, by this kernel and by the batched one (compile time).
template <class M, class res_T, unsigned ACT>
__attribute__((noinline)) void dense_raw_outputs(const typename M::U* acc, res_T* res, unsigned n) {
    for (unsigned j = 0; j < n; j++) res[j] = raw_output<M, res_T>::run(acc[j], ACT);
}

// Dense on raw integers: res[j] = act(bias[j] + sum_i data[i] * weights[i * n_out + j]).
template <class data_T, class res_T, typename CONFIG_T>
inline void dense_raw(const data_T* data, res_T* res, const typename CONFIG_T::weight_t* weights,
                      const typename CONFIG_T::bias_t* biases) {
    typedef typename CONFIG_T::weight_t weight_T;
    typedef raw_mac<data_T, weight_T, typename CONFIG_T::accum_t> M;
    static_assert(sizeof(data_T) == sizeof(typename data_T::T) && sizeof(weight_T) == sizeof(typename weight_T::T),
                  "hlsgen: an ap type is its raw integer");
    enum { PN = M::DW + M::WW - ((fx_info<data_T>::s && fx_info<weight_T>::s) ? 0 : 1) };
    typename M::U acc[CONFIG_T::n_out];
    for (unsigned j = 0; j < CONFIG_T::n_out; j++) acc[j] = M::start(biases[j]);
    dense_raw_core<typename data_T::T, typename weight_T::T, typename M::U, M::SH, PN,
                   (CONFIG_T::n_in * CONFIG_T::n_out >= MADD_MIN)>::run(
        reinterpret_cast<const typename data_T::T*>(data), reinterpret_cast<const typename weight_T::T*>(weights), acc,
        CONFIG_T::n_in, CONFIG_T::n_out);
    dense_raw_outputs<M, res_T, CONFIG_T::activation>(acc, res, CONFIG_T::n_out);
}

template <unsigned S> struct dense_strategy;  // nnet_dense.h: the synthesizable code

// RAW: raw_mac applies; SAME: the accumulator type is the result type.  Only what a layer
// can run is instantiated (compile time).
template <bool RAW, bool SAME> struct dense_raw_select {  // other types: the plain code
    template <class data_T, class res_T, typename CONFIG_T>
    static void run(const data_T* data, res_T* res, const typename CONFIG_T::weight_t* w,
                    const typename CONFIG_T::bias_t* b) {
        dense_strategy<CONFIG_T::strategy>::template run<data_T, res_T, CONFIG_T>(data, res, w, b);
    }
};
template <> struct dense_raw_select<true, false> {
    template <class data_T, class res_T, typename CONFIG_T>
    static void run(const data_T* data, res_T* res, const typename CONFIG_T::weight_t* w,
                    const typename CONFIG_T::bias_t* b) {
        dense_raw<data_T, res_T, CONFIG_T>(data, res, w, b);
    }
};
template <> struct dense_raw_select<true, true> {
    template <class data_T, class res_T, typename CONFIG_T>
    static void run(const data_T* data, res_T* res, const typename CONFIG_T::weight_t* w,
                    const typename CONFIG_T::bias_t* b) {
        if (sat_watching<typename CONFIG_T::accum_t>())
            dense_strategy<CONFIG_T::strategy>::template run<data_T, res_T, CONFIG_T>(data, res, w, b);
        else
            dense_raw<data_T, res_T, CONFIG_T>(data, res, w, b);
    }
};

}  // namespace nnet

#endif  // HLSGEN_RAW_CSIM

#endif
