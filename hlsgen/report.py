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
    """The top-level C-synthesis report under a project folder: the one named after the
    top function it reports on (the tools write one per function)."""
    root = Path(output_dir)
    found = sorted(root.rglob("*csynth.xml"), key=lambda p: (len(p.parts), str(p)))
    if not found:
        raise FileNotFoundError(f"no C-synthesis report (*csynth.xml) under {root}: run hm.build() with the "
                                "vendor tools first")
    for p in found:
        if p.name == "csynth.xml" or p.name == f"{_top_name(p)}_csynth.xml":
            return p
    return found[0]


def _top_name(path: Path):
    try:
        el = ET.parse(path).getroot().find("UserAssignments/TopModelName")
    except ET.ParseError:
        return None
    return el.text.strip() if el is not None and el.text else None


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


# ---------------------------------------------------------------------- hls4ml's report API
_CSYNTH_KEYS = (("BRAM_18K", ("BRAM_18K",)), ("DSP", ("DSP", "DSP48E")), ("FF", ("FF",)), ("LUT", ("LUT",)),
                ("URAM", ("URAM",)))


def _csynth_section(path: Path) -> dict:
    root = ET.parse(path).getroot()
    lat = root.find("PerformanceEstimates/SummaryOfOverallLatency")
    out = {}
    for key, tag in (("TargetClockPeriod", "UserAssignments/TargetClockPeriod"),
                     ("EstimatedClockPeriod", "PerformanceEstimates/SummaryOfTimingAnalysis/EstimatedClockPeriod")):
        el = root.find(tag)
        out[key] = el.text.strip() if el is not None and el.text else None
    for key, tag in (("BestLatency", "Best-caseLatency"), ("WorstLatency", "Worst-caseLatency"),
                     ("IntervalMin", "Interval-min"), ("IntervalMax", "Interval-max")):
        el = lat.find(tag) if lat is not None else None
        out[key] = el.text.strip() if el is not None and el.text else None
    for section, prefix in (("AreaEstimates/Resources", ""), ("AreaEstimates/AvailableResources", "Available")):
        node = root.find(section)
        for key, tags in _CSYNTH_KEYS:
            el = next((node.find(t) for t in tags if node is not None and node.find(t) is not None), None)
            out[prefix + key] = el.text.strip() if el is not None and el.text else None
    return out


_VIVADO_ROWS = {"LUT": ("Slice LUTs", "CLB LUTs"), "FF": ("Slice Registers", "CLB Registers"),
                "BRAM_TILE": ("Block RAM Tile",), "DSP48E": ("DSPs",), "URAM": ("URAM",)}


def _vivado_section(path: Path) -> dict:
    """The used counts of a Vivado ``report_utilization`` table (7-series and UltraScale names)."""
    used = {}
    for line in path.read_text(errors="replace").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 2:
            continue
        name = cells[0].rstrip("*").strip()
        for key, names in _VIVADO_ROWS.items():
            if name in names and key not in used:
                used[key] = cells[1]
    out = {"LUT": used.get("LUT"), "FF": used.get("FF")}
    tiles = used.get("BRAM_TILE")
    out["BRAM_18K"] = None if tiles is None else f"{2 * float(tiles):g}"  # a tile is 36 Kb: two 18 Kb
    out["DSP48E"], out["URAM"] = used.get("DSP48E"), used.get("URAM")
    return out


def parse_vivado_report(output_dir) -> dict:
    """The reports ``build()`` leaves in a project, as hls4ml users read them:
    ``{'CSynthesisReport': {...}, 'VivadoSynthReport': {...}}`` (each present when its report
    is). Values are the reports' own strings."""
    root = Path(output_dir)
    if not root.is_dir():
        raise FileNotFoundError(f"{root} is not a project folder")
    out = {}
    try:
        out["CSynthesisReport"] = _csynth_section(find_csynth(root))
    except FileNotFoundError:
        pass
    vivado = sorted(root.rglob("vivado_synth.rpt")) or sorted(root.rglob("*utilization_synth.rpt"))
    if vivado:
        out["VivadoSynthReport"] = _vivado_section(vivado[0])
    if not out:
        raise FileNotFoundError(f"no C-synthesis (*csynth.xml) or Vivado synthesis (vivado_synth.rpt) report under "
                                f"{root}: run hm.build() with the vendor tools first")
    return out


def _pct(used, avail) -> str:
    try:
        return f"{100 * float(used) / float(avail):.1f}%"
    except (TypeError, ValueError, ZeroDivisionError):
        return "N/A"


def print_vivado_report(report: dict) -> None:
    """Print what :func:`parse_vivado_report` returns, section by section."""
    bar = "=" * 54
    c = report.get("CSynthesisReport")
    if c:
        print(f"\n{bar}\n== C Synthesis report\n{bar}\n")
        clock = float(c["TargetClockPeriod"]) if c.get("TargetClockPeriod") else None

        def lat(v):
            return f"{v} ({float(v) * clock:.1f} ns)" if v is not None and clock else f"{v}"

        print(" - Performance estimates:")
        print(f"    Best-case latency:      {lat(c.get('BestLatency'))}")
        print(f"    Worst-case latency:     {lat(c.get('WorstLatency'))}")
        print(f"    Interval Min:           {c.get('IntervalMin')}")
        print(f"    Interval Max:           {c.get('IntervalMax')}")
        print(f"    Estimated Clock Period: {c.get('EstimatedClockPeriod')}\n")
        print(" - Resource estimates:")
        for key, _ in _CSYNTH_KEYS:
            used, avail = c.get(key), c.get("Available" + key)
            label = f"{key}:".ljust(9)
            if avail in (None, "0"):
                print(f"    {label} N/A")
            else:
                print(f"    {label} {used} / {avail} ({_pct(used, avail)})")
        print()
    v = report.get("VivadoSynthReport")
    if v:
        print(f"{bar}\n== Vivado Synthesis report\n{bar}\n")
        print(" - Resource utilization:")
        for key in ("BRAM_18K", "DSP48E", "FF", "LUT", "URAM"):
            print(f"    {(key + ':').ljust(9)} {v.get(key) if v.get(key) is not None else 'N/A'}")
        print()


def read_vivado_report(output_dir, full_report: bool = False) -> dict:
    """Print a project's synthesis reports (``full_report``: also the whole C-synthesis
    text report) and return them parsed."""
    rep = parse_vivado_report(output_dir)
    print_vivado_report(rep)
    if full_report:
        try:
            rpt = find_csynth(output_dir).with_suffix(".rpt")
            if rpt.exists():
                print(rpt.read_text(errors="replace"))
        except FileNotFoundError:
            pass
    return rep


def _no_oneapi(*_args, **_kwargs):
    raise NotImplementedError("oneAPI (Intel FPGAs) is not a backend of hlsgen, so there is no oneAPI report to "
                              "read; hlsgen's backends are Xilinx's: use parse_vivado_report / print_vivado_report")


def parse_oneapi_report(output_dir) -> dict:
    """hls4ml's oneAPI report reader: refused (hlsgen has no oneAPI backend)."""
    _no_oneapi(output_dir)


def print_oneapi_report(report: dict) -> None:
    """hls4ml's oneAPI report printer: refused (hlsgen has no oneAPI backend)."""
    _no_oneapi(report)
