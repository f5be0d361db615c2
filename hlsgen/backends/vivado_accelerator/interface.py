"""The accelerator's interface, described once: options, bus types, registers, buffers.

``AcceleratorOptions`` gathers and validates the accelerator settings (keyword
arguments of ``convert_from_keras_model`` or the ``AcceleratorConfig`` section of the
configuration).  ``describe`` turns them, with the typed graph, into the interface
description that the top template, ``registers.md``/``registers.json`` and both
drivers are generated from.

Register offsets follow the AXI-Lite map that Vivado HLS 2019.2-2020.1 and Vitis HLS
2021+ generate for ``s_axilite`` arguments in declaration order (control at 0x00,
interrupt registers at 0x04-0x0c, then each scalar's data word with a reserved word
after it; 64-bit pointers take two data words).  Only a real HLS run confirms them:
the authoritative offsets are in the exported IP's ``x<top>_hw.h`` and in the
``.hwh``, which the drivers prefer when they are available.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ... import validate
from ...fixed import FixedType, parse_type
from ...boards import Board, check_part, load_board
from .interfaces import BusInterface, interface_for, interface_names

INTERFACES = interface_names()

WEIGHT_MODES = ("embedded", "reprogrammable")
DRIVERS = ("python", "c", "both")
ACCEL_KEYS = ("Board", "Part", "Interface", "Weights", "Driver", "ClockPeriod", "Precision")
ACCEL_PRECISION_KEYS = ("Input", "Output", "Weights")
WORD_WIDTHS = (8, 16, 32, 64)


@dataclass
class BusType:
    """A type on the bus: ``float`` (IEEE single) or a fixed-point/integer type."""

    spelling: str
    fixed: FixedType | None  # None for float

    @classmethod
    def parse(cls, text, what: str) -> "BusType":
        s = str(text).strip()
        if s.lower() in ("float", "float32"):
            return cls("float", None)
        try:
            t = parse_type(s)
        except ValueError as e:
            raise ValueError(f"{what}: {e}; or 'float'") from None
        if t.width > 64:
            raise ValueError(f"{what} {s!r} is wider than 64 bits; the bus carries one value per word")
        return cls(str(t), t)

    @property
    def word_bits(self) -> int:
        if self.fixed is None:
            return 32
        return next(w for w in WORD_WIDTHS if w >= self.fixed.width)

    @property
    def cpp(self) -> str:
        return "float" if self.fixed is None else self.fixed.cpp()

    @property
    def numpy_word(self) -> str:
        """numpy dtype of one bus word, as the drivers see it."""
        if self.fixed is None:
            return "float32"
        return f"{'int' if self.fixed.signed else 'uint'}{self.word_bits}"

    def quantize(self, x):
        """Values as the bus carries them (float32 rounding, or the fixed type's quantization)."""
        import numpy as np

        x = np.asarray(x, dtype=np.float64)
        return x.astype(np.float32).astype(np.float64) if self.fixed is None else self.fixed.quantize(x)

    def to_json(self) -> dict:
        d = {"type": self.spelling, "word_bits": self.word_bits, "numpy": self.numpy_word}
        if self.fixed is not None:
            d.update(width=self.fixed.width, integer=self.fixed.integer, signed=self.fixed.signed,
                     fractional=self.fixed.fractional, rounding=self.fixed.rounding,
                     saturation=self.fixed.saturation, sat_bits=self.fixed.sat_bits)
        return d


@dataclass
class AcceleratorOptions:
    board: Board
    interface: str = "axi_stream"
    weights: str = "embedded"
    driver: str = "python"
    clock_period: float = 10.0
    input_type: BusType = field(default_factory=lambda: BusType("float", None))
    output_type: BusType = field(default_factory=lambda: BusType("float", None))
    weights_type: BusType = field(default_factory=lambda: BusType("float", None))

    @property
    def reprogrammable(self) -> bool:
        return self.weights == "reprogrammable"

    @property
    def bus_interface(self) -> BusInterface:
        """The interface object (``interfaces/``) that ``interface`` names."""
        return interface_for(self.interface)


def _choice(value, valid, what):
    v = str(value).strip().lower()
    if v not in valid:
        raise ValueError(f"unknown {what} {value!r}; valid: {', '.join(valid)}")
    return v


def resolve_options(kwargs: dict, section: dict | None) -> AcceleratorOptions:
    """Merge keyword arguments with the AcceleratorConfig section; conflicts are errors."""
    section = dict(section or {})
    for k in section:
        if k not in ACCEL_KEYS:
            raise ValueError(f"unknown key {k!r} in AcceleratorConfig; valid keys: {', '.join(ACCEL_KEYS)}")
    prec = section.pop("Precision", {}) or {}
    if not isinstance(prec, dict):
        raise ValueError("AcceleratorConfig.Precision must be a mapping with Input, Output, Weights")
    for k in prec:
        if k not in ACCEL_PRECISION_KEYS:
            raise ValueError(f"unknown key {k!r} in AcceleratorConfig.Precision; valid keys: "
                             f"{', '.join(ACCEL_PRECISION_KEYS)}")
    from_cfg = {"board": section.get("Board"), "part": section.get("Part"),
                "interface": section.get("Interface"), "weights": section.get("Weights"),
                "driver": section.get("Driver"), "clock_period": section.get("ClockPeriod"),
                "input_type": prec.get("Input"), "output_type": prec.get("Output"),
                "weights_type": prec.get("Weights")}
    merged = {}
    for k, v in from_cfg.items():
        kw = kwargs.get(k)
        if kw is not None and v is not None and str(kw).lower() != str(v).lower():
            raise ValueError(f"{k}={kw!r} contradicts AcceleratorConfig ({v!r}); give it in one place")
        merged[k] = kw if kw is not None else v
    if merged["board"] is None:
        raise ValueError("the VivadoAccelerator backend needs a board (e.g. board='pynq-z2')")
    board = load_board(merged["board"])
    check_part(board, merged["part"])
    period = validate.clock_period(merged["clock_period"], 10.0)
    return AcceleratorOptions(
        board=board,
        interface=_choice(merged["interface"] or "axi_stream", interface_names(), "interface"),
        weights=_choice(merged["weights"] or "embedded", WEIGHT_MODES, "weights mode"),
        driver=_choice(merged["driver"] or "python", DRIVERS, "driver"),
        clock_period=period,
        input_type=BusType.parse(merged["input_type"] or "float", "input_type"),
        output_type=BusType.parse(merged["output_type"] or "float", "output_type"),
        weights_type=BusType.parse(merged["weights_type"] or "float", "weights_type"),
    )


def check_bus_types(opts: AcceleratorOptions, graph) -> None:
    """Refuse an input bus type that cannot carry every value of the model's input type."""
    for gi in graph.inputs:
        t = graph.tensors[gi.tensor].type
        b = opts.input_type.fixed
        if b is None:
            if t.width > 24:  # an IEEE single has a 24-bit significand
                raise ValueError(f"input_type float cannot carry the {t.width}-bit input type {t} of "
                                 f"{gi.source_name!r} exactly; choose a fixed input_type")
            continue
        narrow = (b.fractional < t.fractional or b.integer - b.signed < t.integer - t.signed
                  or (t.signed and not b.signed))
        if narrow:
            raise ValueError(
                f"input_type {b} is narrower than input {gi.source_name!r} needs ({t}): it must hold at "
                f"least {t.integer} integer and {t.fractional} fractional bits"
                + (" and be signed" if t.signed else ""))


# ---------------------------------------------------------------------------- description
_CTRL_BITS = {"ap_start": 0, "ap_done": 1, "ap_idle": 2, "ap_ready": 3, "auto_restart": 7}


def describe(code, opts: AcceleratorOptions) -> dict:
    """The interface description: everything drivers and docs need, as plain data."""
    p = code.project
    ins = code.inputs
    outs = code.outputs
    n_in = sum(i["size"] for i in ins)
    n_out = sum(o["size"] for o in outs)
    weights = [w for w in code.weights if w.kind == "weight"] if opts.reprogrammable else []
    ptr_words = 2  # 64-bit addresses (HLS keeps two data words for m_axi offsets on both families)
    regs, off = [], 0x10

    def add(name, words, desc):
        nonlocal off
        regs.append(dict(name=name, offset=off, words=words, description=desc))
        off += 4 * (words + 1)

    itf = opts.bus_interface
    buffers, dma = itf.io_registers(add, opts, n_in, n_out)
    if opts.reprogrammable:
        add("weights", ptr_words, "physical address of the weight buffer (read when load_weights is 1)")
        add("load_weights", 1, "1: read the weight buffer before processing; 0: keep the stored weights")
        buffers.append(dict(name="weights", kind="m_axi", port="m_axi_gmem_w", register="weights",
                            words=sum(w.size for w in weights)))
    off = itf.place_arrays(regs, off, opts, n_in, n_out)
    return dict(
        project=p,
        top=f"{p}_axi",
        ip_vlnv=f"xilinx.com:hls:{p}_axi:1.0",
        board=opts.board.name,
        part=opts.board.part,
        interface=opts.interface,
        weights_mode=opts.weights,
        clock_period_ns=opts.clock_period,
        control=dict(offset=0, bits=_CTRL_BITS, gie=0x04, ier=0x08, isr=0x0C),
        registers=regs,
        buffers=buffers,
        inputs=[dict(name=i["source_name"], shape=i["shape"], size=i["size"], model_type=i["precision"])
                for i in ins],
        outputs=[dict(shape=o["shape"], size=o["size"], model_type=o["precision"]) for o in outs],
        input_bus=opts.input_type.to_json(),
        output_bus=opts.output_type.to_json(),
        weights_bus=opts.weights_type.to_json(),
        weights=[dict(var=w.var, layer=w.layer, key=w.key, size=w.size, type=w.type, precision=w.precision)
                 for w in weights],
        words_per_sample_in=n_in,
        words_per_sample_out=n_out,
        **({"dma": dma} if dma else {}),
    )
