"""Host simulation of a VivadoAccelerator project's hardware, for running its drivers
without a board (hlsgen's tests use it; so can users).

- :class:`Device` / :class:`Accelerator` (``device.py``): the C simulation of the
  accelerator top at the word level, and behind its register map and DMA.
- ``install_pynq(project)``: a simulated ``pynq`` module (``pynq_model.py``) so that the
  generated PYNQ driver runs unchanged: ``Overlay`` reads ``registers.json`` instead of a
  ``.hwh``, ``allocate`` gives numpy arrays with physical addresses, the DMA channels and
  MMIO reach the simulated accelerator.
- ``build_c_host(project)``: compiles the generated C driver and ``main.c`` with gcc
  against stand-in BSP headers (``c/include``) and a host implementation of the BSP
  functions (``c/host_device.c``) whose device is the same C simulation.

What this cannot show: timing, the real BSP, real register offsets of an HLS run, cache
and DMA behaviour of silicon (the host model only checks that the driver flushes and
invalidates the right ranges), the bitstream and the .hwh.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from ..backends.vivado_accelerator.interfaces import interface_for
from ..csim import abi
from .device import Accelerator, Device, DeviceError, Memory  # noqa: F401

HERE = Path(__file__).resolve().parent
C_DIR = HERE / "c"
STANDIN_INCLUDE = C_DIR / "include"
PYNQ_PATH = HERE / "pynq_sim"

SIM_CTRL_BASE = 0x43C00000
SIM_DMA_BASE = 0x40400000
SIM_DMA_ID = 0


def install_pynq(project=None, **layout):
    """Make ``import pynq`` give the simulated pynq (in this process) and, if ``project``
    is given, attach that project's simulated bitstream. Returns the module."""
    from . import pynq_model

    if str(PYNQ_PATH) not in sys.path:
        sys.path.insert(0, str(PYNQ_PATH))
    import importlib

    mod = importlib.import_module("pynq")
    if not getattr(mod, "HLSGEN_SIMULATED", False):
        raise RuntimeError(f"a real pynq ({mod.__file__}) is already imported; the simulation needs a fresh process")
    if project is not None:
        pynq_model.attach(project, **layout)
    return mod


XPARAMETERS_STYLES = ("xsa", "sdt", "sdt-canonical")


def xparameters_h(desc: dict, style: str = "xsa") -> str:
    """An xparameters.h with the names a BSP gives the accelerator (cell ``<top>_0``) and the DMA:
    ``xsa``: the classic BSP (``..._S_AXI_CONTROL_BASEADDR``, DMA device IDs); ``sdt``: the
    system-device-tree flow of Vitis 2023.2+ (lopper's baremetal_xparameters_xlnx.py: only
    ``XPAR_<INSTANCE>_BASEADDR``); ``sdt-canonical``: only its ``XPAR_X<DRIVER>_<n>_BASEADDR``."""
    if style not in XPARAMETERS_STYLES:
        raise ValueError(f"unknown xparameters style {style!r}; valid: {', '.join(XPARAMETERS_STYLES)}")
    top = desc["top"].upper()
    stream = interface_for(desc["interface"]).uses_dma
    lines = [f"/* xparameters.h stand-in ({style} naming) for the hlsgen host simulation */", "#ifndef XPARAMETERS_H",
             "#define XPARAMETERS_H"]
    if style == "xsa":
        lines.append(f"#define XPAR_{top}_0_S_AXI_CONTROL_BASEADDR 0x{SIM_CTRL_BASE:X}U")
        if stream:
            lines += [f"#define XPAR_AXI_DMA_0_DEVICE_ID {SIM_DMA_ID}U", f"#define XPAR_AXI_DMA_0_BASEADDR 0x{SIM_DMA_BASE:X}U"]
    else:
        acc, dma = (f"{top}_0", "AXI_DMA_0") if style == "sdt" else (f"X{top}_0", "XAXIDMA_0")
        lines.append(f"#define XPAR_{acc}_BASEADDR 0x{SIM_CTRL_BASE:X}")
        if stream:
            lines.append(f"#define XPAR_{dma}_BASEADDR 0x{SIM_DMA_BASE:X}")
    return "\n".join(lines + ["#endif", ""])


def _transport(desc: dict) -> int:
    """How host_device.c moves the data: 0 an AXI DMA streams them, 1 AXI masters read and
    write buffers in memory, 2 they are in the register space."""
    itf = interface_for(desc["interface"])
    return 0 if itf.uses_dma else 1 if itf.data_in_memory else 2


def device_map_h(desc: dict, project: Path, lib: Path) -> str:
    from .device import register_span

    regs = {r["name"]: r["offset"] for r in desc["registers"]}
    nbytes = {k: desc[k]["word_bits"] // 8 for k in ("input_bus", "output_bus", "weights_bus")}
    vals = dict(
        TRANSPORT=_transport(desc),
        SPAN=register_span(desc), CTRL_BASE=f"0x{SIM_CTRL_BASE:X}u", DMA_BASE=f"0x{SIM_DMA_BASE:X}u",
        DMA_ID=SIM_DMA_ID, N_IN=desc["words_per_sample_in"], N_OUT=desc["words_per_sample_out"],
        N_W=sum(w["size"] for w in desc["weights"]), IN_BYTES=nbytes["input_bus"], OUT_BYTES=nbytes["output_bus"],
        W_BYTES=nbytes["weights_bus"], N_SAMPLES=regs.get("n_samples", -1), IN_R=regs.get("in_r", -1),
        OUT_R=regs.get("out_r", -1), WEIGHTS=regs.get("weights", -1), LOAD_WEIGHTS=regs.get("load_weights", -1),
        CYCLES=regs.get("cycles", -1), CYCLES_FN=json.dumps(abi.DEVICE_CYCLES),
        LIB=json.dumps(str(lib)), PROJECT=json.dumps(str(project)),
        RUN_FN=json.dumps(abi.DEVICE_RUN), LOAD_FN=json.dumps(abi.DEVICE_LOAD_WEIGHT_FILES))  # the csim ABI's names
    return "\n".join([f"#define HLSGEN_DEV_{k} {v}" for k, v in vals.items()] + [""])


def build_c_host(project, build_dir=None, sources=None, sw_reference: bool = True, cflags=(), cc="gcc",
                 cxx="g++", exe_name="main", xparameters: str = "xsa") -> Path:
    """Compile ``drivers/c`` (driver + main.c, or ``sources``) of a written project against
    the simulated device; returns the executable. ``sw_reference`` adds sw_reference.cpp
    (the firmware network compiled for the host, as on the ARM). ``xparameters``: the naming
    of the BSP's xparameters.h (see :func:`xparameters_h`); the ``sdt`` styles also define SDT,
    as the system-device-tree BSP does."""
    from ..csim import build, include_dirs

    project = Path(project).resolve()
    desc = json.loads((project / "registers.json").read_text())
    drv = project / "drivers" / "c"
    if not (drv / "main.c").is_file():
        raise FileNotFoundError(f"{drv} has no C driver: convert with driver='c' or 'both'")
    out = Path(build_dir or project / "build" / "c_host").resolve()
    out.mkdir(parents=True, exist_ok=True)
    lib = build(project, verbose=False)
    (out / "xparameters.h").write_text(xparameters_h(desc, xparameters))
    if xparameters != "xsa":
        cflags = ["-DSDT", *cflags]
    (out / "hlsgen_device_map.h").write_text(device_map_h(desc, project, lib))
    p = desc["project"]
    srcs = [str(s) for s in (sources or [drv / "main.c", drv / f"{p}_driver.c"])]
    inc = [f"-I{out}", f"-I{drv}", f"-I{STANDIN_INCLUDE}"]
    objs = []

    def run(cmd):
        r = subprocess.run(cmd, capture_output=True, text=True, cwd=out)
        if r.returncode != 0:
            raise RuntimeError(f"host build failed: {' '.join(cmd)}\n{r.stdout}{r.stderr}")
        return r

    warn = ["-Wall", "-Wextra", "-Werror"]
    for s in srcs + [str(C_DIR / "host_device.c")]:
        o = out / (Path(s).stem + ".o")
        extra = [] if s.endswith("host_device.c") else warn
        run([cc, "-O1", "-std=c99" if not s.endswith("host_device.c") else "-std=gnu99", *extra, *inc,
             f"-DHLSGEN_SW_REFERENCE={int(sw_reference)}", *cflags, "-c", s, "-o", str(o)])
        objs.append(str(o))
    if sw_reference:
        o = out / "sw_reference.o"
        run([cxx, "-O2", "-std=c++14", *[f"-I{project / d}" for d in include_dirs(project)],
             "-c", str(drv / "sw_reference.cpp"), "-o", str(o)])
        objs.append(str(o))
    exe = out / exe_name
    run([cxx if sw_reference else cc, "-o", str(exe), *objs, "-ldl"])
    return exe


def run_c_host(exe, env=None, timeout=120) -> subprocess.CompletedProcess:
    e = dict(os.environ)
    e.update(env or {})
    return subprocess.run([str(exe)], capture_output=True, text=True, env=e, timeout=timeout)


def have(tool: str) -> bool:
    return shutil.which(tool) is not None
