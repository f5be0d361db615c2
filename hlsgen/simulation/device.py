"""The accelerator as a device: the project's C simulation driven at the word level.

``Device(project)`` loads a private copy of the project's C-simulation library (its own
weight memories, like a separate board), fills the weights the bitstream would hold,
and runs the accelerator top with raw bus words: ``run(in_words, out_words, n_samples,
weight_words, load_weights)`` takes exactly what the registers and the DMA/AXI masters
would deliver.  ``Accelerator`` adds the register map (``registers.json``) and the
behaviour of the control register (ap_start, ap_done clear-on-read, ap_idle), so that
register-level drivers can run against it.
"""
from __future__ import annotations

import ctypes
import json
import shutil
import tempfile
from pathlib import Path

import numpy as np

from ..backends.vivado_accelerator.interfaces import interface_for
from ..csim import abi, build

AP_START, AP_DONE, AP_IDLE, AP_READY, AUTO_RESTART = 0x1, 0x2, 0x4, 0x8, 0x80


def word_dtype(bus: dict) -> np.dtype:
    return np.dtype(bus["numpy"])


class DeviceError(RuntimeError):
    """The simulated hardware detected a protocol error (wrong TLAST, bad address, ...)."""


class Device:
    """The accelerator top of a written project, at the word level."""

    def __init__(self, project, ap_types: str | None = None, verbose: bool = False):
        self.project = Path(project).resolve()
        self.desc = json.loads((self.project / "registers.json").read_text())
        lib = build(self.project, ap_types, verbose)
        # a private copy: dlopen would share the weight memories of another Simulation
        self._tmp = tempfile.mkdtemp(prefix="hlsgen_device_")
        self.lib_path = Path(self._tmp) / lib.name
        shutil.copy(lib, self.lib_path)
        self.lib = ctypes.CDLL(str(self.lib_path))
        abi.bind_device(self.lib)
        if getattr(self.lib, abi.DEVICE_LOAD_WEIGHT_FILES)(str(self.project).encode()) != 0:
            raise DeviceError(f"cannot load the weights of {self.project}")
        info = abi.device_info(self.lib)
        self.n_in, self.n_out, self.n_weights = info["n_in_words"], info["n_out_words"], info["n_weight_words"]
        self.in_dtype = word_dtype(self.desc["input_bus"])
        self.out_dtype = word_dtype(self.desc["output_bus"])
        self.w_dtype = word_dtype(self.desc["weights_bus"])
        self.runs = 0
        self.cycles = 0

    def run(self, in_words, out_words, n_samples: int, weight_words=None, load_weights: bool = False) -> None:
        """Start the top once. Arrays must be contiguous numpy arrays of the bus word types."""
        n = int(n_samples) if interface_for(self.desc["interface"]).batched else 1
        for a, dt, need, what in ((in_words, self.in_dtype, n * self.n_in, "input"),
                                  (out_words, self.out_dtype, n * self.n_out, "output")):
            if need and (a is None or a.dtype.itemsize != dt.itemsize or a.size < need or not a.flags.c_contiguous):
                raise DeviceError(f"{what} words: need {need} contiguous {dt} words")
        wp = None
        if load_weights:
            if weight_words is None or weight_words.size < self.n_weights or weight_words.dtype.itemsize != self.w_dtype.itemsize:
                raise DeviceError(f"weights: need {self.n_weights} {self.w_dtype} words")
            wp = weight_words.ctypes.data
        ip = in_words.ctypes.data if in_words is not None and in_words.size else None
        op = out_words.ctypes.data if out_words is not None and out_words.size else None
        rc = getattr(self.lib, abi.DEVICE_RUN)(ip, op, n, wp, 1 if load_weights else 0)
        self.runs += 1
        self.cycles = int(getattr(self.lib, abi.DEVICE_CYCLES)())  # the model count of C simulation
        if rc == abi.DEVICE_BAD_TLAST:
            raise DeviceError("TLAST was not on the last output word")
        if rc == abi.DEVICE_WORDS_LEFT:
            raise DeviceError("the accelerator left words in its streams")
        if rc == abi.DEVICE_NO_WEIGHT_PORT:
            raise DeviceError("load_weights set on a project without a weight port")

    def close(self):
        shutil.rmtree(self._tmp, ignore_errors=True)


def register_offsets(desc: dict) -> dict:
    return {r["name"]: r for r in desc["registers"]}


def register_span(desc: dict) -> int:
    """Bytes of the s_axi_control address space (a power of two, at least 4 KiB... 64 KiB as
    Vivado's address editor assigns by default)."""
    end = 0x10
    for r in desc["registers"]:
        end = max(end, r["offset"] + 4 * (r["words"] + 1))
    span = 0x10000
    while span < end:
        span *= 2
    return span


class Memory:
    """Physical memory of a simulated board: the buffers handed out by ``allocate``.

    Addresses are the host addresses of the numpy data, so the device reads and writes
    the very arrays a driver holds; an access outside a live buffer is a bus error."""

    def __init__(self):
        self.buffers: dict[int, np.ndarray] = {}

    def add(self, array: np.ndarray) -> int:
        addr = array.ctypes.data
        self.buffers[addr] = array
        return addr

    def remove(self, addr: int):
        self.buffers.pop(addr, None)

    def view(self, addr: int, count: int, dtype) -> np.ndarray:
        dtype = np.dtype(dtype)
        nbytes = count * dtype.itemsize
        for base, arr in self.buffers.items():
            if base <= addr and addr + nbytes <= base + arr.nbytes:
                if (addr - base) % dtype.itemsize:
                    raise DeviceError(f"unaligned {dtype} access at 0x{addr:x}")
                raw = np.frombuffer(arr.reshape(-1).view(np.uint8), dtype=np.uint8, count=nbytes,
                                    offset=addr - base) if nbytes else np.zeros(0, np.uint8)
                return raw.view(dtype)
        raise DeviceError(f"bus error: {nbytes} bytes at 0x{addr:x} are not inside a live buffer "
                          "(freed, or a wrong address in a register)")


class Accelerator:
    """The accelerator behind its s_axi_control register map (and, for axi_stream, the
    two DMA channels that feed it).  ``read``/``write`` are 32-bit register accesses at
    byte offsets.  Writing ap_start runs the top once its data is there: for axi_stream
    when the MM2S channel holds the n_samples x inputs words and S2MM is armed; a start
    that cannot complete leaves the core busy (ap_done never comes), as hardware would."""

    def __init__(self, device: Device, memory: Memory):
        self.device = device
        self.desc = device.desc
        self.memory = memory
        self.regs = np.zeros(register_span(self.desc) // 4, dtype=np.uint32)
        self.map = register_offsets(self.desc)
        self.started = False
        self.done_flag = False
        self.isr = 0
        self.hang_next = False  # fault injection: the next start never completes
        self.mm2s = None  # (words array view) queued by the DMA send channel
        self.s2mm = None  # (bytes capacity, array view) armed receive buffer
        self.s2mm_error = False
        self.log = []  # (op, offset, value) register traffic

    # -------------------------------------------------------------- registers
    def read(self, offset: int) -> int:
        if offset % 4 or not 0 <= offset < self.regs.size * 4:
            raise DeviceError(f"register read at 0x{offset:x}: outside s_axi_control or unaligned")
        if offset == 0:
            v = (AP_START if self.started else 0) | (AP_DONE if self.done_flag else 0)
            v |= 0 if self.started else AP_IDLE
            v |= int(self.regs[0]) & AUTO_RESTART
            self.done_flag = False  # ap_done is clear-on-read
            self.log.append(("r", offset, v))
            return v
        if offset == self.desc["control"]["isr"]:
            return self.isr
        v = int(self.regs[offset // 4])
        self.log.append(("r", offset, v))
        return v

    def write(self, offset: int, value: int):
        if offset % 4 or not 0 <= offset < self.regs.size * 4:
            raise DeviceError(f"register write at 0x{offset:x}: outside s_axi_control or unaligned")
        value = int(value) & 0xFFFFFFFF
        self.log.append(("w", offset, value))
        if offset == 0:
            self.regs[0] = value & AUTO_RESTART
            if value & AUTO_RESTART:
                raise DeviceError("auto_restart is not modelled by the simulated accelerator")
            if value & AP_START:
                if self.started:
                    return  # already running: ap_start is ignored until ready
                self.started = True
                self._try_run()
            return
        if offset == self.desc["control"]["isr"]:
            self.isr ^= value & 0x3  # toggle on write
            return
        self.regs[offset // 4] = value

    def _reg(self, name: str) -> int:
        r = self.map[name]
        v = int(self.regs[r["offset"] // 4])
        if r["words"] == 2:
            v |= int(self.regs[r["offset"] // 4 + 1]) << 32
        return v

    def _array_view(self, name: str, dtype) -> np.ndarray:
        r = self.map[name]
        raw = self.regs.view(np.uint8)[r["offset"]: r["offset"] + r["words"] * np.dtype(dtype).itemsize]
        return raw.view(dtype)

    # -------------------------------------------------------------- streams (DMA side)
    def dma_send(self, words_u8: np.ndarray):
        if self.mm2s is not None:
            raise DeviceError("MM2S transfer started while the previous one is still running")
        self.mm2s = words_u8
        self._try_run()

    def dma_recv(self, buf_u8: np.ndarray):
        if self.s2mm is not None:
            raise DeviceError("S2MM transfer started while the previous one is still running")
        self.s2mm = buf_u8
        self.s2mm_error = False
        self._try_run()

    @property
    def mm2s_idle(self) -> bool:
        return self.mm2s is None

    @property
    def s2mm_idle(self) -> bool:
        return self.s2mm is None and not self.s2mm_error

    # -------------------------------------------------------------- running the top
    def _try_run(self):
        if not self.started or self.hang_next:
            return
        d, dev = self.desc, self.device
        itf = interface_for(d["interface"])  # how the data move (interfaces/)
        load = bool(self._reg("load_weights") & 1) if "load_weights" in self.map else False
        w = self.memory.view(self._reg("weights"), dev.n_weights, dev.w_dtype) if load else None
        if itf.uses_dma:
            n = self._reg("n_samples")
            need_in = n * dev.n_in * dev.in_dtype.itemsize
            need_out = n * dev.n_out * dev.out_dtype.itemsize
            if n:
                if self.mm2s is None or self.mm2s.size < need_in or self.s2mm is None:
                    return  # waiting for the DMA
                if self.s2mm.size < need_out:
                    self.s2mm_error = True  # S2MM buffer too short for the packet: DMA internal error
                    self.s2mm = None
                    return
            xin = self.mm2s[:need_in].view(dev.in_dtype) if n else np.zeros(0, dev.in_dtype)
            yout = np.zeros(n * dev.n_out, dev.out_dtype)
            dev.run(xin, yout, n, w, load)
            if n:
                self.s2mm[:need_out] = yout.view(np.uint8)
                self.s2mm_received = need_out
                self.s2mm = None
                rest = self.mm2s[need_in:]
                self.mm2s = rest if rest.size else None
        elif itf.data_in_memory:
            n = self._reg("n_samples")
            xin = self.memory.view(self._reg("in_r"), n * dev.n_in, dev.in_dtype) if n else np.zeros(0, dev.in_dtype)
            yout = self.memory.view(self._reg("out_r"), n * dev.n_out, dev.out_dtype) if n else np.zeros(0, dev.out_dtype)
            tmp = np.zeros(yout.size, dev.out_dtype)
            dev.run(np.ascontiguousarray(xin), tmp, n, w, load)
            yout[:] = tmp
        else:
            xin = self._array_view("in_r", dev.in_dtype).copy()
            tmp = np.zeros(dev.n_out, dev.out_dtype)
            dev.run(xin, tmp, 1, w, load)
            self._array_view("out_r", dev.out_dtype)[:] = tmp
        if "cycles" in self.map:  # the output register the top writes at the end of a run
            self.regs[self.map["cycles"]["offset"] // 4] = dev.cycles & 0xFFFFFFFF
        self.started = False
        self.done_flag = True
        if self.regs[self.desc["control"]["ier"] // 4] & 1:
            self.isr |= 1
