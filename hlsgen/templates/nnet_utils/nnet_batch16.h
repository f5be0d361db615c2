// hlsgen layer library: the type-independent core of Dense's block kernel (C simulation
// only, host builds; nnet_dense_batch.h has the rest and the exactness argument).
//
// Nothing here depends on a layer's types: the packing of weights and data into int16 pairs
// and the 16-bit multiply-add sums on them, one function per raw data and weight integer (few).  It
// needs no other header, so hlsgen.csim compiles it once per compiler, flags and machine
// into a cached object (this file with HLSGEN_BATCH16_INSTANTIATE, every raw integer type)
// and compiles the projects with HLSGEN_BATCH16_OBJECT: they then see the declarations only
// and link that object (compile time).  Without HLSGEN_BATCH16_OBJECT (any other build of
// a project) the definitions are here, instantiated where used.
#ifndef NNET_BATCH16_H_
#define NNET_BATCH16_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#if defined(__GNUC__) && !defined(__clang__) && (defined(__AVX512BW__) || defined(__AVX2__))
#define NNET_BATCH16_ISA 1
#else
#define NNET_BATCH16_ISA 0
#endif

#if NNET_BATCH16_ISA

#define NNET_B16_UNROLL _Pragma("GCC unroll 64")

namespace nnet {

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
                                               unsigned nb, unsigned ns, unsigned pairs);
};

static inline uint32_t batch16_pack(int32_t a, int32_t b) { return (uint32_t)(uint16_t)a | ((uint32_t)(uint16_t)b << 16); }

// The exact sums t[s * ldt + j] = sum_i x[s][i] * w[i][j] (ldt: n_out rounded up to JB) of the
// n samples x (n x n_in) and the weights w (n_in x n_out), in scratch memory of the calling
// thread (valid until its next call): the operands packed, then batch16_core::sums.  direct:
// the data are taken as int16 (8-bit data, or signed 16-bit data whose products have at most
// 24 bits), else split into bytes; pairs: input pairs per 32-bit partial sum.  XT: an 8- or
// 16-bit integer, WT: int8_t, uint8_t or int16_t (nnet_dense_batch.h's batch16::ok).
template <class XT, class WT>
__attribute__((noinline)) const int64_t* batch16_sums(const XT* x, const WT* w, unsigned n_in, unsigned n_out,
                                                      unsigned n, bool direct, unsigned pairs, unsigned& ldt);

#if !defined(HLSGEN_BATCH16_OBJECT) || defined(HLSGEN_BATCH16_INSTANTIATE)

template <bool SPLIT>
void batch16_core::sums(const uint32_t* wp, const uint32_t* xp, int64_t* t, unsigned np, unsigned nb,
                        unsigned ns, unsigned pairs) {
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
                    NNET_B16_UNROLL
                    for (unsigned v = 0; v < NV; v++) wv[v] = load(wb + ((size_t)q * NV + v) * V);
                    NNET_B16_UNROLL
                    for (unsigned s = 0; s < SB; s++) {
                        const uint32_t* d = xp + ((size_t)(s0 + s) * np + q) * NH;
                        const vs xl = (vs){} + (int)d[0];
                        NNET_B16_UNROLL
                        for (unsigned v = 0; v < NV; v++) lo[s][v] = dot(lo[s][v], wv[v], xl);
                        if (SPLIT) {
                            const vs xh = (vs){} + (int)d[NH - 1];
                            NNET_B16_UNROLL
                            for (unsigned v = 0; v < NV; v++) hi[s][v] = dot(hi[s][v], wv[v], xh);
                        }
                    }
                }
                // this chunk's exact sums (256 hi + lo) into the totals (vector registers reach
                // memory only here: no element of lo, hi is addressed in the loop above)
                NNET_B16_UNROLL
                for (unsigned s = 0; s < SB; s++) {
                    NNET_B16_UNROLL
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

// The operands of batch16_core::sums in its layout.
template <class WT>
void batch16_pack_w(const WT* w, uint32_t* wp, unsigned n_in, unsigned n_out, unsigned np, unsigned nb) {
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
void batch16_pack_x(const XT* x, uint32_t* xp, unsigned n_in, unsigned n, unsigned np, unsigned ns, bool split) {
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

// A thread's scratch buffer number `slot` (of uint32 words), kept between calls.
inline uint32_t* batch16_scratch(unsigned slot, size_t n) {
    static thread_local std::vector<uint32_t> buf[3];
    if (buf[slot].size() < n) buf[slot].resize(n);
    return buf[slot].data();
}

template <class XT, class WT>
const int64_t* batch16_sums(const XT* x, const WT* w, unsigned n_in, unsigned n_out, unsigned n, bool direct,
                            unsigned pairs, unsigned& ldt) {
    const unsigned JB = batch16_core::JB, SB = batch16_core::SB, NH = direct ? 1 : 2;
    const unsigned np = (n_in + 1) / 2, nb = (n_out + JB - 1) / JB, ns = (n + SB - 1) / SB * SB;
    ldt = nb * JB;
    uint32_t* wp = batch16_scratch(0, (size_t)nb * np * JB);
    batch16_pack_w(w, wp, n_in, n_out, np, nb);
    uint32_t* xp = batch16_scratch(1, (size_t)ns * np * NH);
    batch16_pack_x(x, xp, n_in, n, np, ns, !direct);
    int64_t* t = reinterpret_cast<int64_t*>(batch16_scratch(2, (size_t)ns * ldt * 2));
    if (direct)
        batch16_core::sums<false>(wp, xp, t, np, nb, ns, pairs);
    else
        batch16_core::sums<true>(wp, xp, t, np, nb, ns, pairs);
    return t;
}

#endif  // definitions

#ifdef HLSGEN_BATCH16_INSTANTIATE  // the cached object: every signature a layer can take
#define NNET_B16(X, W) \
    template const int64_t* batch16_sums<X, W>(const X*, const W*, unsigned, unsigned, unsigned, bool, unsigned, unsigned&);
#define NNET_B16_X(X) NNET_B16(X, int8_t) NNET_B16(X, uint8_t) NNET_B16(X, int16_t)
NNET_B16_X(int8_t)
NNET_B16_X(uint8_t)
NNET_B16_X(int16_t)
NNET_B16_X(uint16_t)
#endif

}  // namespace nnet

#endif  // NNET_BATCH16_ISA

#endif
