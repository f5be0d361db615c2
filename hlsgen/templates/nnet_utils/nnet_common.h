// hlsgen layer library: common definitions.
#ifndef NNET_COMMON_H_
#define NNET_COMMON_H_

#include "ap_fixed.h"

namespace nnet {

// Implementation strategy of a layer (config field `strategy`).
enum strategy_t { latency = 0, resource = 1 };

// Activation fused into a layer's accumulator (config field `activation`).
enum fused_act_t { act_linear = 0, act_relu = 1 };

// C-simulation fast paths: HLSGEN_FAST_CSIM is 1 in C simulation unless HLSGEN_NO_FAST_CSIM
// is defined (CI runs the layer tests both ways).  They rest on one argument, which the
// numpy goldens use too (hlsgen/layers/exactness.py): an accumulator type that wraps
// (AP_TRN, AP_WRAP, no saturation bits) and whose grid holds every term exactly gives the
// same result whether it wraps after every addition or once at the end (addition modulo 2^W).
#if !defined(__SYNTHESIS__) && !defined(HLSGEN_NO_FAST_CSIM)
#define HLSGEN_FAST_CSIM 1
#else
#define HLSGEN_FAST_CSIM 0
#endif

// The accumulator a layer adds its products in.
//
// With HLSGEN_FAST_CSIM we add in a 64-bit type with the same fractional bits and cast
// once, which lets the compiler keep plain machine integers in the inner loop.  Synthesis
// always uses the configured type, so the hardware is what the configuration says.
template <class acc_T> struct fast_accum { typedef acc_T type; };
#if HLSGEN_FAST_CSIM
template <int W, int I> struct fast_accum<ap_fixed<W, I, AP_TRN, AP_WRAP, 0> > {
    typedef ap_fixed<(W <= 64 ? 64 : W), (W <= 64 ? 64 - (W - I) : I), AP_TRN, AP_WRAP, 0> type;
};
#endif

template <class T> inline T apply_fused(T x, unsigned act) {
    if (act == act_relu && x < 0) return T(0);
    return x;
}

} // namespace nnet

#endif
