"""Estimates before synthesis: resources, latency and interval of a converted model.

``hm.estimate()`` reads the same lowering and implementation plans the project files
are written from (``hlsgen.backends.vivado.ProjectCode``, ``Layer.plan``), so an
estimate describes exactly the generated design.  Nothing is compiled.

What only a real C synthesis confirms: every number here.  The model is first order;
its error against public C-synthesis reports is measured by ``bench/bench_estimate.py``.
"""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field

from ..backends.vivado_accelerator.interfaces import interface_for
from ..escape import _CONTROL
from .model import costs, elementwise_row, fifo_row, mac_row, tool_costs
from .parts import RESOURCES, Part, part_info

DEFAULT_SHARE = 0.8
METRICS = RESOURCES + ("latency_min", "latency_max", "ii")


@dataclass
class Estimate:
    part: Part
    clock_ns: float
    layers: list  # rows: dict(name, kind, dsp, lut, ff, bram_18k, latency_min, latency_max, ii)
    total: dict
    share: float = DEFAULT_SHARE
    notes: list = field(default_factory=list)

    @property
    def utilization(self) -> dict:
        """Each resource as a fraction of the part (empty when its capacity is unknown)."""
        cap = self.part.capacity
        if not cap:
            return {}
        return {r: self.total[r] / cap[r] if cap.get(r) else float("inf") * bool(self.total[r]) for r in RESOURCES}

    @property
    def fits(self):
        """Every resource within ``share`` of the part; None when the capacity is unknown."""
        u = self.utilization
        return None if not u else all(v <= self.share for v in u.values())

    def over(self) -> list:
        """Resources beyond the share of the part."""
        return [r for r, v in self.utilization.items() if v > self.share]

    def dominant(self, resource: str, n: int = 3) -> list:
        rows = [r for r in self.layers if r[resource] > 0]
        return sorted(rows, key=lambda r: -r[resource])[:n]

    def to_dict(self) -> dict:
        return dict(part=self.part.name, family=self.part.family, dsp_slice=self.part.dsp_slice,
                    capacity=self.part.capacity, clock_ns=self.clock_ns, share=self.share,
                    total=dict(self.total), utilization=self.utilization, fits=self.fits,
                    layers=[dict(r) for r in self.layers], notes=list(self.notes))

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=1) + "\n"

    def _rows(self) -> list:
        """The table: a header, one row per layer (and FIFO, top), the total and the part."""
        cols = ("name", "kind") + METRICS
        rows = [tuple(r[c] for c in cols) for r in self.layers]
        rows.append(("total", "") + tuple(self.total[c] for c in METRICS))
        if self.part.capacity:
            rows.append(("part", self.part.name) + tuple(self.part.capacity.get(c, "") for c in RESOURCES)
                        + ("", "", ""))
        return [cols] + [tuple(f"{v:,.0f}" if isinstance(v, (int, float)) else str(v) for v in row) for row in rows]

    def _utilization_text(self) -> str:
        return ", ".join(f"{r} {100 * v:.1f}%" for r, v in self.utilization.items())

    def __str__(self):
        rows = [[_CONTROL.sub("?", v) for v in row] for row in self._rows()]  # no terminal control codes
        widths = [max(len(row[k]) for row in rows) for k in range(len(rows[0]))]
        lines = [f"hlsgen estimate: {self.part.name} ({self.part.family}, {self.part.dsp_slice}), "
                 f"clock {self.clock_ns:g} ns"]
        lines += ["  ".join(v.rjust(w) if k > 1 else v.ljust(w) for k, (v, w) in enumerate(zip(row, widths)))
                  for row in rows]
        if self.utilization:
            lines.append(f"utilization: {self._utilization_text()} -> "
                         f"{'fits' if self.fits else 'does NOT fit'} within {100 * self.share:.0f}%")
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines)

    def to_markdown(self) -> str:
        from ..backends.templating import render

        rows = self._rows()
        return render("estimate.md.j2", part=self.part.name, family=self.part.family, dsp_slice=self.part.dsp_slice,
                      clock=f"{self.clock_ns:g}", header=list(rows[0]), rows=rows[1:],
                      utilization=self._utilization_text() if self.utilization else "",
                      verdict="fits" if self.fits else "does not fit", share=f"{100 * self.share:.0f}",
                      notes=self.notes)


def _longest_path(graph, rows_by_tensor, key: str) -> int:
    """Largest sum of ``key`` along a path from an input to an output."""
    best = {gi.tensor: 0 for gi in graph.inputs}
    for lay in graph.layers:
        start = max((best.get(t, 0) for t in lay.inputs), default=0)
        best[lay.outputs[0]] = start + rows_by_tensor[lay.outputs[0]][key]
    return max((best.get(t, 0) for t in graph.outputs), default=0)


def estimate_code(code, part: str, clock_ns: float, accelerator=None, share: float = DEFAULT_SHARE,
                  multipliers: str = "auto", tool: str = "vitis_hls", clock_uncertainty: float | None = None,
                  plan_of=None, top_ii: int | None = None) -> Estimate:
    """The estimate of a lowered project (``ProjectCode``) on ``part`` at ``clock_ns``.
    ``multipliers='fabric'``: every product in LUTs (as when the HLS run binds them to
    fabric, e.g. ``config_op mul -impl fabric``).  ``tool``: the HLS tool the design is for
    ('vitis_hls' or 'vivado_hls': they bind constant products differently, and their
    default clock uncertainty differs); ``clock_uncertainty``: the share of the clock
    period the HLS run keeps as margin, when the project sets one (e.g. 0.125).
    ``plan_of(layer, plan) -> plan``: the plan to estimate instead of the layer's own (the
    equivalent kernel of another code generator, as bench/csynth_designs.py rebuilds it).
    ``top_ii``: the II a pipelined top asks for (``Model.PipelineInterval``): the network's
    interval is at least that."""
    tool_costs(tool)  # a clear error for an unknown tool
    info = part_info(part)
    if multipliers == "fabric":
        info = dataclasses.replace(info, dsp_a=0, dsp_b=0)
    g = code.graph
    reprogrammable = bool(accelerator and accelerator.reprogrammable)
    rows, by_tensor = [], {}
    for lc in code.layers:
        lay = lc.layer
        plan = lay.plan(g, code.io_type)
        if plan_of is not None:
            plan = plan_of(lay, plan)
        if plan.style == "mac":
            r = mac_row(lay, plan, clock_ns, info, reprogrammable, tool, clock_uncertainty)
            if code.io_stream and hasattr(lay, "geometry"):  # the line buffer, partitioned into registers
                geo = lay.geometry(g.input_shapes(lay)[0])
                r["ff"] += geo["filt_height"] * (geo["in_width"] + geo["pad_left"] + geo["pad_right"]) * \
                    geo["n_chan"] * lay.in_types[0].width
        else:
            r = elementwise_row(lay, plan, clock_ns, info, tool, clock_uncertainty)
        r = dict(name=lay.source_name, kind=lay.kind, **{k: int(round(v)) for k, v in r.items()})
        rows.append(r)
        by_tensor[lay.outputs[0]] = r
    total = {res: sum(r[res] for r in rows) for res in RESOURCES}
    ii = max([r["ii"] for r in rows] + [top_ii or 1])
    lat_max = _longest_path(g, by_tensor, "latency_max")
    if code.io_stream:
        for var, arr, depth in code.stream["streams"]:
            width = _array_bits(code, arr)
            f = fifo_row(f"fifo {var}", width, depth)
            rows.append(f)
            for res in RESOURCES:
                total[res] += f[res]
        overlap = {t: dict(r, latency_min=r["latency_min"] - r["ii"] + 1) for t, r in by_tensor.items()}
        lat_min = _longest_path(g, overlap, "latency_min") + ii - 1
    else:
        lat_min = lat_max
    notes = []
    if accelerator is not None:
        top = _top_row(code, accelerator, lat_max, ii)
        rows.append(top)
        for res in RESOURCES:
            total[res] += top[res]
        lat_min, lat_max, ii = top["latency_min"], top["latency_max"], top["ii"]
        notes.append(_top_note(accelerator))
    if info.capacity is None:
        assumed = " (assumed: its name names no family hlsgen knows)" if info.family_assumed else ""
        notes.append(f"part {part!r} is not in hlsgen's parts table: estimated as {info.family}{assumed}, "
                     f"fit not checked")
    total.update(latency_min=int(lat_min), latency_max=int(lat_max), ii=int(ii), clock_ns=clock_ns)
    est = Estimate(info, clock_ns, rows, total, share, notes)
    est._code = code  # what it was estimated from (re-estimating with other constants, in bench/)
    return est


def _array_bits(code, arr_name: str) -> int:
    for name, tname, channels in code.stream["arr_decls"]:
        if name == arr_name:
            for tensor, tn in code.tname.items():
                if tn == tname:
                    return channels * code.graph.tensors[tensor].type.width
    return 16


def _top_row(code, acc, net_latency: int, net_ii: int = 1) -> dict:
    c = costs()
    n_in = sum(i["size"] for i in code.inputs)
    n_out = sum(o["size"] for o in code.outputs)
    lut, ff = c["top_lut"], c["top_ff"]
    itf = interface_for(acc.interface)
    port_lut, port_ff = (c[f"{itf.port_costs}_lut"], c[f"{itf.port_costs}_ff"]) if itf.port_costs else (0, 0)
    lut += 2 * port_lut
    ff += 2 * port_ff
    for bus in (acc.input_type, acc.output_type):
        if bus.fixed is None:
            lut, ff = lut + c["float_converter_lut"], ff + c["float_converter_ff"]
    if itf.data_in_registers:  # every value its own register
        lut += (n_in + n_out) * 8
        ff += (n_in + n_out) * 32
    if acc.reprogrammable:
        lut, ff = lut + c["maxi_port_lut"] + c["float_converter_lut"], ff + c["maxi_port_ff"]
    t = _top_timing(itf, acc, n_in, n_out, net_ii, net_latency, c["top_overhead_cycles"])
    return dict(name=f"{code.project}_axi (top)", kind="AcceleratorTop", dsp=0, lut=int(lut), ff=int(ff),
                bram_18k=0, latency_min=t["latency"], latency_max=t["latency"], ii=t["ii"])


# ---- the top's shape (throughput issue): the interface object answers, from the packing
def _top_timing(itf, acc, n_in: int, n_out: int, net_ii: int, net_latency: int, overhead: int) -> dict:
    """ii/latency of the top (``BusInterface.top_timing``), with in/out beats per sample."""
    return itf.top_timing(acc.pipelined, acc.in_packing.beats(n_in), acc.out_packing.beats(n_out),
                          net_ii, net_latency, overhead)


def _top_note(acc) -> str:
    if acc.pipelined:
        return ("the accelerator top is pipelined (DATAFLOW): a sample starts every max(input beats, "
                "network II, output beats) cycles")
    return "the accelerator top is serial: read a sample, run the network, write the result"
