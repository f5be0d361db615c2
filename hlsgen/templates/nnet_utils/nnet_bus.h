// hlsgen: conversion between bus words and the network's types in accelerator tops.
//
// A bus carries one value per word.  `float` buses carry IEEE single precision in a
// 32-bit word; fixed-point/integer buses carry the raw bits of BUS_T, sign-extended
// (signed types) or zero-extended to the word width, so that a driver reads a word as
// a plain integer and divides by 2^F.
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

} // namespace nnet

#endif
