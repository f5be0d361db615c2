/* Stand-in for xtime_l.h: the global timer. */
#ifndef XTIME_L_H
#define XTIME_L_H
#include "xil_types.h"
typedef u64 XTime;
#ifndef COUNTS_PER_SECOND
#if defined(__x86_64__)
#define COUNTS_PER_SECOND 1000000000u /* host simulation: nanoseconds */
#elif defined(__aarch64__)
#define COUNTS_PER_SECOND 99999001u /* ZynqMP: the timestamp clock */
#else
#define COUNTS_PER_SECOND (666666687u / 2u) /* Zynq-7000: half the CPU clock */
#endif
#endif
#ifdef __cplusplus
extern "C" {
#endif
void XTime_GetTime(XTime *Xtime_Global);
#ifdef __cplusplus
}
#endif
#endif
