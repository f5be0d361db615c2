// hlsgen: conversion between bus words and the network's types in accelerator tops.
//
// A bus word holds one value.  `float` buses carry IEEE single precision in a 32-bit
// word; fixed-point/integer buses carry the raw bits of BUS_T, sign-extended (signed
// types) or zero-extended to the word width, so that a driver reads a word as a plain
// integer and divides by 2^F.
//
// A bus beat (BW bits) holds BW / WW words in lanes: word j in bits [j*WW, (j+1)*WW), so a
// buffer of beats has the memory image of consecutive words (little-endian).  A sample
// starts on a new beat; the lanes after its last value are zero.  shift_in/shift_out move
// a sample's words through a shift register one beat at a time (constant indices only).
#ifndef NNET_BUS_H_
#define NNET_BUS_H_

#include "ap_int.h"
#include "ap_fixed.h"

namespace nnet {

inline float word_to_float(ap_uint<32> w) {
    union { unsigned u; float f; } c;
    c.u = (unsigned)w.to_uint();
    return c.f;
}

inline ap_uint<32> float_to_word(float f) {
    union { unsigned u; float f; } c;
    c.f = f;
    return ap_uint<32>(c.u);
}

// Signedness of a bus type, for both hlsgen's and Xilinx's ap_types.
template <class T> struct bus_signed { static const bool value = true; };
template <int W, int I, ap_q_mode Q, ap_o_mode O, int N> struct bus_signed<ap_ufixed<W, I, Q, O, N> > {
    static const bool value = false;
};
template <int W> struct bus_signed<ap_uint<W> > { static const bool value = false; };

template <class BUS_T, int WW> struct bus_codec {
    template <class T> static T decode(const ap_uint<WW>& w) {
        BUS_T v;
        v.range(BUS_T::width - 1, 0) = w.range(BUS_T::width - 1, 0);
        return T(v);
    }
    template <class T> static ap_uint<WW> encode(const T& x) {
        BUS_T v = x;
        ap_int<WW> s;
        ap_uint<WW> u;
        if (bus_signed<BUS_T>::value) {
            ap_int<BUS_T::width> r;
            r.range(BUS_T::width - 1, 0) = v.range(BUS_T::width - 1, 0);
            s = r;  // sign-extends
            u.range(WW - 1, 0) = s.range(WW - 1, 0);
        } else {
            ap_uint<BUS_T::width> r;
            r.range(BUS_T::width - 1, 0) = v.range(BUS_T::width - 1, 0);
            u = r;
        }
        return u;
    }
    // from a double (C simulation only: what a driver does on the host)
    static ap_uint<WW> encode_double(double x) { return encode(BUS_T(x)); }
    static double decode_double(const ap_uint<WW>& w) { return decode<BUS_T>(w).to_double(); }
};

template <int WW> struct bus_codec<float, WW> {
    template <class T> static T decode(const ap_uint<WW>& w) { return T(word_to_float(w.range(31, 0))); }
    template <class T> static ap_uint<WW> encode(const T& x) { return float_to_word(x.to_float()); }
    static ap_uint<WW> encode_double(double x) { return float_to_word((float)x); }
    static double decode_double(const ap_uint<WW>& w) { return (double)word_to_float(w.range(31, 0)); }
};

// Shift a beat's lanes in at the end of w (words move PER places towards w[0]).
template <int WW, int BW, int SLOTS> void shift_in(ap_uint<WW> w[SLOTS], const ap_uint<BW>& beat) {
    #pragma HLS INLINE
    const int PER = BW / WW;
    for (int k = 0; k < SLOTS - PER; k++) {
        #pragma HLS UNROLL
        w[k] = w[k + PER];
    }
    for (int j = 0; j < PER; j++) {
        #pragma HLS UNROLL
        w[SLOTS - PER + j] = beat.range(WW * j + WW - 1, WW * j);
    }
}

// The beat of the first PER words of w; the rest move PER places towards w[0].
template <int WW, int BW, int SLOTS> ap_uint<BW> shift_out(ap_uint<WW> w[SLOTS]) {
    #pragma HLS INLINE
    const int PER = BW / WW;
    ap_uint<BW> beat = 0;
    for (int j = 0; j < PER; j++) {
        #pragma HLS UNROLL
        beat.range(WW * j + WW - 1, WW * j) = w[j];
    }
    for (int k = 0; k < SLOTS - PER; k++) {
        #pragma HLS UNROLL
        w[k] = w[k + PER];
    }
    return beat;
}

} // namespace nnet

#endif
