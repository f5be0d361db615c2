"""The PYNQ overlay package (issue 19): hm.package() / `hlsgen package` build an sdist and a
wheel; installed into a fresh virtual environment with the simulated pynq, the package's driver
finds its own bitstream, predicts exactly what hm.predict does, its software network agrees bit
for bit, and its notebook (found through the pynq.notebooks entry point, as `pynq get-notebooks`
does) runs end to end."""
import json
import os
import py_compile
import shutil
import subprocess
import sys
import tarfile
import time
import tomllib
import zipfile
from pathlib import Path

import numpy as np
import pytest

import hlsgen
from hlsgen.cli import main
from hlsgen.simulation import PYNQ_PATH

from conftest import REPO, grid, needs_gxx

keras = pytest.importorskip("keras")
pytest.importorskip("build")
pytestmark = [needs_gxx,  # every test compiles a project's C simulation
              pytest.mark.filterwarnings("ignore::hlsgen.estimate.fit.FitWarning")]  # a small design: no fit needed

PLACEHOLDER_BIT, PLACEHOLDER_HWH = b"placeholder bitstream\n", b"<placeholder hwh/>\n"
# name -> (interface, extra convert options, bitstream in the package)
PROJECTS = {"streamnet": ("axi_stream", {}, True),
            "masternet": ("axi_master", dict(input_type="fixed<16,6>", output_type="ufixed<8,0,RND,SAT>"), False)}


def _model(seed=3):
    keras.utils.set_random_seed(seed)
    return keras.Sequential([keras.Input((12,), name="input"), keras.layers.Dense(16, activation="relu", name="d1"),
                             keras.layers.Dense(4, activation="softmax", name="d2")])


@pytest.fixture(scope="module")
def X():
    return grid(np.random.default_rng(11), (90, 12))


def _convert(m, name, out, X):
    itf, kw, _ = PROJECTS[name]
    return hlsgen.convert_from_keras_model(m, output_dir=out, project_name=name, backend="VivadoAccelerator",
                                           board="pynq-z2", interface=itf, input_data_tb=X[:40],
                                           output_data_tb=m.predict(X[:40], verbose=0), **kw)


@pytest.fixture(scope="module")
def built(tmp_path_factory, X):
    """{name: (hm, OverlayPackage, seconds to build)}: the stream project with placeholder .bit/.hwh
    where build(bitfile=True) puts them, the master project without (allow_missing_bitstream)."""
    m = _model()
    out = {}
    for name, (_, _, with_bit) in PROJECTS.items():
        d = tmp_path_factory.mktemp(name) / "prj"
        hm = _convert(m, name, d, X)
        hm.compile()
        if with_bit:
            (d / f"{name}.bit").write_bytes(PLACEHOLDER_BIT)
            (d / f"{name}.hwh").write_bytes(PLACEHOLDER_HWH)
        t0 = time.perf_counter()
        pkg = hm.package(allow_missing_bitstream=not with_bit)
        out[name] = (hm, pkg, time.perf_counter() - t0)
    return out


def _env(tmp: Path, project=None) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), str(PYNQ_PATH)])  # this hlsgen, and pynq = the simulated one
    env["TMPDIR"] = str(tmp)  # the software network's compile cache
    env["JUPYTER_PATH"] = str(tmp / "jupyter")  # the venv's own kernel (see venv fixture)
    if project is not None:
        env["HLSGEN_PYNQ_PROJECT"] = str(project)  # the simulated board's bitstream, for the notebook kernel
    env.pop("MPLBACKEND", None)
    return env


@pytest.fixture(scope="module")
def venv(tmp_path_factory, built):
    """A fresh virtual environment (numpy, nbclient and ipykernel from the host's site-packages),
    with both wheels installed by pip, without a network; a kernelspec that runs its python."""
    root = tmp_path_factory.mktemp("venv")
    env_dir = root / "env"
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(env_dir)], check=True)
    t_venv = time.perf_counter() - t0
    py = env_dir / "bin" / "python"
    times = {}
    for name, (_, pkg, _) in built.items():
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "pip", "--python", str(py), "install", "-q", "--no-index", "--no-deps",
                        "--disable-pip-version-check", str(pkg.wheel)], check=True, capture_output=True)
        times[name] = time.perf_counter() - t0
    kernel = root / "jupyter" / "kernels" / "python3"
    kernel.mkdir(parents=True)
    (kernel / "kernel.json").write_text(json.dumps(dict(
        argv=[str(py), "-m", "ipykernel_launcher", "-f", "{connection_file}"], display_name="venv", language="python")))
    note = ("overlay packages: " + "; ".join(
        f"{n}: wheel {p.wheel.stat().st_size / 1024:.1f} KiB, sdist {p.sdist.stat().st_size / 1024:.1f} KiB, "
        f"built in {t:.1f} s, installed in {times[n]:.2f} s" for n, (_, p, t) in built.items())
        + f" (fresh venv created in {t_venv:.2f} s)")
    return py, root, note


def _run(py, root, script, project=None, timeout=600):
    r = subprocess.run([str(py), "-c", script], capture_output=True, text=True, env=_env(root, project),
                       cwd=str(root), timeout=timeout)
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


# ----------------------------------------------------------------------------- contents
def test_wheel_metadata_entry_point_and_files(built):
    for name, (hm, pkg, _) in built.items():
        has_bit = PROJECTS[name][2]
        assert pkg.name == f"{name}_overlay" and pkg.has_bitstream is has_bit
        assert pkg.wheel.parent == hm.output_dir / "dist" and pkg.wheel.name == f"{name}_overlay-1.0.0-py3-none-any.whl"
        with zipfile.ZipFile(pkg.wheel) as z:
            names = set(z.namelist())
            info = f"{name}_overlay-1.0.0.dist-info"
            eps = z.read(f"{info}/entry_points.txt").decode()
            meta = z.read(f"{info}/METADATA").decode()
            if has_bit:
                assert z.read(f"{name}_overlay/{name}.bit") == PLACEHOLDER_BIT
                assert z.read(f"{name}_overlay/{name}.hwh") == PLACEHOLDER_HWH
            nb = json.loads(z.read(f"{name}_overlay/notebooks/{name}/{name}.ipynb"))
        assert "[pynq.notebooks]" in eps and f"{name} = {name}_overlay.notebooks" in eps
        requires = sorted(ln.split(":", 1)[1].strip() for ln in meta.splitlines() if ln.startswith("Requires-Dist:"))
        assert requires == ["numpy", "pynq"]  # nothing pinned, nothing else
        pkg_files = {n for n in names if not n.startswith(info)}
        assert ({f"{name}_overlay/{name}.bit", f"{name}_overlay/{name}.hwh"} <= pkg_files) is has_bit
        assert {f"{name}_overlay/__init__.py", f"{name}_overlay/{name}_driver.py", f"{name}_overlay/software.py",
                f"{name}_overlay/data/test_data.npz", f"{name}_overlay/sw/sw_reference.cpp",
                f"{name}_overlay/sw/firmware/{name}.cpp", f"{name}_overlay/notebooks/__init__.py"} <= pkg_files
        assert nb["nbformat"] == 4 and any("parameters" in c["metadata"].get("tags", []) for c in nb["cells"])
        # the sdist holds the same package files (the wheel is built from it), plus the build description
        with tarfile.open(pkg.sdist) as t:
            top = f"{name}_overlay-1.0.0/"
            sd = {m.name[len(top):] for m in t.getmembers() if m.isfile()}
            toml = tomllib.loads(t.extractfile(top + "pyproject.toml").read().decode())
            readme = t.extractfile(top + "README.md").read().decode()
        assert pkg_files <= sd and {"pyproject.toml", "README.md"} <= sd
        assert toml["project"]["dependencies"] == ["pynq", "numpy"]
        assert toml["project"]["entry-points"]["pynq.notebooks"] == {name: f"{name}_overlay.notebooks"}
        desc = hm.description
        for fact in ("pynq-z2", desc["part"], "100.0 MHz", desc["interface"], desc["input_bus"]["type"],
                     desc["output_bus"]["type"], *[f"| 0x{r['offset']:02x} | {r['name']} |" for r in desc["registers"]]):
            assert fact in readme, fact


# ----------------------------------------------------------------------------- installed
@pytest.mark.parametrize("name", list(PROJECTS))
def test_installed_package_predicts_as_hm_predict(name, built, venv, X, report):
    py, root, note = venv
    report(note)
    hm, pkg, _ = built[name]
    has_bit = PROJECTS[name][2]
    np.save(root / f"{name}_x.npy", X)
    script = f"""
import importlib.metadata, numpy as np
from hlsgen.simulation import pynq_model
import pynq
assert pynq.HLSGEN_SIMULATED
import {name}_overlay as pkg
from {name}_overlay.software import SoftwareNetwork
assert "site-packages" in pkg.__file__ and {str(REPO)!r} not in pkg.__file__
pynq_model.attach({str(hm.output_dir)!r})
if {has_bit}:
    acc = pkg.{name.capitalize()}Accelerator(batch_size=16)     # no path: the package's own bitstream
    assert pynq.board.overlays[-1]["bitfile_name"] == str(pkg.package_file("{name}.bit"))
else:
    try:
        pkg.{name.capitalize()}Accelerator()
        raise SystemExit("no error without a bitstream")
    except FileNotFoundError as e:
        assert "allow_missing_bitstream" in str(e) and "bitfile=" in str(e), e
    acc = pkg.{name.capitalize()}Accelerator({str(hm.output_dir / (name + '.bit'))!r}, batch_size=16)
x = np.load("{name}_x.npy")
np.save("{name}_hw.npy", acc.predict(x))
assert acc.profile["runs"] == {-(-len(X) // 16)}
acc.close()
np.save("{name}_sw.npy", SoftwareNetwork().predict(x))
d = pkg.test_data()
np.savez("{name}_tb.npz", x=d["x"], y=d["y"], n=d["n"])
eps = [e for e in importlib.metadata.entry_points(group="pynq.notebooks") if e.name == "{name}"]
assert [e.value for e in eps] == ["{name}_overlay.notebooks"], eps
print("ok")
"""
    assert _run(py, root, script).strip().endswith("ok")
    y = hm.predict(X)
    assert np.array_equal(np.load(root / f"{name}_hw.npy"), y)
    assert np.array_equal(np.load(root / f"{name}_sw.npy"), y)
    with np.load(root / f"{name}_tb.npz") as tb:
        assert int(tb["n"]) == 40 and np.array_equal(tb["x"], X[:40]) and np.array_equal(tb["y"], hm.predict(X[:40]))


@pytest.mark.parametrize("name", list(PROJECTS))
def test_notebook_runs_end_to_end(name, built, venv, report):
    """The notebook, delivered as `pynq get-notebooks` does (the entry point's module folder,
    copied), executed by nbclient in the venv's kernel against the simulated pynq."""
    pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    py, root, _ = venv
    hm, _, _ = built[name]
    has_bit = PROJECTS[name][2]
    work = root / f"nb_{name}"
    bit = "None" if has_bit else repr(str(hm.output_dir / f"{name}.bit"))
    script = f"""
import importlib, importlib.metadata, shutil, time
from pathlib import Path
import nbformat
from nbclient import NotebookClient
ep = [e for e in importlib.metadata.entry_points(group="pynq.notebooks") if e.name == "{name}"][0]
src = Path(importlib.import_module(ep.value).__path__[0])
shutil.copytree(src / "{name}", {str(work)!r})
path = Path({str(work)!r}) / "{name}.ipynb"
nb = nbformat.read(path, as_version=4)
k = [i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", [])][0]
nb.cells.insert(k + 1, nbformat.v4.new_code_cell("bitfile = {bit}"))  # injected parameters (papermill's way)
t0 = time.perf_counter()
NotebookClient(nb, timeout=300, kernel_name="python3", resources={{"metadata": {{"path": {str(work)!r}}}}}).execute()
nbformat.write(nb, path)
print(f"executed in {{time.perf_counter() - t0:.1f}} s")
"""
    took = _run(py, root, script, project=hm.output_dir).strip()
    nb = json.loads((work / f"{name}.ipynb").read_text())
    text, images = [], 0
    for c in nb["cells"]:
        for o in c.get("outputs", []):
            assert o["output_type"] != "error", o
            if o["output_type"] == "stream":
                text.append(o["text"] if isinstance(o["text"], str) else "".join(o["text"]))
            images += "image/png" in o.get("data", {})
    text = "".join(text)
    assert "agreement hardware vs expected (bit-exact simulation): 40/40 samples identical, max |diff| 0" in text
    assert "agreement hardware vs software: 40/40 samples identical, max |diff| 0" in text
    assert "argmax agreement" in text and "timing hardware:" in text and "timing software:" in text
    assert "speed-up of the hardware over the software: x" in text
    assert "host simulation" in text
    assert images == 1  # hardware against software, plotted
    report(f"{name} notebook ({took}):\n" + text)


# ----------------------------------------------------------------------------- errors
def test_plain_driver_asks_for_the_bitstream(built):
    """The driver's default_bitfile hook: outside a package, no bitfile is a clear error."""
    import importlib.util

    from hlsgen.simulation import install_pynq

    install_pynq()
    hm = built["masternet"][0]
    spec = importlib.util.spec_from_file_location("masternet_driver_plain",
                                                  hm.output_dir / "drivers" / "python" / "masternet_driver.py")
    drv = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(drv)
    with pytest.raises(TypeError, match=r"MasternetAccelerator\(\) needs the bitstream: pass bitfile="):
        drv.MasternetAccelerator()


def test_refusals_name_the_culprit_and_write_nothing(tmp_path, built):
    hm, _, _ = built["masternet"]
    out = tmp_path / "dist"
    with pytest.raises(FileNotFoundError, match=r"masternet\.bit and masternet\.hwh.*build\(bitfile=True\)"):
        hm.package(out)
    (hm.output_dir / "masternet.bit").write_bytes(PLACEHOLDER_BIT)
    try:
        with pytest.raises(FileNotFoundError, match=r"masternet\.bit is there but not .*masternet\.hwh"):
            hm.package(out, allow_missing_bitstream=True)
    finally:
        (hm.output_dir / "masternet.bit").unlink()
    with pytest.raises(ValueError, match="version 'one' is not a PEP 440 version"):
        hm.package(out, allow_missing_bitstream=True, version="one")
    assert not out.exists()
    plain = hlsgen.convert_from_keras_model(_model(), output_dir=tmp_path / "plain", backend="Vivado")
    with pytest.raises(ValueError, match="VivadoAccelerator"):
        plain.package(out)
    from hlsgen.drivers.package import package

    with pytest.raises(FileNotFoundError, match="has no registers.json"):
        package(tmp_path, out)
    assert not out.exists()
    # a project from an hlsgen that counted packed words only: refused, not read with the wrong width
    old = tmp_path / "old"
    shutil.copytree(hm.output_dir, old)
    desc = json.loads((old / "registers.json").read_text())
    del desc["values_per_sample_in"]
    (old / "registers.json").write_text(json.dumps(desc))
    with pytest.raises(ValueError, match=r"registers\.json has no values_per_sample_in: .*write the project again"):
        package(old, out, allow_missing_bitstream=True)
    assert not out.exists()


def test_a_converted_again_model_packages_the_built_project_as_it_is(tmp_path, built, X):
    """package() never rewrites a project on disk (that would remove its bitstream): the same model
    converted again packages it; another model is refused, and the bitstream stays."""
    hm = built["streamnet"][0]
    again = _convert(_model(), "streamnet", hm.output_dir, X)
    r = again.package(tmp_path / "a")
    assert r.has_bitstream and (hm.output_dir / "streamnet.bit").read_bytes() == PLACEHOLDER_BIT
    other = _convert(_model(seed=4), "streamnet", hm.output_dir, X)
    with pytest.raises(ValueError, match=r"holds another version of this project \(firmware/weights/"):
        other.package(tmp_path / "b")
    assert (hm.output_dir / "streamnet.bit").read_bytes() == PLACEHOLDER_BIT and not (tmp_path / "b").exists()


def test_cli_package(tmp_path, built, capsys):
    hm, _, _ = built["streamnet"]
    assert main(["package", str(hm.output_dir), "-o", str(tmp_path / "o"), "--package-version", "2.1"]) == 0
    printed = capsys.readouterr().out
    assert (tmp_path / "o" / "streamnet_overlay-2.1-py3-none-any.whl").is_file() and "wheel:" in printed
    assert (tmp_path / "o" / "streamnet_overlay-2.1.tar.gz").is_file()
    assert main(["package", str(built["masternet"][0].output_dir), "-o", str(tmp_path / "m")]) == 2
    assert "allow_missing_bitstream" in capsys.readouterr().err and not (tmp_path / "m").exists()


HOSTILE = 'evil"\'\n]\n[tool.x]\n"""\\ `#` <b>&amp;</b> {{x}} \u2028 $(rm -rf) \ud800 \U0001F600'


def test_hostile_strings_from_registers_json_stay_data(tmp_path, built):
    """A registers.json whose board is hostile text: every generated file still parses, the TOML
    holds the text exactly, and no file gains a line (the text never leaves its string, comment,
    docstring or cell); a hostile project name is refused before anything is written."""
    hm, _, _ = built["masternet"]
    prj = tmp_path / "prj"
    shutil.copytree(hm.output_dir, prj, ignore=shutil.ignore_patterns("dist", "build"))
    from hlsgen.drivers.package import _inputs, _tree, package

    benign = _tree(_inputs(prj, True, "1.0.0"), "1.0.0")
    desc = json.loads((prj / "registers.json").read_text())
    desc["board"] = HOSTILE
    (prj / "registers.json").write_text(json.dumps(desc))
    files = _tree(_inputs(prj, True, "1.0.0"), "1.0.0")
    toml = tomllib.loads(files["pyproject.toml"])
    assert HOSTILE.replace("\ud800", "\ufffd") in toml["project"]["description"]
    assert set(toml) == {"build-system", "project", "tool"} and set(toml["tool"]) == {"setuptools"}
    assert files.keys() == benign.keys()
    for rel, text in files.items():
        if isinstance(text, bytes):
            assert text == benign[rel], rel  # copied firmware, data
            continue
        if rel.endswith(".py"):
            f = tmp_path / "py" / rel
            f.parent.mkdir(parents=True, exist_ok=True)
            f.write_text(text)
            py_compile.compile(str(f), doraise=True)
        if rel.endswith("_driver.py"):
            continue  # its DESCRIPTION is a repr() (pprint may wrap a long string on several lines)
        if rel.endswith(".ipynb"):
            nb, nb0 = json.loads(text), json.loads(benign[rel])
            assert [len(c["source"]) for c in nb["cells"]] == [len(c["source"]) for c in nb0["cells"]]
            assert "<b>" not in json.dumps(nb["cells"][0]["source"])  # markdown-escaped
        assert text.count("\n") == benign[rel].count("\n"), rel
        assert not any(ln.startswith("[tool.x]") for ln in text.splitlines()), rel
    assert "<b>" not in files["README.md"]
    assert package(prj, tmp_path / "d", allow_missing_bitstream=True).wheel.is_file()  # and it builds
    desc["project"] = 'x"; import os #'
    (prj / "registers.json").write_text(json.dumps(desc))
    with pytest.raises(ValueError, match="project .* is not a C identifier"):
        package(prj, tmp_path / "e", allow_missing_bitstream=True)
    assert not (tmp_path / "e").exists()
