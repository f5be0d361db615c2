// Minimal stand-in for Xilinx's ap_axi_sdata.h, written from UG1399's description of the AXI4-Stream
// side-channel struct (Vitis HLS User Guide, "AXI4-Stream Interfaces with Side-Channels"):
//   template <int D, int U, int TI, int TD> struct ap_axiu { data, keep, strb, user, last, id, dest }
// with D data bits, TKEEP/TSTRB one bit per data byte, TLAST one bit, U/TI/TD the TUSER/TID/TDEST
// widths (ap_axis: the same with a signed ap_int data field).  Xilinx's ap_types in the hls4ml wheel
// have no ap_axi_sdata.h; this header is for hlsgen's tests only and uses nothing but ap_int.h.
#ifndef HLSGEN_TEST_AP_AXI_SDATA_H
#define HLSGEN_TEST_AP_AXI_SDATA_H
#include "ap_int.h"

template <int D, int U, int TI, int TD>
struct ap_axis {
    ap_int<D> data;
    ap_uint<(D + 7) / 8> keep;
    ap_uint<(D + 7) / 8> strb;
    ap_uint<U> user;
    ap_uint<1> last;
    ap_uint<TI> id;
    ap_uint<TD> dest;
};

template <int D, int U, int TI, int TD>
struct ap_axiu {
    ap_uint<D> data;
    ap_uint<(D + 7) / 8> keep;
    ap_uint<(D + 7) / 8> strb;
    ap_uint<U> user;
    ap_uint<1> last;
    ap_uint<TI> id;
    ap_uint<TD> dest;
};
#endif
