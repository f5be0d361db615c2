// hlsgen stand-in for hls_math.h (C simulation): maps to <cmath>; ap_fixed
// arguments go through to_double() and the result is quantized back to the
// argument's type.
#ifndef HLSGEN_HLS_MATH_H
#define HLSGEN_HLS_MATH_H
#include <cmath>
#include "ap_fixed.h"

namespace hls {
#define HLSGEN_MATH1(NAME, EXPR)                                                       \
  inline double NAME(double x) { return EXPR; }                                        \
  inline float NAME(float x) { return (float)NAME((double)x); }                        \
  inline float NAME##f(float x) { return (float)NAME((double)x); }                     \
  template <int W, int I, bool S, ap_q_mode Q, ap_o_mode O, int N, bool INT>           \
  inline ap_num<W, I, S, Q, O, N, INT> NAME(const ap_num<W, I, S, Q, O, N, INT>& a) {  \
    return ap_num<W, I, S, Q, O, N, INT>(NAME(a.to_double()));                         \
  }
HLSGEN_MATH1(exp, std::exp(x))
HLSGEN_MATH1(log, std::log(x))
HLSGEN_MATH1(log2, std::log2(x))
HLSGEN_MATH1(log10, std::log10(x))
HLSGEN_MATH1(sqrt, std::sqrt(x))
HLSGEN_MATH1(rsqrt, 1.0 / std::sqrt(x))
HLSGEN_MATH1(recip, 1.0 / x)
HLSGEN_MATH1(floor, std::floor(x))
HLSGEN_MATH1(ceil, std::ceil(x))
HLSGEN_MATH1(round, std::round(x))
HLSGEN_MATH1(trunc, std::trunc(x))
HLSGEN_MATH1(tanh, std::tanh(x))
HLSGEN_MATH1(sin, std::sin(x))
HLSGEN_MATH1(cos, std::cos(x))
HLSGEN_MATH1(tan, std::tan(x))
HLSGEN_MATH1(atan, std::atan(x))
HLSGEN_MATH1(sinh, std::sinh(x))
HLSGEN_MATH1(cosh, std::cosh(x))
HLSGEN_MATH1(erf, std::erf(x))
HLSGEN_MATH1(fabs, std::fabs(x))
HLSGEN_MATH1(sigmoid, 1.0 / (1.0 + std::exp(-x)))
#undef HLSGEN_MATH1

inline double pow(double a, double b) { return std::pow(a, b); }
inline float pow(float a, float b) { return (float)std::pow((double)a, (double)b); }
inline float powf(float a, float b) { return (float)std::pow((double)a, (double)b); }
inline double atan2(double a, double b) { return std::atan2(a, b); }
inline double fmod(double a, double b) { return std::fmod(a, b); }
inline int abs(int x) { return x < 0 ? -x : x; }
inline long abs(long x) { return x < 0 ? -x : x; }
inline long long abs(long long x) { return x < 0 ? -x : x; }
inline double abs(double x) { return std::fabs(x); }
inline float abs(float x) { return std::fabs(x); }
template <int W, int I, bool S, ap_q_mode Q, ap_o_mode O, int N, bool INT>
inline ap_num<W, I, S, Q, O, N, INT> abs(const ap_num<W, I, S, Q, O, N, INT>& a) {
  return a < 0 ? ap_num<W, I, S, Q, O, N, INT>(-a) : a;
}
template <class T> inline T min(T a, T b) { return a < b ? a : b; }
template <class T> inline T max(T a, T b) { return a < b ? b : a; }
template <class T> inline T fmin(T a, T b) { return a < b ? a : b; }
template <class T> inline T fmax(T a, T b) { return a < b ? b : a; }
}  // namespace hls
#endif
