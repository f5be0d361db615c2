/*
 * hlsgen host simulation of the C driver's hardware-access layer.
 *
 * Implements the BSP functions the generated driver calls (Xil_In32/Xil_Out32,
 * Xil_DCache*, XAxiDma_*, XTime_GetTime) on a host. The "device" is the accelerator top
 * of the project's C simulation (hlsgen_device_run in its shared library, loaded with
 * RTLD_DEEPBIND so a software reference linked into the program cannot interpose its
 * symbols) behind the register map of registers.json (hlsgen_device_map.h) and, for
 * axi_stream, an AXI DMA in simple mode. Writing ap_start runs the top with the
 * arguments the registers hold, once its data is there; ap_done is clear-on-read.
 *
 * Checks what only hardware would otherwise reveal: accesses outside the register map,
 * memory the device reads that was not flushed from the data cache since the CPU could
 * have written it, results the CPU reads without invalidating, DMA lengths that do not
 * match the transfer. Each counts as a violation; hlsgen_host_report() prints them at exit.
 * HLSGEN_HOST_FAULT=hang in the environment makes every start hang (timeout tests).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hlsgen_device_map.h"
#include "xaxidma.h"
#include "xil_cache.h"
#include "xil_io.h"
#include "xtime_l.h"

typedef int (*run_fn)(const void *, void *, unsigned, const void *, int);
typedef int (*load_fn)(const char *);
typedef unsigned (*cycles_fn)(void);

static run_fn dev_run;
static cycles_fn dev_cycles;
static u32 regs[HLSGEN_DEV_SPAN / 4];
static int started, done_flag, hang;
static unsigned violations, runs, flushes, invalidates;

/* flushed ranges since the last start; output ranges awaiting an invalidate */
#define MAXR 64
static struct { UINTPTR a, n; } flushed[MAXR], pending_inv[MAXR];
static int n_flushed, n_pending;

static struct {
    UINTPTR addr;
    u32 len;
    int busy, error;
} chan[2]; /* 0: MM2S, 1: S2MM */

static void violation(const char *msg, UINTPTR a, UINTPTR n) {
    violations++;
    fprintf(stderr, "hlsgen host device: %s (0x%lx, %lu bytes)\n", msg, (unsigned long)a, (unsigned long)n);
}

void hlsgen_host_report(void) {
    printf("hlsgen host device: %u runs, %u cache flushes, %u invalidates, %u violations\n", runs, flushes,
           invalidates, violations + (unsigned)n_pending);
}

static void init_device(void) {
    void *h;
    load_fn load;
    const char *f = getenv("HLSGEN_HOST_FAULT");
    if (dev_run) return;
    h = dlopen(HLSGEN_DEV_LIB, RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND);
    if (!h) {
        fprintf(stderr, "hlsgen host device: cannot load %s: %s\n", HLSGEN_DEV_LIB, dlerror());
        exit(2);
    }
    dev_run = (run_fn)dlsym(h, HLSGEN_DEV_RUN_FN);
    load = (load_fn)dlsym(h, HLSGEN_DEV_LOAD_FN);
    dev_cycles = (cycles_fn)dlsym(h, HLSGEN_DEV_CYCLES_FN);
    if (!dev_run || !dev_cycles || !load || load(HLSGEN_DEV_PROJECT) != 0) {
        fprintf(stderr, "hlsgen host device: %s lacks the device entry points or weights\n", HLSGEN_DEV_LIB);
        exit(2);
    }
    hang = f && strcmp(f, "hang") == 0;
    atexit(hlsgen_host_report);
}

static int covered(UINTPTR a, UINTPTR n) {
    int k;
    for (k = 0; k < n_flushed; k++)
        if (flushed[k].a <= a && a + n <= flushed[k].a + flushed[k].n) return 1;
    return 0;
}

static void device_reads(UINTPTR a, UINTPTR n) {
    if (n && !covered(a, n)) violation("the device reads memory not flushed from the data cache", a, n);
}

static void device_writes(UINTPTR a, UINTPTR n) {
    if (n && n_pending < MAXR) {
        pending_inv[n_pending].a = a;
        pending_inv[n_pending].n = n;
        n_pending++;
    }
}

static u64 reg64(int off) { return (u64)regs[off / 4] | ((u64)regs[off / 4 + 1] << 32); }

static void try_run(void) {
    unsigned n = 1;
    int load = 0, rc;
    const void *w = 0;
    const void *in = 0;
    void *out = 0;
    static unsigned char lite_in[HLSGEN_DEV_N_IN * HLSGEN_DEV_IN_BYTES + 8];
    static unsigned char lite_out[HLSGEN_DEV_N_OUT * HLSGEN_DEV_OUT_BYTES + 8];
    if (!started || hang) return;
#if HLSGEN_DEV_LOAD_WEIGHTS >= 0
    load = regs[HLSGEN_DEV_LOAD_WEIGHTS / 4] & 1;
    if (load) {
        w = (const void *)(UINTPTR)reg64(HLSGEN_DEV_WEIGHTS);
        device_reads((UINTPTR)w, (UINTPTR)HLSGEN_DEV_N_W * HLSGEN_DEV_W_BYTES);
    }
#endif
#if HLSGEN_DEV_TRANSPORT == 0 /* an AXI DMA streams the data */
    n = regs[HLSGEN_DEV_N_SAMPLES / 4];
    if (n) {
        u32 need_in = n * HLSGEN_DEV_N_IN * HLSGEN_DEV_IN_BYTES, need_out = n * HLSGEN_DEV_N_OUT * HLSGEN_DEV_OUT_BYTES;
        if (!chan[0].busy || !chan[1].busy) return; /* waiting for the DMA */
        if (chan[0].len != need_in) {
            violation("MM2S length differs from n_samples x inputs: the core would hang", chan[0].addr, chan[0].len);
            return;
        }
        if (chan[1].len < need_out) {
            violation("S2MM buffer shorter than the packet: DMA error", chan[1].addr, chan[1].len);
            chan[1].error = 1;
            return;
        }
        in = (const void *)chan[0].addr;
        out = (void *)chan[1].addr;
        device_reads(chan[0].addr, need_in);
        device_writes(chan[1].addr, need_out);
    }
#elif HLSGEN_DEV_TRANSPORT == 1 /* AXI masters read and write buffers in memory */
    n = regs[HLSGEN_DEV_N_SAMPLES / 4];
    in = (const void *)(UINTPTR)reg64(HLSGEN_DEV_IN_R);
    out = (void *)(UINTPTR)reg64(HLSGEN_DEV_OUT_R);
    device_reads((UINTPTR)in, (UINTPTR)n * HLSGEN_DEV_N_IN * HLSGEN_DEV_IN_BYTES);
    device_writes((UINTPTR)out, (UINTPTR)n * HLSGEN_DEV_N_OUT * HLSGEN_DEV_OUT_BYTES);
#else /* the data are arrays in the register space */
    memcpy(lite_in, (unsigned char *)regs + HLSGEN_DEV_IN_R, HLSGEN_DEV_N_IN * HLSGEN_DEV_IN_BYTES);
    in = lite_in;
    out = lite_out;
#endif
    rc = dev_run(in, out, n, w, load);
    if (rc) {
        fprintf(stderr, "hlsgen host device: the top reported error %d (TLAST/streams)\n", rc);
        violations++;
    }
#if HLSGEN_DEV_CYCLES >= 0
    regs[HLSGEN_DEV_CYCLES / 4] = dev_cycles(); /* the top's output register (a model count here) */
#endif
#if HLSGEN_DEV_TRANSPORT == 2
    memcpy((unsigned char *)regs + HLSGEN_DEV_OUT_R, lite_out, HLSGEN_DEV_N_OUT * HLSGEN_DEV_OUT_BYTES);
#endif
#if HLSGEN_DEV_TRANSPORT == 0
    if (n) chan[0].busy = chan[1].busy = 0;
#endif
    runs++;
    n_flushed = 0;
    started = 0;
    done_flag = 1;
}

u32 Xil_In32(UINTPTR addr) {
    UINTPTR off = addr - HLSGEN_DEV_CTRL_BASE;
    init_device();
    if (addr < HLSGEN_DEV_CTRL_BASE || off >= HLSGEN_DEV_SPAN || off % 4) {
        violation("read outside the accelerator's register map", addr, 4);
        return 0xDEADBEEFu;
    }
    if (off == 0) {
        u32 v = (started ? 0x1u : 0x4u) | (done_flag ? 0x2u : 0u);
        done_flag = 0; /* clear on read */
        return v;
    }
    return regs[off / 4];
}

void Xil_Out32(UINTPTR addr, u32 value) {
    UINTPTR off = addr - HLSGEN_DEV_CTRL_BASE;
    init_device();
    if (addr < HLSGEN_DEV_CTRL_BASE || off >= HLSGEN_DEV_SPAN || off % 4) {
        violation("write outside the accelerator's register map", addr, 4);
        return;
    }
    if (off == 0) {
        if ((value & 0x1u) && !started) {
            int k;
            /* results of the previous run must have been invalidated before the CPU read them */
            for (k = 0; k < n_pending; k++)
                violation("results read without Xil_DCacheInvalidateRange", pending_inv[k].a, pending_inv[k].n);
            n_pending = 0;
            started = 1;
            try_run();
        }
        return;
    }
    regs[off / 4] = value;
}

static void flush_or_inv(INTPTR adr, UINTPTR len, int inv) {
    int k;
    if (inv) {
        invalidates++;
        for (k = 0; k < n_pending; k++)
            if ((UINTPTR)adr <= pending_inv[k].a && pending_inv[k].a + pending_inv[k].n <= (UINTPTR)adr + len) {
                pending_inv[k] = pending_inv[--n_pending];
                k--;
            }
        return;
    }
    flushes++;
    if (n_flushed < MAXR) {
        flushed[n_flushed].a = (UINTPTR)adr;
        flushed[n_flushed].n = len;
        n_flushed++;
    }
}

void Xil_DCacheFlushRange(INTPTR adr, INTPTR len) { flush_or_inv(adr, (UINTPTR)len, 0); }
void Xil_DCacheInvalidateRange(INTPTR adr, INTPTR len) { flush_or_inv(adr, (UINTPTR)len, 1); }

void XTime_GetTime(XTime *t) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    *t = (XTime)ts.tv_sec * 1000000000u + (XTime)ts.tv_nsec;
}

/* ---- AXI DMA (simple mode) */
static XAxiDma_Config dma_cfg;

XAxiDma_Config *XAxiDma_LookupConfig(UINTPTR id) {
    if (id != HLSGEN_DEV_DMA_ID && id != HLSGEN_DEV_DMA_BASE) return 0;
    dma_cfg.DeviceId = HLSGEN_DEV_DMA_ID;
    dma_cfg.BaseAddr = HLSGEN_DEV_DMA_BASE;
    dma_cfg.HasMm2S = dma_cfg.HasS2Mm = 1;
    dma_cfg.SgLengthWidth = 26;
    return &dma_cfg;
}

int XAxiDma_CfgInitialize(XAxiDma *d, XAxiDma_Config *cfg) {
    init_device();
    memset(d, 0, sizeof(*d));
    d->RegBase = cfg->BaseAddr;
    d->HasMm2S = d->HasS2Mm = 1;
    d->Initialized = 1;
    return XST_SUCCESS;
}

u32 XAxiDma_SimpleTransfer(XAxiDma *d, UINTPTR addr, u32 len, int dir) {
    int c = dir == XAXIDMA_DEVICE_TO_DMA;
    if (!d->Initialized || chan[c].busy || len == 0 || len >= (1u << 26)) return XST_FAILURE;
    chan[c].addr = addr;
    chan[c].len = len;
    chan[c].busy = 1;
    chan[c].error = 0;
    try_run();
    return XST_SUCCESS;
}

u32 XAxiDma_Busy(XAxiDma *d, int dir) {
    (void)d;
    return chan[dir == XAXIDMA_DEVICE_TO_DMA].busy ? 1u : 0u;
}

void XAxiDma_Reset(XAxiDma *d) {
    (void)d;
    memset(chan, 0, sizeof(chan));
}

int XAxiDma_ResetIsDone(XAxiDma *d) {
    (void)d;
    return 1;
}

void XAxiDma_IntrDisable(XAxiDma *d, u32 mask, int dir) {
    (void)d;
    (void)mask;
    (void)dir;
}
