/* Stand-in for xaxidma.h: the AXI DMA driver API used in simple (polled) mode. */
#ifndef XAXIDMA_H_
#define XAXIDMA_H_
#include "xil_types.h"
#include "xstatus.h"
#define XAXIDMA_DMA_TO_DEVICE 0x00
#define XAXIDMA_DEVICE_TO_DMA 0x01
#define XAXIDMA_IRQ_IOC_MASK 0x00001000
#define XAXIDMA_IRQ_DELAY_MASK 0x00002000
#define XAXIDMA_IRQ_ERROR_MASK 0x00004000
#define XAXIDMA_IRQ_ALL_MASK 0x00007000
typedef struct {
    UINTPTR DeviceId;
    UINTPTR BaseAddr;
    int HasStsCntrlStrm, HasMm2S, HasMm2SDRE, Mm2SDataWidth, HasS2Mm, HasS2MmDRE, S2MmDataWidth, HasSg;
    int Mm2sNumChannels, S2MmNumChannels, Mm2SBurstSize, S2MmBurstSize, MicroDmaMode, AddrWidth, SgLengthWidth;
} XAxiDma_Config;
typedef struct {
    UINTPTR RegBase;
    int HasMm2S, HasS2Mm, Initialized, HasSg;
} XAxiDma;
#ifdef __cplusplus
extern "C" {
#endif
XAxiDma_Config *XAxiDma_LookupConfig(UINTPTR DeviceIdOrBase);
int XAxiDma_CfgInitialize(XAxiDma *InstancePtr, XAxiDma_Config *Config);
u32 XAxiDma_SimpleTransfer(XAxiDma *InstancePtr, UINTPTR BuffAddr, u32 Length, int Direction);
u32 XAxiDma_Busy(XAxiDma *InstancePtr, int Direction);
void XAxiDma_Reset(XAxiDma *InstancePtr);
int XAxiDma_ResetIsDone(XAxiDma *InstancePtr);
void XAxiDma_IntrDisable(XAxiDma *InstancePtr, u32 Mask, int Direction);
#ifdef __cplusplus
}
#endif
#define XAxiDma_HasSg(InstancePtr) ((InstancePtr)->HasSg)
#endif
