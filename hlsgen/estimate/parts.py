"""Xilinx parts: family, DSP slice and capacity (data in parts.yml, with its sources)."""
from __future__ import annotations

import functools
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import yaml

RESOURCES = ("dsp", "lut", "ff", "bram_18k")
# the family a part is estimated as when its name names none hlsgen knows (e.g. 'some_part'):
# UltraScale+, the family of the plain backends' default part (xcvu13p) and of current devices
DEFAULT_FAMILY = "ultrascale_plus"


@dataclass(frozen=True)
class Part:
    name: str
    device: str | None  # the parts.yml entry, None for a part outside the table
    family: str  # 7series, ultrascale, ultrascale_plus
    dsp_slice: str
    dsp_a: int  # signed multiplier operand widths of one DSP slice
    dsp_b: int
    capacity: dict | None  # resource -> count, None when the part is not in the table
    family_assumed: bool = False  # the name names no family hlsgen knows: DEFAULT_FAMILY is assumed


@functools.lru_cache(maxsize=None)
def _table() -> dict:
    return yaml.safe_load((Path(__file__).parent / "parts.yml").read_text())


def _device(name: str, devices) -> str | None:
    """The longest device of the table that ``name`` starts with, not followed by a digit."""
    hits = [k for k in devices if name.startswith(k) and not name[len(k):len(k) + 1].isdigit()]
    return max(hits, key=len) if hits else None


def known_family(part) -> str | None:
    """The family of a Xilinx part from its name (parts.yml ``family_by_name``), None if it names none."""
    name = str(part).strip().lower()
    for rule in _table()["family_by_name"]:
        if re.match(rule["pattern"], name):
            return rule["family"]
    return None


def family_of(part: str) -> str:
    """The family of a Xilinx part from its name; an error for a name that names none."""
    family = known_family(part)
    if family is not None:
        return family
    raise ValueError(f"part {part!r}: not a Xilinx part name hlsgen recognises (e.g. xc7z020clg400-1, "
                     f"xczu3eg-sbva484-1-i, xcu250-figd2104-2L-e; families: 7-series, UltraScale, UltraScale+)")


@functools.lru_cache(maxsize=None)
def part_info(part: str) -> Part:
    """What hlsgen knows of ``part`` (e.g. 'xc7z020clg400-1'); a part outside the table
    gets its family from its name (``DEFAULT_FAMILY`` when the name names none, with
    ``family_assumed``) and no capacity (the fit check is then skipped)."""
    t = _table()
    name = str(part).strip().lower()
    family = known_family(name)
    assumed = family is None
    family = DEFAULT_FAMILY if assumed else family
    fam = t["families"][family]
    device = _device(name, t["devices"])
    cap = dict(t["devices"][device]) if device else None
    if cap is not None:
        cap.setdefault("uram", 0)
    return Part(name, device, family, fam["dsp_slice"], fam["dsp_a"], fam["dsp_b"], cap, assumed)


_XILINX_NAME = re.compile(r"^xc[a-z0-9]+(-[a-z0-9]+)*$", re.IGNORECASE)


def warn_unknown_part(part: str) -> None:
    """A PartWarning when ``part`` is not a Xilinx part of a family hlsgen knows: the project
    is written for it as given, the estimate assumes DEFAULT_FAMILY and cannot check the fit."""
    from ..boards import PartWarning

    if _XILINX_NAME.match(part) and known_family(part) is not None:
        return
    what = "a Xilinx part name" if not _XILINX_NAME.match(part) else "a Xilinx part of a family hlsgen knows"
    warnings.warn(f"part {part!r} is not {what} (7-series, UltraScale, UltraScale+): the project is written "
                  f"for it as given; hlsgen's estimate assumes {DEFAULT_FAMILY} and cannot check the fit "
                  f"(it has no capacity for {part!r})", PartWarning, stacklevel=4)
