/* Stand-in for xil_io.h: 32-bit register access. */
#ifndef XIL_IO_H
#define XIL_IO_H
#include "xil_types.h"
#ifdef __cplusplus
extern "C" {
#endif
u32 Xil_In32(UINTPTR Addr);
void Xil_Out32(UINTPTR Addr, u32 Value);
#ifdef __cplusplus
}
#endif
#endif
