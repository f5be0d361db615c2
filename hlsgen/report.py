"""Reports of the vendor tools, read after ``hm.build()``: the C-synthesis summary.

Vivado HLS and Vitis HLS write ``<top>_csynth.xml`` (the solution's ``syn/report``
folder; Vitis's unified flow writes ``csynth.xml``): the target and estimated clock,
the latency and interval in cycles, and the resources.  Only a run of the tools writes
one; hlsgen's tests read files in this documented layout.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path


def find_csynth(output_dir) -> Path:
    """The top-level C-synthesis report under a project folder."""
    root = Path(output_dir)
    found = sorted(root.rglob("*csynth.xml"), key=lambda p: (len(p.parts), p.name))
    tops = [p for p in found if p.parent.name == "report" and p.parent.parent.name == "syn"]
    if not (tops or found):
        raise FileNotFoundError(f"no C-synthesis report (*csynth.xml) under {root}: run hm.build() with the "
                                "vendor tools first")
    return (tops or found)[0]


def _num(node, *paths):
    for p in paths:
        el = node.find(p)
        if el is not None and el.text is not None and el.text.strip() not in ("", "undef", "-"):
            try:
                return float(el.text)
            except ValueError:
                continue
    return None


def read_csynth(path_or_dir) -> dict:
    """The numbers of a C-synthesis report (a ``*csynth.xml`` file, or a project folder):
    ``dsp``, ``lut``, ``ff``, ``bram_18k``, ``uram``, ``latency_min``, ``latency_max``,
    ``ii_min``, ``ii_max`` (cycles), ``clock_ns`` (target), ``estimated_clock_ns``, ``part``, ``top``."""
    path = Path(path_or_dir)
    if path.is_dir():
        path = find_csynth(path)
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as e:
        raise ValueError(f"{path}: not a C-synthesis report ({e})") from None
    res = root.find("AreaEstimates/Resources")
    lat = root.find("PerformanceEstimates/SummaryOfOverallLatency")
    if res is None or lat is None:
        raise ValueError(f"{path}: no AreaEstimates/Resources or PerformanceEstimates/SummaryOfOverallLatency: "
                         "not a top-level C-synthesis report")
    out = dict(dsp=_num(res, "DSP", "DSP48E"), lut=_num(res, "LUT"), ff=_num(res, "FF"),
               bram_18k=_num(res, "BRAM_18K"), uram=_num(res, "URAM"),
               latency_min=_num(lat, "Best-caseLatency"), latency_max=_num(lat, "Worst-caseLatency"),
               ii_min=_num(lat, "Interval-min"), ii_max=_num(lat, "Interval-max"),
               clock_ns=_num(root, "UserAssignments/TargetClockPeriod"),
               estimated_clock_ns=_num(root, "PerformanceEstimates/SummaryOfTimingAnalysis/EstimatedClockPeriod"))
    out = {k: (int(v) if v is not None and k not in ("clock_ns", "estimated_clock_ns") else v) for k, v in out.items()}
    part = root.find("UserAssignments/Part")
    top = root.find("UserAssignments/TopModelName")
    out["part"] = part.text.strip() if part is not None and part.text else None
    out["top"] = top.text.strip() if top is not None and top.text else None
    out["report"] = str(path)
    return out
