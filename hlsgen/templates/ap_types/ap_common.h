// hlsgen clean-room arbitrary-precision integer / fixed-point types.
// Written from the documented semantics (UG1399); no vendor code.
// One class template `ap_num` backs ap_int, ap_uint, ap_fixed and ap_ufixed
// (alias templates).  Storage is the smallest native integer holding W bits
// (int8/16/32/64/__int128), always kept sign/zero-extended from bit W-1.
// Arithmetic results are exact by the result-type rules, so `+ - *` are
// plain native operations; quantization/overflow happens only on conversion.
#ifndef HLSGEN_AP_COMMON_H
#define HLSGEN_AP_COMMON_H

#include <stdint.h>
#include <stdlib.h>
#include <cmath>
#include <istream>
#include <ostream>
#include <string>
#include <type_traits>

enum ap_q_mode { AP_RND, AP_RND_ZERO, AP_RND_MIN_INF, AP_RND_INF, AP_RND_CONV, AP_TRN, AP_TRN_ZERO };
enum ap_o_mode { AP_SAT, AP_SAT_ZERO, AP_SAT_SYM, AP_WRAP, AP_WRAP_SM };

template <int W, int I, bool S, ap_q_mode Q, ap_o_mode O, int N, bool INT> struct ap_num;

#define APX_INL inline __attribute__((always_inline))

namespace apx {
typedef __int128 i128;
typedef unsigned __int128 u128;

template <bool C, class A, class B> struct sel { typedef A t; };
template <class A, class B> struct sel<false, A, B> { typedef B t; };

// Storage: smallest native integer holding W bits.
template <int W, bool S> struct st {
  static_assert(W >= 1, "hlsgen ap_types: bit width must be >= 1");
  static_assert(W <= 128, "hlsgen ap_types: bit widths above 128 are not supported "
                          "(this includes intermediate results of + - * / wider than 128 bits)");
  typedef typename sel<(W <= 8), int8_t, typename sel<(W <= 16), int16_t,
          typename sel<(W <= 32), int32_t, typename sel<(W <= 64), int64_t, i128>::t>::t>::t>::t s;
  typedef typename sel<(W <= 8), uint8_t, typename sel<(W <= 16), uint16_t,
          typename sel<(W <= 32), uint32_t, typename sel<(W <= 64), uint64_t, u128>::t>::t>::t>::t u;
  typedef typename sel<S, s, u>::t t;
};
template <class T> struct bits { enum { v = (int)sizeof(T) * 8 }; };
template <class T> struct uns { typedef typename st<bits<T>::v, false>::t t; };
// Compute type: at least 32 bits, same signedness as T.
template <class T> struct ct {
  typedef typename st<(bits<T>::v < 32 ? 32 : bits<T>::v), (T(-1) < T(0))>::t t;
};
constexpr int mx(int a, int b) { return a > b ? a : b; }
constexpr int mn(int a, int b) { return a < b ? a : b; }
constexpr double p2(int e) { return e == 0 ? 1.0 : e > 0 ? 2.0 * p2(e - 1) : 0.5 * p2(e + 1); }

// Shifts with any amount (>= width gives 0 / sign fill; negative amount reverses).
template <class T> APX_INL T shl_(T v, int k) {  // k >= 0, modular
  return k >= bits<T>::v ? (T)0 : (T)((typename uns<T>::t)v << k);
}
template <class T> APX_INL T shr_(T v, int k) {  // k >= 0, sign fill
  return k >= bits<T>::v ? (T)(v < 0 ? -1 : 0) : (T)(v >> k);
}
template <class T> APX_INL T shr(T v, int k) { return k < 0 ? shl_(v, -k) : shr_(v, k); }
template <class T> APX_INL T shl(T v, int k) { return k < 0 ? shr_(v, -k) : shl_(v, k); }
// Clamp a C shift amount to [-256, 256] (anything beyond shifts everything out).
template <class C> APX_INL int shamt(C n) {
  return (std::is_signed<C>::value && n < 0) ? (n < (C)-256 ? -256 : (int)n) : ((unsigned long long)n > 256 ? 256 : (int)n);
}
// Low k bits nonzero? (k may be <= 0 or >= width)
template <class T> APX_INL bool lowbits(T v, int k) {
  return k <= 0 ? false : k >= bits<T>::v ? v != 0
                        : ((typename uns<T>::t)v & (((typename uns<T>::t)1 << k) - 1)) != 0;
}
template <class T> APX_INL bool bit(T v, int k) {
  return k < 0 ? false : k >= bits<T>::v ? (v < 0) : (((typename uns<T>::t)v >> k) & 1) != 0;
}
// Wrap an integer to W bits (sign- or zero-extend from bit W-1) and store.
template <int W, bool S, class T> APX_INL typename st<W, S>::t wrap(T v) {
  typedef typename st<W, S>::t R;
  typedef typename st<W, false>::t U;
  enum { B = bits<R>::v };
  U u = (U)v;
  if (W == B) return (R)u;
  if (S) return (R)((R)(U)(u << (B - W)) >> (B - W));
  return (R)(u & (U)(((U)1 << (W % B)) - 1));
}

// Quantization step of a conversion: the source raw value v (W2 bits, signedness S2)
// scaled by 2^d (d = F - F2) and rounded with Q; the result is q * 2^ds (ds: the left
// shift still pending, 0 unless d > 0).
template <ap_q_mode Q, int W2, bool S2, class C>
APX_INL C quant(const C v, const int d, int& ds) {
  const bool vneg = S2 && v < 0;
  C q;
  ds = d;
  if (d < 0 && Q == AP_RND && W2 < bits<C>::v && -d < bits<C>::v) {
    // round half up: floor((v + 2^(sh-1)) / 2^sh); v has spare high bits in C, so the add cannot overflow
    const int sh = -d;
    q = shr((C)(v + ((C)1 << (sh - 1))), sh);
    ds = 0;
  } else if (d < 0) {
    const int sh = -d;
    q = shr(v, sh);
    if (Q != AP_TRN && !(Q == AP_TRN_ZERO && !S2)) {
      bool half = bit(v, sh - 1), sticky = lowbits(v, sh - 1), inc;
      if (Q == AP_TRN_ZERO) inc = vneg && (half || sticky);
      else if (Q == AP_RND) inc = half;
      else if (Q == AP_RND_ZERO) inc = half && (sticky || vneg);
      else if (Q == AP_RND_MIN_INF) inc = half && sticky;
      else if (Q == AP_RND_INF) inc = half && (sticky || !vneg);
      else inc = half && (sticky || (q & 1));
      q += (C)inc;
    }
    ds = 0;
  } else {
    q = v;
  }
  return q;
}

// Range check of a quantized value q * 2^ds against a W-bit destination (signedness S).
template <int W, bool S, bool S2, class C>
APX_INL bool fits(const C q, const int ds) {
  if (S) {
    const int k = W - 1 - ds;
    return k < 0 ? q == 0 : (shr(q, k) == 0 || (S2 && shr(q, k) == (C)-1));
  }
  const int k = W - ds;
  return k <= 0 ? q == 0 : shr(q, k) == 0;
}

// Core conversion: source raw value v (W2 bits, signedness S2) times 2^-F2 into
// destination format <W, F = W - I, S, Q, O, N>; d = F - F2 (runtime or constant).
template <int W, bool S, ap_q_mode Q, ap_o_mode O, int N, int W2, bool S2, class V2>
APX_INL typename st<W, S>::t conv(V2 v0, int d) {
  typedef typename st<W, S>::t R;
  typedef typename ct<V2>::t C;
  typedef typename st<mx(bits<C>::v, bits<R>::v), false>::t U;
  const C v = (C)v0;
  int ds;
  const C q = quant<Q, W2, S2>(v, d, ds);
  const U shifted = (U)shl((U)q, ds);
  if (O == AP_WRAP && N == 0) return wrap<W, S>(shifted);
  // Range check of q * 2^ds against the destination range.
  const bool qneg = S2 && q < 0;
  const bool ok = fits<W, S, S2>(q, ds);
  const R maxv = S ? (R)(((typename st<W, false>::t)1 << (W - 1)) - 1) : (R)wrap<W, false>((U)-1);
  const R minv = S ? (R)(-maxv - 1) : (R)0;
  R r = wrap<W, S>(shifted);
  if (ok) {
    if (O == AP_SAT_SYM && S && S2 && r == minv) return (R)(minv | 1);
    return r;
  }
  if (O == AP_SAT) return qneg ? minv : maxv;
  if (O == AP_SAT_ZERO) return 0;
  if (O == AP_SAT_SYM || (O == AP_WRAP_SM && !S)) return qneg ? (R)(minv | (S ? 1 : 0)) : maxv;
  typedef typename st<W, false>::t UW;
  const UW all = (UW)wrap<W, false>((U)-1);
  UW u = (UW)r & all;
  const UW msb = (UW)((UW)1 << (W - 1));
  // mask of bits [W-N, W-2]
  const int lo = mx(W - N, 0);
  const UW mid = (N >= 2) ? (UW)((all >> 1) & (UW)~(shl((UW)1, lo) - 1)) : (UW)0;
  if (O == AP_WRAP) {
    if (S) {
      u = qneg ? (UW)((u | msb) & ~mid) : (UW)((u & ~msb) | mid);
    } else {
      const UW top = (UW)(all & (UW)~(shl((UW)1, lo) - 1));
      u |= top;
    }
    return wrap<W, S>(u);
  }
  // AP_WRAP_SM, signed destination.
  const bool Ro = (u & msb) != 0;
  if (N == 0) {
    const int pos1 = W - d;  // source bit just above the destination MSB
    const bool lD = (pos1 >= 0 && pos1 < W2) ? bit(v, pos1) : false;
    if (lD != Ro) {
      u = (UW)(~u & all);
      u = lD ? (UW)(u | msb) : (UW)(u & ~msb);
    }
  } else {
    if (N == 1) {
      if (qneg != Ro) u = (UW)(~u & all);
    } else {
      const bool lNo = (u >> lo) & 1;
      if (lNo == qneg) u = (UW)(~u & all);
      u = qneg ? (UW)(u & ~mid) : (UW)(u | mid);
    }
    u = qneg ? (UW)(u | msb) : (UW)(u & ~msb);
  }
  return wrap<W, S>(u);
}

// Decompose a double into a 54-bit signed mantissa and F2 (value = man * 2^-F2).
APX_INL int64_t dparts(double x, int& f2) {
  union { double d; uint64_t u; } c;
  c.d = x;
  const int e = (int)((c.u >> 52) & 0x7ff);
  int64_t m = (int64_t)(c.u & 0xfffffffffffffULL);
  if (e == 0) { f2 = 1074; } else { m |= (int64_t)1 << 52; f2 = 1075 - e; }
  return (c.u >> 63) ? -m : m;
}

#if defined(HLSGEN_SAT_COUNT) && !defined(__SYNTHESIS__)
// Saturation accounting, for hlsgen's C simulation only (never under synthesis, and
// nothing at all unless HLSGEN_SAT_COUNT is defined).  While `sat_state<0>::watch`
// points to a slot (the C simulation sets it around each layer), conversions into the
// slot's type (`tag`, see tag_of) are checked: one that overflows (saturates or wraps)
// adds to `over` and keeps the largest source magnitude in `peak`; one that turns a
// nonzero value into 0 adds to `under`.  The converted value itself is never changed.
// By default only the result types that do not saturate (AP_WRAP, AP_SAT_ZERO, ap_int, or
// saturation bits N > 0; marked with sat_watched by the generated defines.h) carry the
// check; a saturating result type is counted after the layer from its output (a value at
// either end of its range, see hlsgen_trace.h), which costs almost nothing.  With HLSGEN_SAT_EXACT every destination carries the check
// (exact counts, underflow and peak; slower).
struct sat_slot {
  const void* tag;
  unsigned long long over, under;
  double peak;
};
template <int D> struct sat_state { static thread_local sat_slot* watch; };
template <int D> thread_local sat_slot* sat_state<D>::watch = 0;
// `armed`: some layer's result type is T (set by the C simulation when it starts counting);
// only conversions into an armed type look at the (thread-local, so slower) watch.
template <class T> struct sat_tag {
  static const char id;
  static bool armed;
};
template <class T> const char sat_tag<T>::id = 0;
template <class T> bool sat_tag<T>::armed = false;
template <class T> APX_INL const void* tag_of() { return &sat_tag<T>::id; }
// Which destination types carry the check: every type with HLSGEN_SAT_EXACT; otherwise the
// types the generated defines.h marks (layer result types that do not saturate).
template <class T> struct sat_watched { enum { v = 0 }; };
#ifdef HLSGEN_SAT_EXACT
template <class T> struct sat_hooked { enum { v = 1 }; };
#else
template <class T> struct sat_hooked { enum { v = sat_watched<T>::v }; };
#endif

APX_INL void sat_over(sat_slot* s, double magnitude) {
  s->over++;
  if (magnitude > s->peak) s->peak = magnitude;
}
// v0 * 2^(d - f) is the source value (f: the destination's fractional bits, d as in conv).
template <class D, int W, bool S, ap_q_mode Q, int W2, bool S2, class V2>
__attribute__((noinline)) void sat_note(sat_slot* s, V2 v0, int d, int f, bool zero) {
  if (s->tag != tag_of<D>()) return;
  typedef typename ct<V2>::t C;
  const C v = (C)v0;
  int ds;
  const C q = quant<Q, W2, S2>(v, d, ds);
  if (!fits<W, S, S2>(q, ds)) {
    const double x = (double)v;
    sat_over(s, ldexp(x < 0 ? -x : x, d - f));
  } else if (zero && v != 0) {
    s->under++;
  }
}
#define APX_SAT_HOOK(QE, W2, S2, SRC_, D_)                                                               \
  if (apx::sat_hooked<ap_num>::v && __builtin_expect(apx::sat_tag<ap_num>::armed, 0)) {          \
    apx::sat_slot* const s_ = apx::sat_state<0>::watch;                                           \
    if (s_ != 0) apx::sat_note<ap_num, W_, S_, QE, W2, S2>(s_, SRC_, D_, INT_ ? 0 : (int)F, V == 0);    \
  }
#else
#define APX_SAT_HOOK(QE, W2, S2, SRC_, D_)
#endif

// Traits: which operand types take part in ap arithmetic, and their ap view.
template <class T, class E = void> struct tr { enum { ok = 0 }; };
template <int W, int I, bool S, ap_q_mode Q, ap_o_mode O, int N, bool INT>
struct tr<ap_num<W, I, S, Q, O, N, INT>, void> {
  enum { ok = 1, w = W, i = I, s = S, isint = INT };
  typedef ap_num<W, I, S, Q, O, N, INT> type;
  static APX_INL const type& get(const type& x) { return x; }
};
template <class T>
struct tr<T, typename std::enable_if<std::is_integral<T>::value>::type> {
  enum { ok = 1, w = bits<T>::v, i = bits<T>::v, s = std::is_signed<T>::value, isint = 1 };
  typedef ap_num<w, w, (bool)s, AP_TRN, AP_WRAP, 0, true> type;
  static APX_INL type get(T x) { type r; r.V = (typename type::T)x; return r; }
};

// Right operand of a compound assignment: an ap_int left side first converts an
// ap_fixed right side to ap_int<max(I,1)> (truncating toward zero), as the reference does.
template <bool INT, class B, bool BF = !tr<B>::isint> struct rhs { typedef const B& t; };
template <class B> struct rhs<true, B, true> {
  typedef ap_num<mx(tr<B>::i, 1), mx(tr<B>::i, 1), (bool)tr<B>::s, AP_TRN, AP_WRAP, 0, true> t;
};
template <int W, int I, bool S, bool INT> struct mk { typedef ap_num<W, I, S, AP_TRN, AP_WRAP, 0, INT> t; };

template <class A, class B, bool OK = (tr<A>::ok && tr<B>::ok && !(std::is_integral<A>::value && std::is_integral<B>::value))>
struct bin {};
template <class A, class B> struct bin<A, B, true> {
  typedef tr<A> ta;
  typedef tr<B> tb;
  enum {
    W1 = ta::w, I1 = ta::i, S1 = ta::s, F1 = W1 - I1, W2 = tb::w, I2 = tb::i, S2 = tb::s, F2 = W2 - I2,
    INT = ta::isint && tb::isint, F = mx(F1, F2),
    LI = mx(I1 + (S2 && !S1), I2 + (S1 && !S2)),
    DW = S2 + W1 + mx(F2, 0)
  };
  typedef typename mk<W1 + W2, I1 + I2, S1 || S2, INT>::t mul;
  typedef typename mk<LI + 1 + F, LI + 1, S1 || S2, INT>::t plus;
  typedef typename mk<LI + 1 + F, LI + 1, true, INT>::t minus;
  typedef typename mk<LI + F, LI, S1 || S2, INT>::t logic;
  typedef typename mk<DW, S2 + I1 + F2, S1 || S2, INT>::t div;
  typedef typename mk<mn(W1, W2 + (!S2 && S1)), mn(W1, W2 + (!S2 && S1)), S1, INT>::t mod;
  enum { CW = LI + F + 1 };  // width holding both aligned operands (comparisons)
};
template <class A, class B, class E = void> struct bini {};
template <class A, class B>
struct bini<A, B, typename std::enable_if<bin<A, B>::INT>::type> : bin<A, B> { typedef typename bin<A, B>::mod modi;
};

template <class P> struct bitref;
template <class P> struct rangeref;
// Conversion operators: ap_int/ap_uint convert implicitly to (unsigned) long long;
// ap_fixed/ap_ufixed to every C arithmetic type (mirrors the reference API,
// including its ambiguities, e.g. ap_fixed * double does not compile).
template <class D, bool INT, bool S> struct convops {
  APX_INL operator typename sel<S, long long, unsigned long long>::t() const {
    return (typename sel<S, long long, unsigned long long>::t)static_cast<const D*>(this)->V;
  }
};
template <class D, bool S> struct convops<D, false, S> {
  APX_INL const D& d_() const { return *static_cast<const D*>(this); }
  APX_INL operator long double() const { return d_().to_double(); }
  APX_INL operator double() const { return d_().to_double(); }
  APX_INL operator float() const { return d_().to_float(); }
  APX_INL operator bool() const { return d_().V != 0; }
  APX_INL operator char() const { return (char)d_().to_int(); }
  APX_INL operator signed char() const { return (signed char)d_().to_int(); }
  APX_INL operator unsigned char() const { return (unsigned char)d_().to_uint(); }
  APX_INL operator short() const { return (short)d_().to_int(); }
  APX_INL operator unsigned short() const { return (unsigned short)d_().to_uint(); }
  APX_INL operator int() const { return d_().to_int(); }
  APX_INL operator unsigned() const { return d_().to_uint(); }
  APX_INL operator long() const { return (long)d_().to_int64(); }
  APX_INL operator unsigned long() const { return (unsigned long)d_().to_uint64(); }
  APX_INL operator long long() const { return d_().to_int64(); }
  APX_INL operator unsigned long long() const { return d_().to_uint64(); }
};

template <class T> inline void print_int(std::ostream& os, T v) {
  char buf[48];
  int n = 0;
  bool neg = v < 0;
  typename uns<T>::t u = neg ? (typename uns<T>::t)0 - (typename uns<T>::t)v : (typename uns<T>::t)v;
  do { buf[n++] = (char)('0' + (int)(u % 10)); u /= 10; } while (u);
  std::string s(neg ? "-" : "");
  while (n) s += buf[--n];
  os << s;
}
}  // namespace apx

// ---------------------------------------------------------------------------
template <int W_, int I_, bool S_, ap_q_mode Q_, ap_o_mode O_, int N_, bool INT_>
struct ap_num : apx::convops<ap_num<W_, I_, S_, Q_, O_, N_, INT_>, INT_, S_> {
  static_assert(S_ || O_ != AP_WRAP_SM, "hlsgen ap_types: AP_WRAP_SM requires a signed type (ap_ufixed cannot use AP_WRAP_SM)");
  typedef typename apx::st<W_, S_>::t T;
  static const int width = W_;
  static const int iwidth = I_;
  static const ap_q_mode qmode = Q_;
  static const ap_o_mode omode = O_;
  enum { F = W_ - I_ };
  T V;

  APX_INL ap_num() = default;
  // From any ap type: ap_int destinations truncate toward zero and wrap;
  // fixed destinations quantize (Q_) then handle overflow (O_).
  template <int W2, int I2, bool S2, ap_q_mode Q2, ap_o_mode O2, int N2, bool INT2>
  APX_INL ap_num(const ap_num<W2, I2, S2, Q2, O2, N2, INT2>& o) {
    V = apx::conv<W_, S_, INT_ ? AP_TRN_ZERO : Q_, INT_ ? AP_WRAP : O_, INT_ ? 0 : N_, W2, S2>(
        o.V, (INT_ ? 0 : F) - (W2 - I2));
    APX_SAT_HOOK(INT_ ? AP_TRN_ZERO : Q_, W2, S2, o.V, (INT_ ? 0 : F) - (W2 - I2))
  }
  template <class C>
  APX_INL ap_num(C c, typename std::enable_if<std::is_integral<C>::value>::type* = 0) {
    V = apx::conv<W_, S_, Q_, INT_ ? AP_WRAP : O_, INT_ ? 0 : N_, apx::bits<C>::v, std::is_signed<C>::value>(
        c, INT_ ? 0 : F);
    APX_SAT_HOOK(Q_, apx::bits<C>::v, std::is_signed<C>::value, c, INT_ ? 0 : F)
  }
  APX_INL ap_num(double x) {
    int f2;
    int64_t m = apx::dparts(x, f2);
    V = apx::conv<W_, S_, INT_ ? AP_TRN_ZERO : Q_, INT_ ? AP_WRAP : O_, INT_ ? 0 : N_, 54, true>(
        m, (INT_ ? 0 : F) - f2);
    APX_SAT_HOOK(INT_ ? AP_TRN_ZERO : Q_, 54, true, m, (INT_ ? 0 : F) - f2)
  }
  APX_INL ap_num(float x) { *this = ap_num((double)x); }
  ap_num(const char* s) { *this = ap_num(strtod(s, 0)); }
  template <class P> APX_INL ap_num(const apx::bitref<P>& b) { *this = ap_num((int)(bool)b); }
  template <class P> APX_INL ap_num(const apx::rangeref<P>& r) { *this = ap_num(r.get()); }

  // Conversions.
  APX_INL double to_double() const { return (double)V * apx::p2(-F); }
  APX_INL float to_float() const {
    return (W_ <= 53 || F > 120 || F < -120) ? (float)to_double() : (float)V * (float)apx::p2(-F);
  }
  // integer part, truncated toward zero, as a 128-bit value
  APX_INL apx::i128 ipart() const {
    if (INT_ || F == 0) return (apx::i128)V;
    if (F < 0) return (apx::i128)apx::shl((apx::u128)(apx::i128)V, -F);
    typedef typename apx::ct<T>::t C;
    C q = apx::shr((C)V, F);
    if (V < 0 && apx::lowbits((C)V, F)) ++q;
    return (apx::i128)q;
  }
  APX_INL int to_int() const { return (int)ipart(); }
  APX_INL unsigned to_uint() const { return (unsigned)ipart(); }
  APX_INL long to_long() const { return (long)ipart(); }
  APX_INL unsigned long to_ulong() const { return (unsigned long)ipart(); }
  APX_INL long long to_int64() const { return (long long)ipart(); }
  APX_INL unsigned long long to_uint64() const { return (unsigned long long)ipart(); }
  APX_INL bool to_bool() const { return V != 0; }
  APX_INL char to_char() const { return (char)ipart(); }
  APX_INL short to_short() const { return (short)ipart(); }
  std::string to_string() const {
    std::string s;
    if (INT_) { char b[48]; int n = 0; bool ng = V < 0;
      typename apx::uns<T>::t u = ng ? (typename apx::uns<T>::t)0 - (typename apx::uns<T>::t)V : (typename apx::uns<T>::t)V;
      do { b[n++] = (char)('0' + (int)(u % 10)); u /= 10; } while (u);
      if (ng) s += '-';
      while (n) s += b[--n];
      return s; }
    return std::to_string(to_double());
  }
  APX_INL int length() const { return W_; }

  // Bit and range access (raw bits, bit 0 = LSB).
  APX_INL apx::bitref<ap_num> operator[](int i) { return apx::bitref<ap_num>(this, i); }
  APX_INL bool operator[](int i) const { return ((typename apx::uns<T>::t)V >> i) & 1; }
  APX_INL bool get_bit(int i) const { return ((typename apx::uns<T>::t)V >> i) & 1; }
  APX_INL void set_bit(int i, bool b) { (*this)[i] = b; }
  APX_INL apx::rangeref<ap_num> range(int hi, int lo) { return apx::rangeref<ap_num>(this, hi, lo); }
  APX_INL apx::rangeref<ap_num> range() { return apx::rangeref<ap_num>(this, W_ - 1, 0); }
  APX_INL apx::rangeref<ap_num> operator()(int hi, int lo) { return range(hi, lo); }
  APX_INL ap_num<W_, W_, false, AP_TRN, AP_WRAP, 0, true> range(int hi, int lo) const {
    return apx::rangeref<ap_num>(const_cast<ap_num*>(this), hi, lo).get();
  }
  APX_INL ap_num<W_, W_, false, AP_TRN, AP_WRAP, 0, true> range() const { return range(W_ - 1, 0); }
  APX_INL ap_num<W_, W_, false, AP_TRN, AP_WRAP, 0, true> operator()(int hi, int lo) const { return range(hi, lo); }
  APX_INL bool and_reduce() const { return apx::wrap<W_, false>(V) == apx::wrap<W_, false>((T)-1); }
  APX_INL bool or_reduce() const { return V != 0; }
  APX_INL bool xor_reduce() const { return __builtin_parityll((unsigned long long)apx::wrap<W_, false>(V)) ^
      (W_ > 64 ? __builtin_parityll((unsigned long long)(apx::wrap<W_, false>(V) >> (W_ > 64 ? 64 : 0))) : 0); }

  // Unary operators.
  APX_INL ap_num operator+() const { return *this; }
  APX_INL typename apx::mk<(INT_ ? apx::mx(W_, 1 + S_) + 1 : W_ + 1), (INT_ ? apx::mx(W_, 1 + S_) + 1 : I_ + 1), true, INT_>::t
  operator-() const {
    typename apx::mk<(INT_ ? apx::mx(W_, 1 + S_) + 1 : W_ + 1), (INT_ ? apx::mx(W_, 1 + S_) + 1 : I_ + 1), true, INT_>::t r;
    r.V = -(decltype(r.V))V;
    return r;
  }
  APX_INL typename apx::mk<W_, I_, S_, INT_>::t operator~() const {
    typename apx::mk<W_, I_, S_, INT_>::t r;
    r.V = (T)~V;
    return r;
  }
  APX_INL bool operator!() const { return V == 0; }

  // Shifts keep the type; bits shift out, no quantization/overflow handling.
  template <class C>
  APX_INL typename std::enable_if<std::is_integral<C>::value, ap_num>::type operator<<(C n) const {
    ap_num r; r.V = apx::wrap<W_, S_>(apx::shl(V, apx::shamt(n))); return r;
  }
  template <class C>
  APX_INL typename std::enable_if<std::is_integral<C>::value, ap_num>::type operator>>(C n) const {
    ap_num r; r.V = apx::wrap<W_, S_>(apx::shr(V, apx::shamt(n))); return r;
  }
  template <int W2, bool S2>
  APX_INL ap_num operator<<(const ap_num<W2, W2, S2, AP_TRN, AP_WRAP, 0, true>& n) const { return *this << (long long)n.V; }
  template <int W2, bool S2>
  APX_INL ap_num operator>>(const ap_num<W2, W2, S2, AP_TRN, AP_WRAP, 0, true>& n) const { return *this >> (long long)n.V; }
  template <class C> APX_INL ap_num& operator<<=(const C& n) { return *this = *this << n; }
  template <class C> APX_INL ap_num& operator>>=(const C& n) { return *this = *this >> n; }

  // Compound assignment: a op= b is a = a op b in a's modes.
#define APX_CASSIGN(OP)                                                                 \
  template <class B>                                                                    \
  APX_INL typename std::enable_if<apx::tr<B>::ok, ap_num&>::type operator OP##=(const B& b) { \
    return *this = ap_num(*this OP typename apx::rhs<INT_, B>::t(b));                   \
  }
  // += / -= in AP_TRN/AP_WRAP: floor(a + b) == a + floor(b) for a on the grid,
  // and wrapping is modular, so no wide intermediate is needed (same result).
#define APX_CASSIGN_ADD(OP, SUB)                                                           \
  template <class B>                                                                    \
  APX_INL typename std::enable_if<apx::tr<B>::ok, ap_num&>::type operator OP##=(const B& b) { \
    if ((Q_ == AP_TRN || INT_) && (O_ == AP_WRAP || INT_) && (N_ == 0 || INT_)) {        \
      typedef typename apx::tr<typename std::remove_cv<typename std::remove_reference<     \
          typename apx::rhs<INT_, B>::t>::type>::type> TB;                              \
      const typename TB::type bb = TB::get(typename apx::rhs<INT_, B>::t(b));             \
      typedef typename apx::st<apx::mx(apx::bits<T>::v, apx::bits<typename TB::type::T>::v), false>::t UU; \
      typedef typename apx::st<apx::mx(apx::bits<UU>::v, 32), (bool)TB::s>::t CB;         \
      enum { K = (TB::w - TB::i) - (INT_ ? 0 : (int)F) };                                \
      if (SUB == 0 || K <= 0) {                                                         \
        V = apx::wrap<W_, S_>((UU)((UU)V OP (UU)apx::shr((CB)bb.V, K)));                 \
        return *this;                                                                   \
      }                                                                                 \
    }                                                                                   \
    return *this = ap_num(*this OP typename apx::rhs<INT_, B>::t(b));                   \
  }
  APX_CASSIGN_ADD(+, 0) APX_CASSIGN_ADD(-, 1)
#undef APX_CASSIGN_ADD
  APX_CASSIGN(*) APX_CASSIGN(/) APX_CASSIGN(&) APX_CASSIGN(|) APX_CASSIGN(^)
  template <class B>
  APX_INL typename std::enable_if<apx::tr<B>::ok && INT_, ap_num&>::type operator%=(const B& b) {
    return *this = ap_num(*this % b);
  }
#undef APX_CASSIGN
  APX_INL ap_num& operator++() { return *this += 1; }
  APX_INL ap_num& operator--() { return *this -= 1; }
  APX_INL ap_num operator++(int) { ap_num t = *this; *this += 1; return t; }
  APX_INL ap_num operator--(int) { ap_num t = *this; *this -= 1; return t; }
};

namespace apx {
template <class P> struct bitref {
  P* p; int i;
  APX_INL bitref(P* p_, int i_) : p(p_), i(i_) {}
  APX_INL operator bool() const { return ((typename uns<typename P::T>::t)p->V >> i) & 1; }
  APX_INL bool to_bool() const { return (bool)*this; }
  APX_INL bitref& operator=(bool b) {
    typedef typename uns<typename P::T>::t U;
    U u = (U)p->V;
    u = b ? (U)(u | ((U)1 << i)) : (U)(u & ~((U)1 << i));
    p->V = wrap<P::width, (bool)(typename P::T(-1) < typename P::T(0))>(u);
    return *this;
  }
  APX_INL bitref& operator=(int b) { return *this = (bool)(b & 1); }
  APX_INL bitref& operator=(const bitref& o) { return *this = (bool)o; }
  APX_INL bool operator~() const { return !(bool)*this; }
  APX_INL bool operator!() const { return !(bool)*this; }
};
template <class P> struct rangeref {
  typedef ap_num<P::width, P::width, false, AP_TRN, AP_WRAP, 0, true> U_t;
  P* p; int hi, lo;
  APX_INL rangeref(P* p_, int h, int l) : p(p_), hi(h), lo(l) {}
  APX_INL U_t get() const {
    typedef typename uns<typename P::T>::t U;
    U u = (U)((U)p->V >> lo);
    const int n = hi - lo + 1;
    if (n < bits<U>::v) u &= (U)(((U)1 << n) - 1);
    U_t r; r.V = wrap<P::width, false>(u);
    return r;
  }
  APX_INL operator U_t() const { return get(); }
  APX_INL unsigned long long to_uint64() const { return (unsigned long long)get().V; }
  APX_INL long long to_int64() const { return (long long)get().V; }
  APX_INL unsigned to_uint() const { return (unsigned)get().V; }
  APX_INL int to_int() const { return (int)get().V; }
  APX_INL int length() const { return hi - lo + 1; }
  template <class T> APX_INL void setraw(T x) {
    typedef typename uns<typename P::T>::t U;
    const int n = hi - lo + 1;
    U m = n >= bits<U>::v ? (U)-1 : (U)(((U)1 << n) - 1);
    m = (U)(m << lo);
    U u = (U)(((U)p->V & ~m) | (((U)x << lo) & m));
    p->V = wrap<P::width, (bool)(typename P::T(-1) < typename P::T(0))>(u);
  }
  template <class C>
  APX_INL typename std::enable_if<std::is_integral<C>::value, rangeref&>::type operator=(C x) { setraw(x); return *this; }
  template <int W2, int I2, bool S2, ap_q_mode Q2, ap_o_mode O2, int N2, bool INT2>
  APX_INL rangeref& operator=(const ap_num<W2, I2, S2, Q2, O2, N2, INT2>& x) { setraw(x.V); return *this; }
  APX_INL rangeref& operator=(const rangeref& o) { setraw(o.get().V); return *this; }
  template <class P2> APX_INL rangeref& operator=(const rangeref<P2>& o) { setraw(o.get().V); return *this; }
};
template <class P> struct tr<bitref<P>, void> {
  enum { ok = 1, w = 1, i = 1, s = 0, isint = 1 };
  typedef ap_num<1, 1, false, AP_TRN, AP_WRAP, 0, true> type;
  static APX_INL type get(const bitref<P>& x) { type r; r.V = (bool)x; return r; }
};
template <class P> struct tr<rangeref<P>, void> {
  enum { ok = 1, w = P::width, i = P::width, s = 0, isint = 1 };
  typedef ap_num<P::width, P::width, false, AP_TRN, AP_WRAP, 0, true> type;
  static APX_INL type get(const rangeref<P>& x) { return x.get(); }
};

}  // namespace apx

// ---------------------------------------------------------------------------
// Binary operators (any mix of ap types, bit/range refs and C integers).
#define APX_BIN(OP, RT, ...)                                                            \
  template <class A, class B>                                                            \
  APX_INL typename apx::bin<A, B>::RT operator OP(const A& a_, const B& b_) {            \
    typedef apx::bin<A, B> bn;                                                           \
    typedef typename bn::RT R;                                                           \
    typedef typename R::T RT_;                                                           \
    (void)sizeof(RT_);                                                                   \
    const typename apx::tr<A>::type& a = apx::tr<A>::get(a_);                           \
    const typename apx::tr<B>::type& b = apx::tr<B>::get(b_);                           \
    R r;                                                                                 \
    __VA_ARGS__;                                                                         \
    return r;                                                                            \
  }
#define APX_AL(x, F0) ((RT_)((RT_)(x).V << (R::F - (F0))))
APX_BIN(*, mul, r.V = (RT_)((RT_)a.V * (RT_)b.V))
APX_BIN(+, plus, r.V = (RT_)(APX_AL(a, bn::F1) + APX_AL(b, bn::F2)))
APX_BIN(-, minus, r.V = (RT_)(APX_AL(a, bn::F1) - APX_AL(b, bn::F2)))
APX_BIN(&, logic, r.V = (RT_)(APX_AL(a, bn::F1) & APX_AL(b, bn::F2)))
APX_BIN(|, logic, r.V = (RT_)(APX_AL(a, bn::F1) | APX_AL(b, bn::F2)))
APX_BIN(^, logic, r.V = (RT_)(APX_AL(a, bn::F1) ^ APX_AL(b, bn::F2)))
APX_BIN(/, div, {
  enum { SH = apx::mx(bn::F2, 0), CW = apx::mx(apx::mx(bn::W1 + SH + 1, bn::W2 + 1), R::width) };
  typedef typename apx::st<CW, (bool)(bn::S1 || bn::S2)>::t C;
  // the quotient is formed in QW bits (as the reference does: -min / -1 wraps there)
  enum { QW = apx::mx(bn::W1 + SH + (bn::S2 && !bn::S1), bn::W2 + (bn::S1 && !bn::S2)) };
  r.V = apx::wrap<R::width, (bool)(bn::S1 || bn::S2)>(
      apx::wrap<QW, (bool)(bn::S1 || bn::S2)>((C)((C)((C)a.V << SH) / (C)b.V)));
})
#define bin bini
APX_BIN(%, modi, {
  typedef typename apx::st<apx::mx(bn::W1, bn::W2) + 1, (bool)(bn::S1 || bn::S2)>::t C;
  r.V = apx::wrap<R::width, (bool)bn::S1>((C)((C)a.V % (C)b.V));
})
#undef bin
#undef APX_AL
#undef APX_BIN

// Comparisons are exact, except that mixed signed/unsigned operands follow the
// C-like rule of the reference: after aligning the binary points (the operand
// with fewer fraction bits is extended, plus one bit when it is the left one),
// if not both are narrower than 32 bits and the unsigned one is at least as
// wide as the signed one, the comparison is unsigned (modulo 2^width).
#define APX_CMP(OP, EQ)                                                                   \
  template <class A, class B>                                                            \
  APX_INL typename std::enable_if<apx::bin<A, B>::CW != 0, bool>::type                  \
  operator OP(const A& a_, const B& b_) {                                                \
    typedef apx::bin<A, B> bn;                                                           \
    typedef typename apx::st<bn::CW, true>::t C;                                         \
    typedef typename apx::st<bn::CW, false>::t UC;                                       \
    enum {                                                                               \
      WA = bn::F1 >= bn::F2 ? bn::W1 : apx::mx(bn::W1 + bn::F2 - bn::F1 + 1, 1),         \
      WB = bn::F1 > bn::F2 ? apx::mx(bn::W2 + bn::F1 - bn::F2, 1) : bn::W2,              \
      WU = bn::S1 ? WB : WA, WS = bn::S1 ? WA : WB,                                      \
      UM = bn::S1 != bn::S2 && !(WA < 32 && WB < 32) && WU >= WS                         \
    };                                                                                   \
    const typename apx::tr<A>::type& a = apx::tr<A>::get(a_);                           \
    const typename apx::tr<B>::type& b = apx::tr<B>::get(b_);                           \
    const C xa = (C)((C)a.V << (bn::F - bn::F1)), xb = (C)((C)b.V << (bn::F - bn::F2));  \
    if (UM) {                                                                            \
      const bool ta = bn::S1 && xa < 0, tb = bn::S2 && xb < 0;                           \
      if (ta || tb) {                                                                    \
        if (EQ) {                                                                        \
          const UC m = (int)WU >= (int)apx::bits<UC>::v ? (UC)-1 : (UC)(((UC)1 << ((int)WU % (int)apx::bits<UC>::v)) - 1); \
          return ((UC)xa & m) OP ((UC)xb & m);                                           \
        }                                                                                \
        return (int)ta OP (int)tb;                                                       \
      }                                                                                  \
    }                                                                                    \
    return xa OP xb;                                                                     \
  }                                                                                      \
  template <int W, int I, bool S, ap_q_mode Q, ap_o_mode O, int N>                       \
  APX_INL bool operator OP(const ap_num<W, I, S, Q, O, N, false>& a, double d) {         \
    return a.to_double() OP d;                                                           \
  }                                                                                      \
  template <int W, int I, bool S, ap_q_mode Q, ap_o_mode O, int N>                       \
  APX_INL bool operator OP(double d, const ap_num<W, I, S, Q, O, N, false>& a) {         \
    return d OP a.to_double();                                                           \
  }                                                                                      \
  template <int W, int I, bool S, ap_q_mode Q, ap_o_mode O, int N>                       \
  APX_INL bool operator OP(const ap_num<W, I, S, Q, O, N, false>& a, float d) {          \
    return a.to_double() OP d;                                                           \
  }                                                                                      \
  template <int W, int I, bool S, ap_q_mode Q, ap_o_mode O, int N>                       \
  APX_INL bool operator OP(float d, const ap_num<W, I, S, Q, O, N, false>& a) {          \
    return d OP a.to_double();                                                           \
  }
APX_CMP(==, 1) APX_CMP(!=, 1) APX_CMP(<, 0) APX_CMP(<=, 0) APX_CMP(>, 0) APX_CMP(>=, 0)
#undef APX_CMP

// Stream I/O: output prints the decimal value; input reads a double and quantizes.
template <int W, int I, bool S, ap_q_mode Q, ap_o_mode O, int N, bool INT>
inline std::ostream& operator<<(std::ostream& os, const ap_num<W, I, S, Q, O, N, INT>& x) {
  if (INT) apx::print_int(os, x.V); else os << x.to_double();
  return os;
}
template <int W, int I, bool S, ap_q_mode Q, ap_o_mode O, int N, bool INT>
inline std::istream& operator>>(std::istream& is, ap_num<W, I, S, Q, O, N, INT>& x) {
  double d = 0;
  is >> d;
  x = ap_num<W, I, S, Q, O, N, INT>(d);
  return is;
}

// Public names.
template <int W> using ap_int = ap_num<W, W, true, AP_TRN, AP_WRAP, 0, true>;
template <int W> using ap_uint = ap_num<W, W, false, AP_TRN, AP_WRAP, 0, true>;
template <int W, bool S> using ap_int_base = ap_num<W, W, S, AP_TRN, AP_WRAP, 0, true>;
template <int W, int I, ap_q_mode Q = AP_TRN, ap_o_mode O = AP_WRAP, int N = 0>
using ap_fixed = ap_num<W, I, true, Q, O, N, false>;
template <int W, int I, ap_q_mode Q = AP_TRN, ap_o_mode O = AP_WRAP, int N = 0>
using ap_ufixed = ap_num<W, I, false, Q, O, N, false>;
template <int W, int I, bool S = true, ap_q_mode Q = AP_TRN, ap_o_mode O = AP_WRAP, int N = 0>
using ap_fixed_base = ap_num<W, I, S, Q, O, N, false>;

#endif  // HLSGEN_AP_COMMON_H
