// hlsgen clean-room ap_fixed<W,I,Q,O,N> / ap_ufixed<W,I,Q,O,N> (see ap_common.h).
#ifndef HLSGEN_AP_FIXED_H
#define HLSGEN_AP_FIXED_H
#include "ap_common.h"
#endif
