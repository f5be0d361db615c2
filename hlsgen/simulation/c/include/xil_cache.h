/* Stand-in for xil_cache.h (the length is u32 on Cortex-A9, INTPTR on 64-bit targets). */
#ifndef XIL_CACHE_H
#define XIL_CACHE_H
#include "xil_types.h"
#ifdef __cplusplus
extern "C" {
#endif
#if defined(__aarch64__) || defined(__x86_64__)
void Xil_DCacheFlushRange(INTPTR adr, INTPTR len);
void Xil_DCacheInvalidateRange(INTPTR adr, INTPTR len);
#else
void Xil_DCacheFlushRange(INTPTR adr, u32 len);
void Xil_DCacheInvalidateRange(INTPTR adr, u32 len);
#endif
#ifdef __cplusplus
}
#endif
#endif
