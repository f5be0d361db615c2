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
ACCEL_KEYS = ("Board", "Part", "Interface", "Weights", "Driver", "ClockPeriod", "Precision", "Pipeline", "BusWidth")
PIPELINES = ("pipelined", "serial")
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


@dataclass(frozen=True)
class Packing:
    """How one direction's values sit in bus beats: ``per_beat`` values of ``word_bits`` each in
    a ``bus_bits`` beat, value j of a beat in bits [j*word_bits, (j+1)*word_bits) (little-endian
    lanes, so a buffer of beats has the memory image of consecutive words). A sample starts on a
    new beat: its ``values`` take ``beats`` beats, the ``slots - values`` lanes after it are zero.
    The one description the top, registers.json, both drivers and the docs follow."""

    word_bits: int
    bus_bits: int

    @classmethod
    def of(cls, bus: BusType, bus_width: int | None) -> "Packing":
        return cls(bus.word_bits, bus_width or bus.word_bits)

    @property
    def per_beat(self) -> int:
        return self.bus_bits // self.word_bits

    def beats(self, values: int) -> int:
        return -(-values // self.per_beat)

    def slots(self, values: int) -> int:
        return self.beats(values) * self.per_beat

    def to_json(self, values: int) -> dict:
        return dict(bus_bits=self.bus_bits, word_bits=self.word_bits, values_per_beat=self.per_beat,
                    values_per_sample=values, beats_per_sample=self.beats(values),
                    words_per_sample=self.slots(values))


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
    pipeline: str = "pipelined"      # the top's shape: 'pipelined' (dataflow) or 'serial'
    bus_width: int | None = None     # bits per data beat (None: one value per beat, axi_lite)

    @property
    def pipelined(self) -> bool:
        return self.pipeline == "pipelined"

    @property
    def in_packing(self) -> "Packing":
        return Packing.of(self.input_type, self.bus_width)

    @property
    def out_packing(self) -> "Packing":
        return Packing.of(self.output_type, self.bus_width)

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
                "weights_type": prec.get("Weights"), "pipeline": section.get("Pipeline"),
                "bus_width": section.get("BusWidth")}
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
    opts = AcceleratorOptions(
        board=board,
        interface=_choice(merged["interface"] or "axi_stream", interface_names(), "interface"),
        weights=_choice(merged["weights"] or "embedded", WEIGHT_MODES, "weights mode"),
        driver=_choice(merged["driver"] or "python", DRIVERS, "driver"),
        clock_period=period,
        input_type=BusType.parse(merged["input_type"] or "float", "input_type"),
        output_type=BusType.parse(merged["output_type"] or "float", "output_type"),
        weights_type=BusType.parse(merged["weights_type"] or "float", "weights_type"),
    )
    itf = opts.bus_interface
    pipeline = merged["pipeline"]
    if pipeline is not None:
        opts.pipeline = _choice(pipeline, PIPELINES, "AcceleratorConfig.Pipeline")
    if not itf.batched:  # one sample per call: nothing to overlap, nothing to pack
        if pipeline is not None and opts.pipeline == "pipelined":
            raise ValueError(f"AcceleratorConfig.Pipeline: pipelined needs a batched interface; interface="
                             f"{itf.name!r} processes one sample per call (use Pipeline: serial)")
        if merged["bus_width"] is not None:
            raise ValueError(f"AcceleratorConfig.BusWidth: interface={itf.name!r} has no data bus (its values "
                             "are registers); BusWidth applies to axi_stream and axi_master")
        opts.pipeline = "serial"
        return opts
    opts.bus_width = _bus_width(merged["bus_width"], board, itf, opts)
    return opts


def _bus_width(value, board: Board, itf: BusInterface, opts: AcceleratorOptions) -> int:
    """Bits per data beat: given (BusWidth), else the widest the board's memory port takes
    (S_AXI_HP0: 64 bits on Zynq-7000, 128 on Zynq UltraScale+), never narrower than a value."""
    widest = max(opts.input_type.word_bits, opts.output_type.word_bits)
    if value is None:
        return max(board.memory.data_width, widest)
    try:
        w = int(value)
    except (TypeError, ValueError):
        raise ValueError(f"AcceleratorConfig.BusWidth must be a number of bits, got {value!r}") from None
    if w < 8 or w & (w - 1) or w > itf.max_bus_bits:
        raise ValueError(f"AcceleratorConfig.BusWidth={value!r}: must be a power of two from 8 to "
                         f"{itf.max_bus_bits} bits for interface={itf.name!r}")
    if w < widest:
        raise ValueError(f"AcceleratorConfig.BusWidth={w} is narrower than a {widest}-bit bus word "
                         f"(input_type {opts.input_type.spelling}, output_type {opts.output_type.spelling})")
    return w


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


def describe(code, opts: AcceleratorOptions, timing: dict | None = None) -> dict:
    """The interface description: everything drivers and docs need, as plain data.
    ``timing``: the estimated cycles of a run (``latency`` of one sample, ``ii`` between
    samples), the model count the host simulation reports in the ``cycles`` register."""
    p = code.project
    ins = code.inputs
    outs = code.outputs
    n_in = sum(i["size"] for i in ins)
    n_out = sum(o["size"] for o in outs)
    pin, pout = opts.in_packing, opts.out_packing
    weights = [w for w in code.weights if w.kind == "weight"] if opts.reprogrammable else []
    ptr_words = 2  # 64-bit addresses (HLS keeps two data words for m_axi offsets on both families)
    regs, off = [], 0x10

    def add(name, words, desc):
        nonlocal off
        regs.append(dict(name=name, offset=off, words=words, description=desc))
        off += 4 * (words + 1)

    itf = opts.bus_interface
    buffers, dma = itf.io_registers(add, opts, pin.slots(n_in), pout.slots(n_out))
    if opts.reprogrammable:
        add("weights", ptr_words, "physical address of the weight buffer (read when load_weights is 1)")
        add("load_weights", 1, "1: read the weight buffer before processing; 0: keep the stored weights")
        buffers.append(dict(name="weights", kind="m_axi", port="m_axi_gmem_w", register="weights",
                            words=sum(w.size for w in weights)))
    add("cycles", 1, "clock cycles from ap_start to ap_done of the last run (read after ap_done; "
                     "the host simulation holds a model count there)")
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
        words_per_sample_in=pin.slots(n_in),     # bus-word slots per sample in memory (incl. lane padding)
        words_per_sample_out=pout.slots(n_out),
        values_per_sample_in=n_in,
        values_per_sample_out=n_out,
        packing=dict(input=pin.to_json(n_in), output=pout.to_json(n_out)),
        pipeline=opts.pipeline,
        cycle_model=dict(timing or {}),
        **({"dma": dma} if dma else {}),
    )
