"""The project-writer options hls4ml's ``convert_from_*`` take, each implemented or refused
with the reason (never a TypeError about an unexpected keyword).

=========================  =====================================================================
``clock_uncertainty``      implemented: ``'12.5%'`` or a time in ns (``1.25``, ``'1.25ns'``),
                           written to build_prj.tcl and hls_config.cfg; None keeps the tool's
                           default (12.5% in Vivado HLS, 27% in Vitis HLS).
``write_tar``              implemented: ``write()`` also leaves ``<output_dir>.tar.gz``.
``write_weights_txt``      implemented: True (the default) writes each weight array's values to
                           ``firmware/weights/w<k>.txt``, which its header includes; False
                           writes them into the header itself (no .txt file).  The C
                           simulation reads them from either at run time.
``namespace``              implemented: a C++ namespace (an identifier) around the project's own
                           code (types, configurations, weights, the top function); hls4ml's
                           ``nnet`` library stays outside it.  The bridge, the testbench and
                           the accelerator top reach it with ``using namespace``; build_prj.tcl
                           names the top ``<namespace>::<project>`` (backend Vivado/Vitis) —
                           how the HLS tools accept a namespaced top only a real run can confirm.
``tb_output_stream``       'both' (the default) only: the testbench prints and writes its
                           results; 'stdout' / 'file' are refused.
``write_emulation_constants``  implemented: ``defines.h`` gets ``inputs_t``/``outputs_t`` (tuples
                           of ``std::array`` in io_parallel, of ``hls::stream`` in io_stream)
                           and ``<project>.h`` an inline ``<project>_emulator(inputs, outputs)``
                           calling the top, as hls4ml writes them for Vitis software emulation.
``bit_exact``              accepted (True, False or None) and has no effect: hlsgen's 'auto'
                           types are always derived exactly from the operand types (hls4ml's
                           option turns that propagation on).
=========================  =====================================================================
"""
from __future__ import annotations

import math
import re

WRITER_KWARGS = ("clock_uncertainty", "write_tar", "write_weights_txt", "namespace", "tb_output_stream",
                 "write_emulation_constants", "bit_exact")


def clock_uncertainty(value):
    """``'12.5%'``, a number of ns or ``'<n>ns'`` -> the text the HLS tools take; None stays None."""
    if value is None:
        return None
    s = str(value).strip()
    m = re.fullmatch(r"(\d+(?:\.\d*)?|\.\d+)\s*(%|ns)?", s)
    if isinstance(value, bool) or not m or not math.isfinite(float(m.group(1))):
        raise ValueError(f"clock_uncertainty {value!r}: expected a percentage of the clock period ('12.5%') "
                         "or a time in ns (1.25 or '1.25ns')")
    num, unit = float(m.group(1)), m.group(2)
    if unit == "%" and not 0 <= num < 100:
        raise ValueError(f"clock_uncertainty {value!r}: a percentage must be in [0, 100)")
    text = m.group(1)
    return f"{text}%" if unit == "%" else text


def _flag(kwargs, key, default):
    v = kwargs.get(key, default)
    if v is None:
        return default
    if not isinstance(v, bool):
        raise ValueError(f"{key} must be True or False, got {v!r}")
    return v


def writer_options(kwargs: dict) -> dict:
    """Check the writer options in ``kwargs`` (keys of WRITER_KWARGS); returns the
    ProjectOptions fields they set."""
    ns = kwargs.get("namespace")
    if ns is not None and (not isinstance(ns, str) or not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{0,63}", ns)):
        raise ValueError(f"namespace {ns!r} must be a C++ identifier (a letter, then letters, digits or _)")
    tb = kwargs.get("tb_output_stream")
    if tb not in (None, "both"):
        raise ValueError(f"tb_output_stream={tb!r} is not supported: the testbench always prints its results and "
                         "writes them to tb_data (hls4ml's 'both')")
    if kwargs.get("bit_exact") is not None:
        _flag(kwargs, "bit_exact", True)
    return dict(clock_uncertainty=clock_uncertainty(kwargs.get("clock_uncertainty")),
                write_tar=_flag(kwargs, "write_tar", False), weights_txt=_flag(kwargs, "write_weights_txt", True),
                namespace=ns, emulation_constants=_flag(kwargs, "write_emulation_constants", False))
