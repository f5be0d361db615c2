"""A simulated ``pynq`` for running PYNQ drivers on a host, against hlsgen's C simulation.

Implements the part of PYNQ's API that accelerator drivers use -- ``Overlay`` with
``ip_dict`` and drivers bound to IPs by VLNV (``DefaultIP.bindto``), ``allocate`` (numpy
arrays with a ``physical_address``), ``MMIO``, ``register_map``, and the AXI DMA's
``sendchannel``/``recvchannel`` -- with the hardware replaced by
:class:`hlsgen.simulation.device.Accelerator`.  Instead of parsing a ``.hwh``, the
overlay reads the project's ``registers.json``.  Written from PYNQ's documented
behaviour; it is a test double, not a copy of PYNQ.

Use: ``hlsgen.simulation.install_pynq(project)`` (puts this module in ``sys.modules``
as ``pynq``), or put ``hlsgen/simulation/pynq_sim`` on ``sys.path``.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from ..backends.vivado_accelerator.interfaces import interface_for
from .device import Accelerator, Device, DeviceError, Memory, register_span

__all__ = ["Overlay", "DefaultIP", "MMIO", "allocate", "PynqBuffer", "DMA", "attach", "board", "DeviceError"]

DMA_VLNV = "xilinx.com:ip:axi_dma:7.1"


class _Board:
    """The simulated board: memory, address map, the accelerator and the project."""

    def __init__(self):
        self.memory = Memory()
        self.project = None
        self.layout = {}
        self.accelerator: Accelerator | None = None
        self.device: Device | None = None
        self.bus = {}  # base address -> object with read/write
        self.overlays = []  # constructor arguments of every Overlay, for tests

    def reset(self):
        if self.device is not None:
            self.device.close()
        self.__init__()


board = _Board()


def attach(project, ip_name: str | None = None, dma_name: str = "axi_dma_0", ctrl_base: int = 0x40000000,
           dma_base: int = 0x40400000, dma_length_width: int = 26):
    """Simulate the bitstream of ``project`` (a written VivadoAccelerator project).
    ``ip_name``/``dma_name`` place the IPs in the design (hierarchies with '/'); ``dma_length_width``
    is the DMA's c_sg_length_width in the .hwh (a transfer moves at most 2^width - 1 bytes)."""
    project = Path(project).resolve()
    desc = json.loads((project / "registers.json").read_text())
    board.reset()
    board.project = project
    board.desc = desc
    board.layout = dict(ip=ip_name or f"{desc['top']}_0", dma=dma_name, ctrl_base=ctrl_base, dma_base=dma_base,
                        dma_length_width=dma_length_width)
    board.device = Device(project)
    board.accelerator = Accelerator(board.device, board.memory)
    board.bus[ctrl_base] = board.accelerator
    return board.accelerator


# ------------------------------------------------------------------------------ memory
class PynqBuffer(np.ndarray):
    """A contiguous numpy array in 'physically addressed' memory."""

    def __array_finalize__(self, obj):
        self._owner = getattr(obj, "_owner", None)

    @property
    def physical_address(self) -> int:
        return self.ctypes.data

    device_address = physical_address

    @property
    def coherent(self) -> bool:
        return False

    def flush(self):
        self._check_live()

    def invalidate(self):
        self._check_live()

    sync_to_device = flush
    sync_from_device = invalidate

    def _check_live(self):
        if self._owner is None or self._owner.ctypes.data not in board.memory.buffers:
            raise DeviceError("buffer used after freebuffer()")

    def freebuffer(self):
        if self._owner is not None:
            board.memory.remove(self._owner.ctypes.data)

    close = freebuffer

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.freebuffer()


def allocate(shape, dtype="u4", target=None, **kwargs):
    """Like ``pynq.allocate``: a zeroed contiguous buffer with a physical address."""
    base = np.zeros(shape, dtype=dtype)
    buf = base.view(PynqBuffer)
    buf._owner = base
    board.memory.add(base)
    return buf


def live_buffers() -> int:
    return len(board.memory.buffers)


# ------------------------------------------------------------------------------ MMIO / IPs
class MMIO:
    """32-bit register access to an address range of the simulated board."""

    def __init__(self, base_addr: int, length: int = 4, **kwargs):
        self.base_addr, self.length = int(base_addr), int(length)
        self.target = board.bus.get(self.base_addr)
        if self.target is None:
            raise DeviceError(f"nothing is mapped at 0x{self.base_addr:x}")

    def _check(self, offset):
        if not 0 <= offset < self.length or offset % 4:
            raise DeviceError(f"MMIO offset 0x{offset:x} outside 0..0x{self.length:x} or unaligned")

    def read(self, offset: int = 0, length: int = 4) -> int:
        self._check(offset)
        if length == 8:
            return self.target.read(offset) | (self.target.read(offset + 4) << 32)
        if length != 4:
            raise ValueError("MMIO.read: length must be 4 or 8")
        return self.target.read(offset)

    def write(self, offset: int, data) -> None:
        self._check(offset)
        if isinstance(data, (bytes, bytearray)):
            if len(data) % 4:
                raise ValueError("MMIO.write: byte strings must be a multiple of 4 bytes")
            for k in range(0, len(data), 4):
                self.target.write(offset + k, int.from_bytes(data[k:k + 4], "little"))
            return
        self.target.write(offset, int(data))


_ip_drivers: dict = {}


class _Register:
    def __init__(self, mmio, name, address, width=32):
        self._mmio, self.name, self.address, self.width = mmio, name, address, width

    @property
    def value(self):
        return self._mmio.read(self.address)

    def __int__(self):
        return self.value

    def __repr__(self):
        return f"Register({self.name}=0x{self.value:x})"


class RegisterMap:
    """``ip.register_map``: registers by name (as in the .hwh), read and written by attribute."""

    def __init__(self, mmio, registers: dict):
        object.__setattr__(self, "_mmio", mmio)
        object.__setattr__(self, "_regs", {n: _Register(mmio, n, r["address_offset"], r["size"])
                                           for n, r in registers.items()})

    def __getattr__(self, name):
        try:
            return self._regs[name]
        except KeyError:
            raise AttributeError(f"no register {name!r}; registers: {', '.join(self._regs)}") from None

    def __setattr__(self, name, value):
        self._mmio.write(getattr(self, name).address, int(value))

    def __iter__(self):
        return iter(self._regs.values())

    def __dir__(self):
        return list(self._regs)


class DefaultIP:
    """Base of IP drivers; subclasses list the VLNVs they drive in ``bindto``."""

    bindto: list = []

    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        for vlnv in cls.__dict__.get("bindto", []):
            _ip_drivers[vlnv] = cls

    def __init__(self, description: dict):
        self.description = description
        self.mmio = MMIO(description["phys_addr"], description["addr_range"])
        self._registers = description.get("registers", {})

    def read(self, offset: int = 0) -> int:
        return self.mmio.read(offset)

    def write(self, offset: int, value) -> None:
        self.mmio.write(offset, value)

    @property
    def register_map(self) -> RegisterMap:
        return RegisterMap(self.mmio, self._registers)


class _Channel:
    def __init__(self, send: bool, max_size: int):
        self.send = send
        self.max_size = max_size  # bytes: 2^c_sg_length_width - 1, as PYNQ's DMA driver allows
        self.transfers = 0
        self.largest = 0

    @property
    def running(self) -> bool:
        return board.accelerator is not None

    @property
    def idle(self) -> bool:
        a = board.accelerator
        return a.mm2s_idle if self.send else a.s2mm_idle

    @property
    def error(self) -> bool:
        return (not self.send) and board.accelerator.s2mm_error

    def transfer(self, array, start: int = 0, nbytes: int = 0):
        if not isinstance(array, PynqBuffer):
            raise TypeError("DMA transfers need a buffer from pynq.allocate")
        array._check_live()
        nbytes = nbytes or array.nbytes - start
        if not 0 < nbytes <= array.nbytes - start:
            raise ValueError(f"transfer of {nbytes} bytes from offset {start} of a {array.nbytes}-byte buffer")
        if nbytes > self.max_size:  # PYNQ refuses it (pynq/lib/dma.py); the DMA would take its length mod 2^width
            raise ValueError(f"Transfer size is {nbytes} bytes, which exceeds the maximum DMA buffer size "
                             f"{self.max_size}.")
        view = board.memory.view(array.physical_address + start, nbytes, np.uint8)
        self.transfers += 1
        self.largest = max(self.largest, nbytes)
        if self.send:
            board.accelerator.dma_send(view)
        else:
            board.accelerator.dma_recv(view)

    def wait(self):
        if not self.idle:
            raise DeviceError("DMA channel wait(): the transfer can never complete (the accelerator is "
                              "waiting for other data) -- real hardware would hang here")


class DMA(DefaultIP):
    """AXI DMA (simple mode) with ``sendchannel`` (MM2S) and ``recvchannel`` (S2MM)."""

    bindto = ["xilinx.com:ip:axi_dma:7.1"]

    def __init__(self, description):
        self.description = description
        max_size = (1 << int(description.get("parameters", {}).get("c_sg_length_width", 26))) - 1
        self.sendchannel = _Channel(True, max_size)
        self.recvchannel = _Channel(False, max_size)


# ------------------------------------------------------------------------------ overlay
PROJECT_ENV = "HLSGEN_PYNQ_PROJECT"


def _find_project(bitfile) -> Path:
    """The project whose bitstream ``bitfile`` is: the one whose registers.json is beside it (or
    above it), else the attached one (a bitstream installed elsewhere, e.g. in an overlay
    package), else the project named by the environment variable HLSGEN_PYNQ_PROJECT (for a
    process that cannot call attach(), such as a notebook's kernel)."""
    p = Path(bitfile).resolve()
    for d in [p if p.is_dir() else p.parent, *p.parents]:
        if (d / "registers.json").is_file():
            return d
    if board.project is not None:
        return board.project
    env = os.environ.get(PROJECT_ENV)
    if env:
        return Path(env).resolve()
    raise FileNotFoundError(f"simulated pynq: no registers.json beside {bitfile}; call "
                            f"hlsgen.simulation.pynq_model.attach(project) first or set {PROJECT_ENV}")


def _ip_dict(desc: dict, layout: dict) -> dict:
    regs = {"CTRL": dict(address_offset=0, size=32, access="read-write", description="control signals"),
            "GIER": dict(address_offset=desc["control"]["gie"], size=32, access="read-write", description=""),
            "IP_IER": dict(address_offset=desc["control"]["ier"], size=32, access="read-write", description=""),
            "IP_ISR": dict(address_offset=desc["control"]["isr"], size=32, access="read-write", description="")}
    for r in desc["registers"]:
        if r.get("array"):
            continue  # memories are not in the .hwh register list
        if r["words"] == 2:  # Vitis HLS names 64-bit registers <name>_1 (low) and <name>_2 (high)
            regs[r["name"] + "_1"] = dict(address_offset=r["offset"], size=32, access="write-only", description="")
            regs[r["name"] + "_2"] = dict(address_offset=r["offset"] + 4, size=32, access="write-only", description="")
        else:
            regs[r["name"]] = dict(address_offset=r["offset"], size=32, access="write-only", description="")
    ips = {layout["ip"]: dict(phys_addr=layout["ctrl_base"], addr_range=register_span(desc), type=desc["ip_vlnv"],
                              fullpath=layout["ip"], registers=regs, parameters={}, state=None)}
    if interface_for(desc["interface"]).uses_dma:
        ips[layout["dma"]] = dict(phys_addr=layout["dma_base"], addr_range=0x10000, type=DMA_VLNV,
                                  fullpath=layout["dma"], registers={}, parameters={"c_sg_length_width": str(layout.get("dma_length_width", 26))},
                                  state=None)
    for d in ips.values():
        d["driver"] = _ip_drivers.get(d["type"], DefaultIP)
    return ips


class _Hierarchy:
    def __init__(self, overlay, prefix):
        self._overlay, self._prefix = overlay, prefix

    def __getattr__(self, name):
        return self._overlay._resolve(f"{self._prefix}/{name}")


class Overlay:
    """``Overlay(bitfile, download=True, ...)`` of the simulated board."""

    def __init__(self, bitfile_name, dtbo=None, download=True, ignore_version=False, device=None, **kwargs):
        self.bitfile_name = str(bitfile_name)
        project = _find_project(bitfile_name)
        if board.project != project:
            attach(project)
        self.args = dict(bitfile_name=self.bitfile_name, dtbo=dtbo, download=download,
                         ignore_version=ignore_version, device=device, **kwargs)
        board.overlays.append(self.args)
        self.downloaded = False
        self.ip_dict = _ip_dict(board.desc, board.layout)
        self._drivers = {}
        if download:
            self.download()

    def download(self):
        self.downloaded = True

    def is_loaded(self) -> bool:
        return self.downloaded

    def _resolve(self, path):
        if path in self.ip_dict:
            if path not in self._drivers:
                d = self.ip_dict[path]
                self._drivers[path] = d["driver"](d)
            return self._drivers[path]
        if any(k.startswith(path + "/") for k in self.ip_dict):
            return _Hierarchy(self, path)
        raise AttributeError(f"overlay has no IP or hierarchy {path!r}; IPs: {', '.join(self.ip_dict)}")

    def __getattr__(self, name):
        if name.startswith("_") or name in ("ip_dict", "args", "bitfile_name", "downloaded"):
            raise AttributeError(name)
        return self._resolve(name)

    def free(self):
        pass
