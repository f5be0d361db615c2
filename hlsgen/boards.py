"""Boards as data: one YAML file per board in ``boards/``, validated at load.

A board is a fact about hardware, usable by any backend: the plain HLS project takes its
part, the accelerator backend its PS, ports and clocks as well.

The part number of a board lives only in its YAML file.  Files whose name starts
with ``_`` are family bases (shared PS facts) that boards pull in with ``base:``;
they are not boards themselves.  A board's mapping is merged over its base's
(mappings recursively, everything else replaced) and then validated: a missing
or unknown key is an error naming the file and the key.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import yaml

__all__ = [
    "Board", "PsIp", "PsPort", "PsPin", "PlClock", "Interrupt",
    "boards_dir", "load_board", "available_boards", "check_part", "check_part_name", "DEFAULT_PART",
    "PartWarning",
    "FAMILIES", "HLS_FAMILIES",
]

FAMILIES = ("zynq", "zynquplus")
HLS_FAMILIES = ("vivado_hls", "vitis_hls")   # Vivado HLS 2019.2-2020.1; Vitis HLS 2020.2+ (vitis_hls, vitis-run)
DEFAULT_MIN_VIVADO = "2019.2"                 # design.tcl's write_hw_platform (.xsa) needs Vivado 2019.2+
INTERCONNECTS = ("axi_interconnect", "smartconnect")
ENV_VAR = "HLSGEN_BOARDS_DIR"
DEFAULT_PART = "xcvu13p-flga2577-2-e"  # the plain backends' part when neither board nor part is given (hls4ml's)


# --------------------------------------------------------------------------- data classes
@dataclass(frozen=True)
class PsIp:
    vlnv: str                 # without version, e.g. xilinx.com:ip:processing_system7
    version: str              # e.g. "5.5"
    cell: str                 # block-design cell name
    automation_rule: str      # apply_bd_automation rule that applies the board preset
    make_external: str        # interfaces the rule makes external ("" for none)

    @property
    def full_vlnv(self) -> str:
        return f"{self.vlnv}:{self.version}"


@dataclass(frozen=True)
class PsPort:
    port: str                 # PS interface pin, e.g. M_AXI_GP0
    clock: str                # PS clock input pin of that port
    data_width: int
    enable: Dict[str, Any]    # PS CONFIG properties that make the port exist


@dataclass(frozen=True)
class PsPin:
    pin: str
    enable: Dict[str, Any]


@dataclass(frozen=True)
class PlClock:
    pin: str
    default_mhz: float
    freq_property: str
    enable: Dict[str, Any]
    unlock: Dict[str, Any] = field(default_factory=dict)  # set before the frequency (a preset may lock it)


@dataclass(frozen=True)
class Interrupt:
    pin: str
    width: int
    enable: Dict[str, Any]


@dataclass(frozen=True)
class Board:
    name: str
    description: str
    aliases: Tuple[str, ...]
    family: str
    part: str
    board_part: str
    board_part_alternates: Tuple[str, ...]
    board_connections: Optional[str]
    apply_board_preset: bool
    interconnect: str
    ps: PsIp
    control: PsPort
    memory_ports: Tuple[PsPort, ...]
    pl_clock: PlClock
    reset: PsPin
    interrupt: Interrupt
    ps_disable: Dict[str, Any]
    min_vivado: str = DEFAULT_MIN_VIVADO      # oldest Vivado release with this board's files and part
    hls_tools: Tuple[str, ...] = HLS_FAMILIES  # HLS tools whose part list has the board's part
    path: Path = field(compare=False, default=Path())

    @property
    def memory(self) -> PsPort:
        """The PS slave port the accelerator's memory masters use (the first listed)."""
        return self.memory_ports[0]


# --------------------------------------------------------------------------- locating files
def _repo_boards() -> Path:
    return Path(__file__).resolve().parents[1] / "boards"


def _package_boards() -> Path:
    return Path(__file__).resolve().parent / "_boards"


def _has_boards(d: Path) -> bool:
    return d.is_dir() and any(p.suffix == ".yml" and not p.name.startswith("_") for p in d.iterdir())


def boards_dir() -> Path:
    """Folder holding the board YAML files.

    ``$HLSGEN_BOARDS_DIR`` if set; else ``<repo>/boards`` (source checkout or editable
    install); else ``hlsgen/_boards`` inside an installed package.
    """
    env = os.environ.get(ENV_VAR)
    if env:
        d = Path(env)
        if not d.is_dir():
            raise FileNotFoundError(f"{ENV_VAR}={env!r} is not a directory")
        return d
    for d in (_repo_boards(), _package_boards()):
        if _has_boards(d):
            return d
    raise FileNotFoundError(
        f"no board files found in {_repo_boards()} or {_package_boards()}; set {ENV_VAR}")


def _board_files(d: Path) -> List[Path]:
    return sorted(p for p in d.glob("*.yml") if not p.name.startswith("_"))


# --------------------------------------------------------------------------- schema
class BoardFileError(ValueError):
    """A board file is malformed: the message names the file and the key."""


# key -> (type(s), required).  Nested mappings are described by nested dicts.
_PORT = {"port": (str, True), "clock": (str, True), "data_width": (int, True), "enable": (dict, True)}
_SCHEMA: Dict[str, Any] = {
    "name": (str, True),
    "description": (str, True),
    "aliases": (list, True),
    "family": (str, True),
    "part": (str, True),
    "board_part": (str, True),
    "board_part_alternates": (list, False),
    "board_connections": (str, False),
    "apply_board_preset": (bool, True),
    "interconnect": (str, True),
    "ps": ({"vlnv": (str, True), "version": (str, True), "cell": (str, True),
            "automation_rule": (str, True), "make_external": (str, True)}, True),
    "control": (_PORT, True),
    "memory_ports": ([_PORT], True),
    "pl_clock": ({"pin": (str, True), "default_mhz": ((int, float), True),
                  "freq_property": (str, True), "enable": (dict, True), "unlock": (dict, False)}, True),
    "reset": ({"pin": (str, True), "enable": (dict, True)}, True),
    "interrupt": ({"pin": (str, True), "width": (int, True), "enable": (dict, True)}, True),
    "ps_disable": (dict, True),
    "min_vivado": (str, False),
    "hls_tools": (list, False),
}


def _typename(t) -> str:
    if isinstance(t, tuple):
        return " or ".join(x.__name__ for x in t)
    if isinstance(t, dict):
        return "mapping"
    if isinstance(t, list):
        return "list of mappings"
    return t.__name__


def _check(data: Any, schema: Dict[str, Any], where: str, fname: str) -> None:
    if not isinstance(data, dict):
        raise BoardFileError(f"{fname}: '{where or 'top level'}' must be a mapping")
    for key in data:
        if key not in schema:
            full = f"{where}.{key}" if where else key
            raise BoardFileError(
                f"{fname}: unknown key '{full}' (allowed here: {', '.join(sorted(schema))})")
    for key, (typ, required) in schema.items():
        full = f"{where}.{key}" if where else key
        if key not in data or data[key] is None:
            if required:
                raise BoardFileError(f"{fname}: missing key '{full}'")
            continue
        val = data[key]
        if isinstance(typ, dict):
            _check(val, typ, full, fname)
        elif isinstance(typ, list):
            if not isinstance(val, list) or not val:
                raise BoardFileError(f"{fname}: '{full}' must be a non-empty list of mappings")
            for i, item in enumerate(val):
                _check(item, typ[0], f"{full}[{i}]", fname)
        else:
            ok = isinstance(val, typ) and not (typ is int and isinstance(val, bool))
            if not ok:
                raise BoardFileError(
                    f"{fname}: '{full}' must be {_typename(typ)}, got {type(val).__name__} {val!r}")


def _merge(base: Dict[str, Any], over: Dict[str, Any]) -> Dict[str, Any]:
    out = dict(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _merge(out[k], v)
        else:
            out[k] = v
    return out


def _read_yaml(path: Path) -> Dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as f:
            data = yaml.safe_load(f)
    except yaml.YAMLError as e:
        raise BoardFileError(f"{path}: not valid YAML: {e}") from None
    if not isinstance(data, dict):
        raise BoardFileError(f"{path}: must hold a mapping")
    return data


def _resolve(path: Path, seen: Tuple[Path, ...] = ()) -> Dict[str, Any]:
    data = _read_yaml(path)
    base = data.pop("base", None)
    if base is None:
        return data
    if not isinstance(base, str):
        raise BoardFileError(f"{path}: 'base' must be a file name")
    bpath = path.parent / (base if base.endswith(".yml") else base + ".yml")
    if bpath in seen or bpath == path:
        raise BoardFileError(f"{path}: 'base' chain loops through {bpath.name}")
    if not bpath.is_file():
        raise BoardFileError(f"{path}: base '{base}' not found (looked for {bpath})")
    return _merge(_resolve(bpath, seen + (path,)), data)


def _port(d: Dict[str, Any]) -> PsPort:
    return PsPort(port=d["port"], clock=d["clock"], data_width=d["data_width"], enable=dict(d["enable"]))


def _build(data: Dict[str, Any], path: Path) -> Board:
    _check(data, _SCHEMA, "", str(path))
    if data["family"] not in FAMILIES:
        raise BoardFileError(f"{path}: 'family' must be one of {', '.join(FAMILIES)}, got {data['family']!r}")
    if data["interconnect"] not in INTERCONNECTS:
        raise BoardFileError(
            f"{path}: 'interconnect' must be one of {', '.join(INTERCONNECTS)}, got {data['interconnect']!r}")
    for key in ("aliases", "board_part_alternates"):
        if not all(isinstance(a, str) for a in data.get(key) or []):
            raise BoardFileError(f"{path}: '{key}' must be a list of strings")
    if not re.fullmatch(r"\d{4}\.\d", data.get("min_vivado") or DEFAULT_MIN_VIVADO):
        raise BoardFileError(f"{path}: 'min_vivado' must be a Vivado release like 2022.1, got {data['min_vivado']!r}")
    tools = data.get("hls_tools") or list(HLS_FAMILIES)
    if not tools or any(t not in HLS_FAMILIES for t in tools):
        raise BoardFileError(f"{path}: 'hls_tools' must list some of {', '.join(HLS_FAMILIES)}, got {tools!r}")
    if path.stem != data["name"]:
        raise BoardFileError(f"{path}: 'name' is {data['name']!r} but the file is named {path.name}")
    ps, pl, rst, irq = data["ps"], data["pl_clock"], data["reset"], data["interrupt"]
    return Board(
        name=data["name"],
        description=data["description"],
        aliases=tuple(a.lower() for a in data["aliases"]),
        family=data["family"],
        part=data["part"],
        board_part=data["board_part"],
        board_part_alternates=tuple(data.get("board_part_alternates") or ()),
        board_connections=data.get("board_connections"),
        apply_board_preset=data["apply_board_preset"],
        interconnect=data["interconnect"],
        ps=PsIp(vlnv=ps["vlnv"], version=ps["version"], cell=ps["cell"],
                automation_rule=ps["automation_rule"], make_external=ps["make_external"]),
        control=_port(data["control"]),
        memory_ports=tuple(_port(p) for p in data["memory_ports"]),
        pl_clock=PlClock(pin=pl["pin"], default_mhz=float(pl["default_mhz"]),
                         freq_property=pl["freq_property"], enable=dict(pl["enable"]),
                         unlock=dict(pl.get("unlock") or {})),
        reset=PsPin(pin=rst["pin"], enable=dict(rst["enable"])),
        interrupt=Interrupt(pin=irq["pin"], width=irq["width"], enable=dict(irq["enable"])),
        ps_disable=dict(data["ps_disable"]),
        min_vivado=data.get("min_vivado") or DEFAULT_MIN_VIVADO,
        hls_tools=tuple(tools),
        path=path,
    )


def load_board_file(path) -> Board:
    """Load and validate one board file (with its base)."""
    path = Path(path)
    return _build(_resolve(path), path)


# --------------------------------------------------------------------------- public API
def available_boards(directory: Optional[Path] = None) -> List[str]:
    """Canonical names of the boards (file stems), sorted."""
    return [p.stem for p in _board_files(Path(directory) if directory else boards_dir())]


def load_board(name: str, directory: Optional[Path] = None) -> Board:
    """Load a board by name or alias, case-insensitively.

    Unknown names raise ``ValueError`` listing the valid boards.
    """
    if isinstance(name, Board):
        return name
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"board must be a non-empty string, got {name!r}")
    d = Path(directory) if directory else boards_dir()
    key = name.strip().lower()
    files = _board_files(d)
    for p in files:                       # exact file name first: cheap and unambiguous
        if p.stem.lower() == key:
            return load_board_file(p)
    for p in files:
        b = load_board_file(p)
        if key in b.aliases:
            return b
    raise ValueError(
        f"unknown board {name!r}; valid boards: {', '.join(p.stem for p in files)} "
        f"(board files in {d})")


def check_part(board: Board, part: Optional[str]) -> str:
    """Return the board's part; a user-given ``part`` must name the same device.

    Vivado part names are case-insensitive (some boards write theirs with capitals).
    """
    if part is None or part == "":
        return board.part
    if not isinstance(part, str) or part.strip().lower() != board.part.lower():
        raise ValueError(
            f"part {part!r} contradicts board {board.name!r}, whose part is {board.part!r} "
            f"(from {board.path.name}); drop part= or choose the board that carries it")
    return board.part


_UNWRITABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029#]")  # a line break, control character or cfg comment


class PartWarning(UserWarning):
    """A part hlsgen does not recognise: the project is written for it as given."""


def check_part_name(part) -> str:
    """A part as given, for the plain backends (no board): any one-line text is accepted, since
    which parts exist is the HLS tool's business (a name of no family hlsgen knows gets a
    :class:`PartWarning` at conversion, ``hlsgen.estimate.parts.warn_unknown_part``).
    Refused: no text, a line break or control character, '#'."""
    if not isinstance(part, str) or not part.strip() or _UNWRITABLE.search(part):
        raise ValueError(f"part {part!r} is not a part name: it must be one line of text without '#' "
                         f"(e.g. xcu250-figd2104-2L-e, xc7a35tcpg236-1)")
    return part.strip()
