"""The bus-interface base class and the registry of interfaces by name."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Tuple

from ....templating import TEMPLATES

_INTERFACES: Dict[str, "BusInterface"] = {}


@dataclass
class BlockDesignParts:
    """What an interface adds to the block design (pins as ``cell/pin``), in connection order."""

    cells: List[dict] = field(default_factory=list)             # after the accelerator cell
    memory_masters: List[Tuple[str, str]] = field(default_factory=list)  # (AXI master pin, its clock pin)
    control_slaves: List[str] = field(default_factory=list)     # AXI-Lite slaves after the accelerator's
    interrupts: List[str] = field(default_factory=list)         # interrupt pins after the accelerator's
    bus_nets: List[dict] = field(default_factory=list)          # {"a": pin, "b": pin} bus connections
    clocks: List[str] = field(default_factory=list)             # clock pins after the accelerator's
    resets: List[str] = field(default_factory=list)             # peripheral resets after the accelerator's


class BusInterface:
    """One protocol between the PS and the accelerator top."""

    name: str = ""
    summary: str = ""            # one line for documentation
    batched: bool = True         # one call of the top processes n_samples samples (else one)
    uses_dma: bool = False       # an AXI DMA moves the data (driver and block design)
    data_in_memory: bool = False  # inputs and outputs are buffers in DDR, read by AXI masters
    data_in_registers: bool = False  # inputs and outputs live in the s_axi_control space
    port_costs: str | None = None  # costs.yml prefix of its two data ports for the estimate (axis, maxi)
    max_bus_bits: int = 1024     # widest data beat (BusWidth) the interface carries

    # ----------------------------------------------------------------- templates
    @property
    def template_dir(self) -> str:
        return f"vivado_accelerator/interfaces/{self.name}"

    def fragment(self, part: str) -> str:
        """The template of one fragment (e.g. ``read_beat.cpp.j2``), for ``{% include %}``: the
        interface's own, else that of the interface it derives from."""
        for cls in type(self).__mro__:
            name = cls.__dict__.get("name")
            if name and (TEMPLATES / "vivado_accelerator" / "interfaces" / name / part).is_file():
                return f"vivado_accelerator/interfaces/{name}/{part}"
        raise FileNotFoundError(f"interface {self.name}: no template fragment {part!r} in {self.template_dir}")

    # ----------------------------------------------------------------- the top function
    def data_args(self, n_in: int, n_out: int, tb_samples: int) -> Tuple[List[str], List[str]]:
        """(declarations, pragmas) of the top's data arguments, in s_axilite register order."""
        raise NotImplementedError

    # ----------------------------------------------------------------- registers and buffers
    def io_registers(self, add, opts, n_in: int, n_out: int) -> Tuple[List[dict], dict | None]:
        """Call ``add(name, words, description)`` for the registers before the weight port;
        returns (buffers, DMA facts or None)."""
        raise NotImplementedError

    def place_arrays(self, regs: list, off: int, opts, n_in: int, n_out: int) -> int:
        """Registers after the weight port (arrays in the register space); returns the next offset."""
        return off

    # ----------------------------------------------------------------- timing (the estimate asks)
    def top_timing(self, pipelined: bool, in_beats: int, out_beats: int, net_ii: int, net_latency: int,
                   overhead: int) -> dict:
        """Cycles of the top for one sample (``latency``) and between samples (``ii``).
        Serial: read every beat, run the network, write every beat, one sample after the
        other. Pipelined (dataflow): read, network and write overlap across samples, so a
        sample starts every max(in_beats, network II, out_beats) cycles."""
        latency = in_beats + net_latency + out_beats + overhead
        ii = max(in_beats, net_ii, out_beats) if pipelined else latency
        return dict(ii=int(ii), latency=int(latency))

    # ----------------------------------------------------------------- IP and block design
    def ip_ports(self) -> Dict[str, Tuple[str, str]]:
        """The IP's data bus interfaces: name -> (kind, mode) (kind aximm/axis, mode master/slave)."""
        return {}

    def check_bus_width(self, name: str, width: int) -> None:
        """Refuse a bus word width the interface cannot carry (``name``: the spec field)."""

    def block_design(self, spec, hls: str) -> BlockDesignParts:
        """Cells and connections the interface adds to the block design of ``spec``
        (``hls``: the accelerator cell)."""
        return BlockDesignParts()

    def __repr__(self):
        return f"<interface {self.name}>"


def register_interface(cls):
    """Class decorator: make an interface known by its ``name``."""
    _INTERFACES[cls.name] = cls()
    return cls


def interface_names() -> tuple:
    return tuple(_INTERFACES)


def interface_for(name) -> BusInterface:
    """The interface called ``name`` (an object passes through); unknown names list the valid ones."""
    if isinstance(name, BusInterface):
        return name
    itf = _INTERFACES.get(str(name).strip().lower())
    if itf is None:
        raise ValueError(f"unknown interface {name!r}; valid: {', '.join(interface_names())}")
    return itf
