// hlsgen stand-in for ap_axi_sdata.h: AXI4-Stream side-channel structs.
// hls::axis<T, WUser, WId, WDest> (Vitis 2021+) and ap_axis / ap_axiu (older).
#ifndef HLSGEN_AP_AXI_SDATA_H
#define HLSGEN_AP_AXI_SDATA_H
#include <cstddef>
#include "ap_int.h"

namespace apx {
template <class T> struct bitw { enum { v = (int)sizeof(T) * 8 }; };
template <int W, int I, bool S, ap_q_mode Q, ap_o_mode O, int N, bool INT>
struct bitw<ap_num<W, I, S, Q, O, N, INT> > { enum { v = W }; };
}  // namespace apx

namespace hls {
// Zero-width side channels are kept as 1-bit fields (assign 0 / ignore).
template <typename T, std::size_t WUser = 0, std::size_t WId = 0, std::size_t WDest = 0>
struct axis {
  enum { NB = (apx::bitw<T>::v + 7) / 8 };
  T data;
  ap_uint<NB> keep;
  ap_uint<NB> strb;
  ap_uint<(WUser > 0 ? WUser : 1)> user;
  ap_uint<1> last;
  ap_uint<(WId > 0 ? WId : 1)> id;
  ap_uint<(WDest > 0 ? WDest : 1)> dest;
};
}  // namespace hls

template <int D, int U = 0, int TI = 0, int TD = 0>
struct ap_axis : hls::axis<ap_int<D>, U, TI, TD> {};
template <int D, int U = 0, int TI = 0, int TD = 0>
struct ap_axiu : hls::axis<ap_uint<D>, U, TI, TD> {};
#endif
