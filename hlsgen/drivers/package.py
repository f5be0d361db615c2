"""A pip-installable PYNQ overlay package of a written VivadoAccelerator project (issue 19).

``package(project)`` builds a source distribution and a wheel of ``<project>_overlay``:

- ``<project>_driver.py`` (the PYNQ driver, from ``registers.json``) and ``__init__.py``, whose
  ``<Project>Accelerator()`` finds the package's own ``.bit``/``.hwh`` with ``importlib.resources``
  (the driver's ``default_bitfile`` hook);
- the ``.bit`` and ``.hwh`` that ``build(bitfile=True)`` copied into the project (refused
  without them unless ``allow_missing_bitstream``: then the constructor needs ``bitfile=``);
- ``data/test_data.npz``: the testbench samples, the outputs the accelerator must give and the
  reference outputs given at conversion;
- ``software.py`` and ``sw/``: the firmware with ``sw_reference.cpp``, compiled for the CPU on
  first use, so the notebook can compare and time hardware against software;
- ``notebooks/<project>/<project>.ipynb`` behind the ``pynq.notebooks`` entry point, for
  ``pynq get-notebooks``; and a README with the board, part, clock, interface, bus types and
  the register map.

Everything is checked before anything is written; the tree is rendered from templates in
``templates/drivers/package/`` (escaped for each file's language) into a temporary folder, built
with the ``build`` front end (setuptools, no isolation: no network) and only the finished sdist
and wheel are moved into ``path``.
"""
from __future__ import annotations

import importlib.util
import io
import json
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..escape import Code, toml_str
from ..templating import render
from . import _camel, driver_files

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_VERSION = re.compile(r"^\d+(\.\d+)*((a|b|rc)\d+)?(\.post\d+)?(\.dev\d+)?$")  # public PEP 440, plain spelling
TEMPLATES = "drivers/package"


@dataclass(frozen=True)
class OverlayPackage:
    """What :func:`package` built."""

    name: str          # the import name, <project>_overlay
    wheel: Path
    sdist: Path
    has_bitstream: bool

    def __str__(self):
        return str(self.wheel)


def _read_tb(path: Path, width: int, what: str) -> np.ndarray:
    try:
        a = np.loadtxt(path, dtype=np.float64, ndmin=2)
    except ValueError as e:
        raise ValueError(f"{path}: cannot read the {what} ({e})") from None
    if a.shape[1] != width:
        raise ValueError(f"{path}: {a.shape[1]} values per sample, registers.json says {width} ({what})")
    return a


def _inputs(project: Path, allow_missing_bitstream: bool, version: str) -> dict:
    """Read and check everything the package needs; raise before anything is written."""
    regs = project / "registers.json"
    if not regs.is_file():
        raise FileNotFoundError(f"{project} has no registers.json: package() needs a written VivadoAccelerator project")
    desc = json.loads(regs.read_text())
    p = str(desc.get("project", ""))
    for key in ("project", "top"):
        v = str(desc.get(key, ""))
        if not _IDENT.match(v) or not v.isascii():
            raise ValueError(f"{regs}: {key} {v!r} is not a C identifier (the project name names the Python package, "
                             "the top its driver)")
    if not _VERSION.match(str(version)):
        raise ValueError(f"version {version!r} is not a PEP 440 version such as 1.0.0")
    bit, hwh = project / f"{p}.bit", project / f"{p}.hwh"
    have = [f.is_file() for f in (bit, hwh)]
    if have[0] != have[1]:
        raise FileNotFoundError(f"{bit if have[0] else hwh} is there but not {hwh if have[0] else bit}: PYNQ needs "
                                "both (build(bitfile=True) writes them side by side)")
    if not have[0] and not allow_missing_bitstream:
        raise FileNotFoundError(f"{project} has no {bit.name} and {hwh.name}: run build(bitfile=True) first, or pass "
                                "allow_missing_bitstream=True for a package whose constructor needs bitfile=")
    missing = [k for k in ("values_per_sample_in", "values_per_sample_out") if k not in desc]
    if missing:
        raise ValueError(f"{regs} has no {' or '.join(missing)}: it was written by an older hlsgen; write the "
                         "project again")
    n_in, n_out = desc["values_per_sample_in"], desc["values_per_sample_out"]
    tb = project / "tb_data"
    x = _read_tb(tb / "tb_input_features.dat", n_in, "test inputs")
    y = _read_tb(tb / "tb_expected_csim.dat", n_out, "expected outputs")
    ref_path = tb / "tb_output_predictions.dat"
    y_ref = _read_tb(ref_path, n_out, "reference outputs") if ref_path.is_file() else None
    if y.shape[0] != x.shape[0] or (y_ref is not None and y_ref.shape[0] != x.shape[0]):
        raise ValueError(f"{tb}: the test data files hold different numbers of samples")
    firmware = project / "firmware"
    if not (firmware / f"{p}.cpp").is_file():
        raise FileNotFoundError(f"{firmware} has no {p}.cpp: the package carries the firmware as its software network")
    spec = importlib.util.find_spec("build")
    if spec is None or spec.origin is None:  # (a folder named build/ is no front end)
        raise ImportError("hlsgen.package needs the 'build' package (pip install build) to make the sdist and wheel")
    return dict(desc=desc, p=p, bit=bit if have[0] else None, hwh=hwh if have[0] else None, x=x, y=y, y_ref=y_ref,
                firmware=firmware)


def _notebook(percent: str) -> str:
    """An .ipynb (nbformat 4.5) from a percent-format script: ``# %%`` starts a code cell,
    ``# %% [markdown]`` a markdown cell (its lines without the leading ``# ``), ``tags=[...]``."""
    head = re.compile(r'^# %%( \[markdown\])?( tags=(\[.*\]))?\s*$')
    cells = []
    for line in percent.splitlines():
        m = head.match(line)
        if m:
            cells.append(dict(kind="markdown" if m.group(1) else "code",
                              tags=json.loads(m.group(3)) if m.group(3) else [], lines=[]))
        elif cells:
            cells[-1]["lines"].append(line)
    out = []
    for k, c in enumerate(cells):
        lines = c["lines"]
        while lines and not lines[-1].strip():
            lines.pop()
        if c["kind"] == "markdown":
            lines = [ln[2:] if ln.startswith("# ") else ln.lstrip("#") for ln in lines]
        source = [ln + "\n" for ln in lines[:-1]] + lines[-1:]
        cell = dict(cell_type=c["kind"], id=f"cell-{k}", metadata=dict(tags=c["tags"]) if c["tags"] else {},
                    source=source)
        if c["kind"] == "code":
            cell.update(execution_count=None, outputs=[])
        out.append(cell)
    nb = dict(cells=out, nbformat=4, nbformat_minor=5,
              metadata=dict(kernelspec=dict(name="python3", display_name="Python 3", language="python"),
                            language_info=dict(name="python")))
    return json.dumps(nb, indent=1) + "\n"


def _tree(src: dict, version: str) -> dict:
    """{path in the source tree: text or bytes}."""
    desc, p = src["desc"], src["p"]
    pkg = Code(f"{p}_overlay")
    cls = Code(_camel(p) + "Accelerator")
    board = desc.get("board") or "no board"
    ctx = dict(d=desc, p=Code(p), pkg=pkg, cls=cls, board=board, version=str(version),
               has_bitstream=src["bit"] is not None, bitstream=f"{p}.bit" if src["bit"] is not None else None,
               n_samples=int(src["x"].shape[0]),
               summary=f"{desc['top']} ({desc['interface']}) on {board}: PYNQ overlay generated by hlsgen")
    drivers = dict(driver_files(desc, p, "both"))
    files = {f"{pkg}/{p}_driver.py": drivers[f"drivers/python/{p}_driver.py"],
             f"{pkg}/__init__.py": render(f"{TEMPLATES}/__init__.py.j2", **ctx),
             f"{pkg}/software.py": render(f"{TEMPLATES}/software.py.j2", **ctx),
             f"{pkg}/sw/sw_reference.cpp": drivers["drivers/c/sw_reference.cpp"],
             f"{pkg}/notebooks/__init__.py": Code(f'"""The notebooks of {pkg}, for pynq get-notebooks."""\n'),
             f"{pkg}/notebooks/{p}/{p}.ipynb": _notebook(render(f"{TEMPLATES}/notebook.py.j2", **ctx))}
    for f in sorted(src["firmware"].rglob("*")):
        if f.is_file():
            files[f"{pkg}/sw/firmware/{f.relative_to(src['firmware']).as_posix()}"] = f.read_bytes()
    buf = io.BytesIO()
    arrays = dict(x=src["x"], y=src["y"], **({"y_ref": src["y_ref"]} if src["y_ref"] is not None else {}))
    np.savez_compressed(buf, **arrays)
    files[f"{pkg}/data/test_data.npz"] = buf.getvalue()
    if src["bit"] is not None:
        files[f"{pkg}/{p}.bit"] = src["bit"].read_bytes()
        files[f"{pkg}/{p}.hwh"] = src["hwh"].read_bytes()
    data = {pkg: sorted(k[len(pkg) + 1:] for k in files
                        if not k.endswith(".py") and not k.startswith(f"{pkg}/notebooks/")),
            f"{pkg}.notebooks": [f"{p}/{p}.ipynb"]}
    toml_data = [(toml_str(k), Code("[" + ", ".join(toml_str(f) for f in v) + "]")) for k, v in data.items()]
    files["pyproject.toml"] = render(f"{TEMPLATES}/pyproject.toml.j2", package_data=toml_data, **ctx)
    wheel = Code(f"{p.lower()}_overlay-{version}-py3-none-any.whl")  # the normalized name (PEP 427, PEP 503)
    files["README.md"] = render(f"{TEMPLATES}/README.md.j2", wheel_name=wheel,
                                clock_mhz=round(1000.0 / float(desc["clock_period_ns"]), 3),
                                registers=render("vivado_accelerator/registers.md.j2", d=desc), **ctx)
    return files


def package(project, path=None, allow_missing_bitstream: bool = False, version: str = "1.0.0",
            verbose: bool = False) -> OverlayPackage:
    """Build ``<project>_overlay-<version>.tar.gz`` and ``...-py3-none-any.whl`` into ``path``
    (default ``<project>/dist``) from a written VivadoAccelerator project; see the module doc."""
    project = Path(project).resolve()
    src = _inputs(project, allow_missing_bitstream, version)
    files = _tree(src, version)
    out = Path(path).expanduser().resolve() if path is not None else project / "dist"
    with tempfile.TemporaryDirectory(prefix="hlsgen_package_") as tmp:
        tree, dist = Path(tmp) / "src", Path(tmp) / "dist"
        for rel, content in files.items():
            f = tree / rel
            f.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                f.write_bytes(content)
            else:
                f.write_text(content, encoding="utf-8")
        # sdist first, then the wheel from the sdist (so the sdist is proven complete); no
        # isolation: the installed setuptools builds it, without a network
        cmd = [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(dist), str(tree)]
        r = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp)
        if verbose or r.returncode != 0:
            log = (r.stdout + r.stderr)[-4000:]
            if r.returncode != 0:
                raise RuntimeError(f"building the overlay package failed ({' '.join(cmd)}):\n{log}")
            print(log)
        wheels, sdists = sorted(dist.glob("*.whl")), sorted(dist.glob("*.tar.gz"))
        if len(wheels) != 1 or len(sdists) != 1:
            raise RuntimeError(f"the build front end left {[f.name for f in dist.iterdir()]} in {dist}")
        out.mkdir(parents=True, exist_ok=True)
        moved = []
        for f in (wheels[0], sdists[0]):
            shutil.move(str(f), str(out / f.name))
            moved.append(out / f.name)
    return OverlayPackage(name=f"{src['p']}_overlay", wheel=moved[0], sdist=moved[1],
                          has_bitstream=src["bit"] is not None)
