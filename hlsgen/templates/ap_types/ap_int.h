// hlsgen clean-room ap_int<W> / ap_uint<W> (see ap_common.h).
#ifndef HLSGEN_AP_INT_H
#define HLSGEN_AP_INT_H
#include "ap_common.h"
#endif
