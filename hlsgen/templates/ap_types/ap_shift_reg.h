// hlsgen stand-in for ap_shift_reg.h (C simulation).
#ifndef HLSGEN_AP_SHIFT_REG_H
#define HLSGEN_AP_SHIFT_REG_H

template <typename T, unsigned int N>
class ap_shift_reg {
  T r_[N];
 public:
  ap_shift_reg() { for (unsigned i = 0; i < N; ++i) r_[i] = T(); }
  explicit ap_shift_reg(const char*) { for (unsigned i = 0; i < N; ++i) r_[i] = T(); }
  // Returns the element at addr (before shifting), then shifts din in at 0 if en.
  T shift(T din, unsigned int addr = N - 1, bool en = true) {
    T out = r_[addr];
    if (en) {
      for (unsigned i = N - 1; i > 0; --i) r_[i] = r_[i - 1];
      r_[0] = din;
    }
    return out;
  }
  T read(unsigned int addr = N - 1) const { return r_[addr]; }
};
#endif
