// hlsgen layer library: the element type of io_stream tensors.
//
// In io_stream a tensor of shape (H, W, C) (or (W, C), or (N,)) travels as
//     hls::stream<nnet::array<T, C> >
// one stream element per pixel holding all C channels, pixels in row-major order
// (H outer, W inner).  A 1-D tensor of N features is one element nnet::array<T, N>
// unless the producer says otherwise (see the kernels' headers).
//
// Also here: the csim fast-path switch shared by the CNN headers.
#ifndef NNET_ARRAY_H_
#define NNET_ARRAY_H_

#include <stdint.h>

#include "nnet_common.h"

// hls::stream: always available to HLS; in C simulation only when a stand-in
// hls_stream.h is on the include path (io_parallel projects do not need it).
#if defined(__SYNTHESIS__) || !defined(__has_include)
#include "hls_stream.h"
#define NNET_HAVE_STREAM 1
#elif __has_include("hls_stream.h")
#include "hls_stream.h"
#define NNET_HAVE_STREAM 1
#else
#define NNET_HAVE_STREAM 0
#endif

namespace nnet {

template <typename T, unsigned N> struct array {
    typedef T value_type;
    static const unsigned size = N;

    T data[N];

    T& operator[](unsigned i) { return data[i]; }
    const T& operator[](unsigned i) const { return data[i]; }

    array& operator=(const array& other) {
        if (&other == this) return *this;
        for (unsigned i = 0; i < N; i++) {
            #pragma HLS UNROLL
            data[i] = other.data[i];
        }
        return *this;
    }
};

#if NNET_HAVE_STREAM
// Copy a whole io_parallel tensor into a stream of pixels of C channels, and back
// (used at io_stream boundaries, e.g. before/after a Dense that takes a flat array).
template <class T, class A, unsigned n, unsigned C>
void array_to_stream(const T in[n], hls::stream<A>& out) {
    for (unsigned p = 0; p < n / C; p++) {
        #pragma HLS PIPELINE
        A a;
        for (unsigned c = 0; c < C; c++) {
            #pragma HLS UNROLL
            a[c] = in[p * C + c];
        }
        out.write(a);
    }
}

template <class A, class T, unsigned n, unsigned C>
void stream_to_array(hls::stream<A>& in, T out[n]) {
    for (unsigned p = 0; p < n / C; p++) {
        #pragma HLS PIPELINE
        A a = in.read();
        for (unsigned c = 0; c < C; c++) {
            #pragma HLS UNROLL
            out[p * C + c] = a[c];
        }
    }
}

#endif  // NNET_HAVE_STREAM

}  // namespace nnet

// HLSGEN_RAW_CSIM: true when compiling for C simulation with hlsgen's own ap_types
// (whose ap_num keeps its raw value in the native integer member `V`, sign/zero
// extended).  The CNN headers then use integer fast paths that are proven
// bit-identical to the synthesized code in the comments where they are used.  With
// Xilinx's headers or under synthesis the plain ap_fixed code is used.
#if defined(HLSGEN_AP_COMMON_H) && HLSGEN_FAST_CSIM
#define HLSGEN_RAW_CSIM 1
#else
#define HLSGEN_RAW_CSIM 0
#endif

// Full unrolling of short inner loops in the C-simulation fast paths (keeps small
// accumulator arrays in registers at -O2).
#if HLSGEN_RAW_CSIM && defined(__GNUC__) && !defined(__clang__)
#define NNET_CSIM_UNROLL _Pragma("GCC unroll 64")
#define NNET_CSIM_INLINE __attribute__((always_inline))
#else
#define NNET_CSIM_UNROLL
#define NNET_CSIM_INLINE
#endif

namespace nnet {

template <bool C, class A, class B> struct select_t { typedef A type; };
template <class A, class B> struct select_t<false, A, B> { typedef B type; };

template <unsigned K> struct ilog2_ceil { enum { value = 1 + ilog2_ceil<(K + 1) / 2>::value }; };
template <> struct ilog2_ceil<1> { enum { value = 0 }; };

// What the fast paths need to know of a fixed-point type (only for hlsgen's ap_num in
// C simulation; `known` is 0 for anything else, which selects the plain code).
template <class T> struct fx_info {
    enum { known = 0, w = 1, f = 0, s = 1, trn_wrap = 0, trn = 0, rnd = 0, rnd_conv = 0, sat = 0, wrap = 0 };
};
#if HLSGEN_RAW_CSIM
template <int W, int I, bool S, ap_q_mode Q, ap_o_mode O, int N, bool INT>
struct fx_info<ap_num<W, I, S, Q, O, N, INT> > {
    enum {
        known = 1, w = W, f = INT ? 0 : W - I, s = S, trn_wrap = (INT || (Q == AP_TRN && O == AP_WRAP && N == 0)),
        trn = !INT && Q == AP_TRN, rnd = !INT && Q == AP_RND, rnd_conv = !INT && Q == AP_RND_CONV,
        sat = !INT && O == AP_SAT && N == 0,
        wrap = !INT && O == AP_WRAP && N == 0
    };
};
#endif

// Cast of a raw signed value v (fractional bits FV, |v| < 2^62) to res_T, for C simulation.
// For res_T with AP_TRN, AP_RND or AP_RND_CONV and AP_SAT or AP_WRAP (N = 0) this is the
// textbook definition of ap_fixed's conversion written on integers (d = FV - F):
//   TRN: q = floor(v / 2^d) = v >> d;  RND (ties to +inf): q = floor((v + 2^(d-1)) / 2^d);
//   RND_CONV (ties to even): q = floor((v + 2^(d-1) - 1 + b) / 2^d) with b = bit d of v
//   (the remainder r = v mod 2^d rounds up iff r > 2^(d-1), or r = 2^(d-1) and floor is odd);
//   d <= 0: q = v << -d (exact);  SAT: clamp q to the raw range;  WRAP: low W bits,
//   sign-extended.  Other types use the ap_fixed conversion itself.
template <class res_T, int FV, bool OK = (bool)(fx_info<res_T>::known &&
                                              (fx_info<res_T>::trn || fx_info<res_T>::rnd || fx_info<res_T>::rnd_conv) &&
                                              (fx_info<res_T>::sat || fx_info<res_T>::wrap) && fx_info<res_T>::w <= 62 &&
                                              FV - fx_info<res_T>::f > -8 && FV - fx_info<res_T>::f < 62)>
struct raw_cast {
    enum { ok = 0 };
};
template <class res_T, int FV> struct raw_cast<res_T, FV, true> {
    enum { ok = 1, D = FV - fx_info<res_T>::f, W = fx_info<res_T>::w, S = fx_info<res_T>::s };
    static inline res_T run(int64_t v) {
        int64_t q;
        if (D > 0) {
            const int d = D > 0 ? D : 1;
            q = fx_info<res_T>::rnd        ? (v + ((int64_t)1 << (d - 1))) >> d
                : fx_info<res_T>::rnd_conv ? (v + ((int64_t)1 << (d - 1)) - 1 + ((v >> d) & 1)) >> d
                                           : v >> d;
        } else {
            q = (int64_t)((uint64_t)v << (D > 0 ? 0 : -D));
        }
        const int64_t hi = S ? (((int64_t)1 << (W - 1)) - 1) : (((int64_t)1 << W) - 1);
        const int64_t lo = S ? -((int64_t)1 << (W - 1)) : 0;
#if defined(HLSGEN_SAT_COUNT) && defined(HLSGEN_AP_COMMON_H) && !defined(__SYNTHESIS__)
        {  // saturation accounting (C simulation only; see apx::sat_slot in ap_common.h)
            apx::sat_slot* const s_ =
                apx::sat_hooked<res_T>::v && apx::sat_tag<res_T>::armed ? apx::sat_state<0>::watch : 0;
            if (__builtin_expect(s_ != 0, 0) && s_->tag == apx::tag_of<res_T>()) {
                if (q > hi || q < lo)
                    apx::sat_over(s_, ldexp(v < 0 ? -(double)v : (double)v, -FV));
                else if (q == 0 && v != 0)
                    s_->under++;
            }
        }
#endif
        if (fx_info<res_T>::sat) {
            q = q > hi ? hi : q;
            q = q < lo ? lo : q;
        } else {
            q = S ? (int64_t)((uint64_t)q << (64 - W)) >> (64 - W) : (int64_t)((uint64_t)q & (uint64_t)hi);
        }
        res_T r;
        r.V = (typename res_T::T)q;
        return r;
    }
};

// csim_cast<res_T>(x): the conversion (res_T)x, on raw integers (raw_cast) where that
// applies in C simulation, else the ap_fixed conversion itself (always under synthesis).
template <class res_T, class data_T,
          bool RAW = (bool)(fx_info<data_T>::known && fx_info<data_T>::w <= 62 && raw_cast<res_T, fx_info<data_T>::f>::ok)>
struct csim_cast_t {
    static inline res_T run(const data_T& x) { return (res_T)x; }
};
template <class res_T, class data_T> struct csim_cast_t<res_T, data_T, true> {
    static inline res_T run(const data_T& x) { return raw_cast<res_T, fx_info<data_T>::f>::run((int64_t)x.V); }
};
template <class res_T, class data_T> inline res_T csim_cast(const data_T& x) {
    #pragma HLS INLINE
    return csim_cast_t<res_T, data_T>::run(x);
}

// csim_from_double<T>(x): T(x) for a finite double, as the C-simulation entry points
// convert their inputs.  For fixed types of at most 52 bits with AP_TRN / AP_RND /
// AP_RND_CONV and AP_SAT / AP_WRAP it works on doubles and integers: y = x * 2^F is exact
// (a power of two; |y| < 2^52 is checked, and a y too small to keep its bits still has its
// sign and lies in (-1, 1), which is all the rounding below reads), fl = floor(y) and
// h = fl + 1/2 are exact, so y >= h, y > h and y == h decide RND (ties up) and RND_CONV
// (ties to even) exactly; the integer then goes through raw_cast's range handling.  Other
// types (ap_int truncates toward zero: raw_cast's flags exclude it), and conversions the
// saturation counters watch, use T(x) itself.
template <class T, bool OK = (bool)(fx_info<T>::known && fx_info<T>::w <= 52 && fx_info<T>::f > -60 &&
                                    fx_info<T>::f < 60 && raw_cast<T, fx_info<T>::f>::ok)>
struct from_double_t {
    static inline T run(double x) { return T(x); }
    static inline void run_n(const double* x, T* out, unsigned n) {
        for (unsigned k = 0; k < n; k++) out[k] = T(x[k]);
    }
};
#if HLSGEN_RAW_CSIM
template <class T> struct from_double_t<T, true> {
    enum { F = fx_info<T>::f, W = fx_info<T>::w, S = fx_info<T>::s };
    // the rounding and range handling above, without the counters (checked by the callers)
    static inline bool raw(double x, T& out) {
        const double y = x * apx::p2(F);
        const double yc = y < 4503599627370496.0 ? (y > -4503599627370496.0 ? y : -4503599627370496.0) : 4503599627370496.0;
        const double fl = __builtin_floor(yc);  // (clamped: a double-to-integer conversion must not overflow)
        int64_t q = (int64_t)fl;
        if (fx_info<T>::rnd || fx_info<T>::rnd_conv) {
            const double h = fl + 0.5;
            q += fx_info<T>::rnd ? (yc >= h) : (yc > h || (yc == h && (q & 1)));
        }
        const int64_t hi = S ? (((int64_t)1 << (W - 1)) - 1) : (((int64_t)1 << W) - 1);
        const int64_t lo = S ? -((int64_t)1 << (W - 1)) : 0;
        if (fx_info<T>::sat) {
            q = q > hi ? hi : q;
            q = q < lo ? lo : q;
        } else {
            q = S ? (int64_t)((uint64_t)q << (64 - W)) >> (64 - W) : (int64_t)((uint64_t)q & (uint64_t)hi);
        }
        out.V = (typename T::T)q;
        return y < 4503599627370496.0 && y > -4503599627370496.0;  // |y| < 2^52: the above is exact
    }
    static inline bool counting() {
#if defined(HLSGEN_SAT_COUNT) && defined(HLSGEN_AP_COMMON_H)
        return apx::sat_state<0>::watch != 0;
#else
        return false;
#endif
    }
    static inline T run(double x) {
        T r;
        if (counting() || !raw(x, r)) return T(x);
        return r;
    }
    static void run_n(const double* x, T* out, unsigned n) {
        if (counting()) {
            for (unsigned k = 0; k < n; k++) out[k] = T(x[k]);
            return;
        }
        bool all = true;
        for (unsigned k = 0; k < n; k++) all &= raw(x[k], out[k]);
        if (!all)
            for (unsigned k = 0; k < n; k++)
                if (!(x[k] * apx::p2(F) < 4503599627370496.0 && x[k] * apx::p2(F) > -4503599627370496.0)) out[k] = T(x[k]);
    }
};
#endif
template <class T> inline T csim_from_double(double x) { return from_double_t<T>::run(x); }
// csim_from_double over n values (vectorizable).
template <class T> inline void csim_from_double_n(const double* x, T* out, unsigned n) {
    from_double_t<T>::run_n(x, out, n);
}

// Raw multiply-accumulate for C simulation (the argument of HLSGEN_FAST_CSIM in nnet_common.h,
// on raw integers).
//
// The synthesized code computes, per output, acc = bias; acc = accum_t(acc + x * w) for
// every term, where accum_t is a signed AP_TRN / AP_WRAP type with W <= 64 bits and F
// fractional bits, and x * w is exact.  Because acc is always on accum_t's grid,
// floor_F(acc + p) == acc + floor_F(p), and wrapping to W bits is addition modulo 2^W,
// so the final value is wrap_W(bias + sum_i floor_F(x_i * w_i)) whatever the order.  This
// struct computes exactly that on raw integers: each term is the raw product shifted
// onto accum_t's grid (left shift, or arithmetic right shift = floor), summed modulo
// 2^32 or 2^64 in an unsigned integer at least W bits wide, then sign-extended from
// bit W-1.  Modular sums in a wider ring reduce to the same value modulo 2^W, so the
// result is bit-identical to the synthesized accumulator (32-bit sums are used only
// when W <= 32 and no term needs its bits below the accumulator's LSB).
template <class data_T, class weight_T, class acc_T> struct raw_mac {
    enum {
        DW = fx_info<data_T>::w + (fx_info<data_T>::s ? 0 : 1),
        WW = fx_info<weight_T>::w + (fx_info<weight_T>::s ? 0 : 1),
        AW = fx_info<acc_T>::w,
        SH = fx_info<acc_T>::f - fx_info<data_T>::f - fx_info<weight_T>::f,
        ok = HLSGEN_RAW_CSIM && fx_info<data_T>::known && fx_info<weight_T>::known && fx_info<acc_T>::known &&
             fx_info<acc_T>::trn_wrap && fx_info<acc_T>::s && AW <= 64 && DW + WW <= 63 && SH < 64 && SH > -63,
        narrow_prod = DW + WW <= 32,
        narrow_acc = AW <= 32 && SH >= 0
    };
    typedef acc_T acc_type;
    typedef typename select_t<narrow_prod, int32_t, int64_t>::type P;
    typedef typename select_t<narrow_acc, uint32_t, uint64_t>::type U;
    typedef typename select_t<narrow_acc, int32_t, int64_t>::type S;
    enum { B = (int)sizeof(U) * 8 };

    static inline U term(P x, P w) {
        const P p = x * w;
        return SH >= 0 ? (U)((U)(S)p << (SH >= 0 ? SH : 0)) : (U)(S)(p >> (SH < 0 ? -SH : 0));
    }
    template <class bias_T> static inline U start(const bias_T& b) {
        const acc_T a = (acc_T)b;
        return (U)(S)a.V;
    }
    // Double-precision variant for dot products of K terms (C simulation): the raw
    // products are integers below 2^(DW+WW-2) in magnitude, so every partial sum of at
    // most K of them is an integer below 2^53 when dbl_ok<K> holds, and double addition
    // (or FMA) of such integers is exact in any order.  With SH >= 0 (no term loses
    // bits) the modular sum of the shifted terms is (sum of products) << SH, so
    //     start(bias) + ((U)(int64)S << SH)
    // equals the integer accumulation above bit for bit.
    template <unsigned K> struct dbl_ok {
        enum { value = ok && SH >= 0 && DW + WW - 2 + 1 + (K > 1 ? ilog2_ceil<K>::value : 0) <= 53 };
    };
    static inline U from_dbl(U start_v, double s) {
        return (U)(start_v + ((U)(S)(int64_t)s << (SH >= 0 ? SH : 0)));
    }
    static inline acc_T finish(U s) {
        acc_T a;
        a.V = (typename acc_T::T)((S)(U)(s << (B - AW)) >> (B - AW));
        return a;
    }
};

// The output stage of a raw accumulator: fused activation, then the cast to res_T
// (raw_cast where it applies, else the ap_fixed conversion of the accumulator type).
template <class M, class res_T, bool FAST = (bool)(raw_cast<res_T, fx_info<typename M::acc_type>::f>::ok && M::AW <= 62)>
struct raw_output {
    static inline res_T run(typename M::U acc, unsigned act) { return (res_T)apply_fused(M::finish(acc), act); }
};
template <class M, class res_T> struct raw_output<M, res_T, true> {
    static inline res_T run(typename M::U acc, unsigned act) {
        int64_t v = (int64_t)M::finish(acc).V;
        if (act == act_relu && v < 0) v = 0;
        return raw_cast<res_T, fx_info<typename M::acc_type>::f>::run(v);
    }
};

}  // namespace nnet

#endif
