"""The project-independent kernels object of the C simulation (hlsgen.csim, nnet_batch16.h):
compiled once per compiler, flags and library sources, linked by every project; a changed
source compiles a new one; a failed or interrupted compile leaves nothing in the cache."""
import numpy as np
import pytest

import hlsgen
from hlsgen import csim

from conftest import needs_gxx

keras = pytest.importorskip("keras")


def _project(path, n_in, n_out, seed):
    """A Dense network on 16-bit data and weights: its batched network takes the 16-bit kernel."""
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((n_in,), name="x"), keras.layers.Dense(n_out, name="d", activation="relu"),
                              keras.layers.Dense(5, name="o")])
    hm = hlsgen.convert_from_keras_model(model, output_dir=path)
    hm.write()
    return hm


def _X(n_in, seed):
    rng = np.random.default_rng(seed)
    return np.round(rng.normal(0, 2, (300, n_in)) * 2**10) / 2**10


def _kernels(cache):
    return sorted(cache.glob("hlsgen_kernels_*.o"))


@needs_gxx
def test_the_kernels_object_is_compiled_once_and_linked_by_every_project(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    monkeypatch.setenv("HLSGEN_CACHE_DIR", str(cache))
    a = _project(tmp_path / "a", 37, 64, 1)
    b = _project(tmp_path / "b", 20, 48, 2)
    sim_a = csim.Simulation(a.output_dir, verbose=False)
    (obj,) = _kernels(cache)
    stamp = obj.stat().st_mtime_ns
    sim_b = csim.Simulation(b.output_dir, verbose=False)
    assert _kernels(cache) == [obj] and obj.stat().st_mtime_ns == stamp  # reused, not rebuilt
    for hm, sim, n_in in ((a, sim_a, 37), (b, sim_b, 20)):
        log = (hm.output_dir / "build" / "csim_compile.log").read_text().split()
        assert csim.KERNELS_OBJECT in log and str(obj) in log  # declarations only, the object linked
        X = _X(n_in, n_in)
        y = sim.predict(X)
        np.testing.assert_array_equal(y, hm.predict_golden(X))
        assert np.unique(y).size > 50
    assert not (b.output_dir / "build" / "csim_kernels_compile.log").exists()  # b compiled no kernels
    assert not list(cache.glob("*.tmp"))


@needs_gxx
def test_a_changed_kernels_source_or_flag_compiles_another_object(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    monkeypatch.setenv("HLSGEN_CACHE_DIR", str(cache))
    hm = _project(tmp_path / "p", 30, 40, 3)
    lib = csim.build(hm.output_dir, verbose=False)
    (first,) = _kernels(cache)
    src = hm.output_dir / csim.KERNELS_SOURCE
    src.write_text(src.read_text() + "\n// changed\n")
    lib2 = csim.build(hm.output_dir, verbose=False)
    assert lib2 != lib and len(_kernels(cache)) == 2 and first in _kernels(cache)
    # a header the kernels source does not include today still changes the key
    other = hm.output_dir / "firmware" / "nnet_utils" / "nnet_common.h"
    other.write_text(other.read_text() + "\n// changed\n")
    csim.build(hm.output_dir, verbose=False)
    assert len(_kernels(cache)) == 3
    # other flags: another object (e.g. another vector unit)
    csim.build(hm.output_dir, verbose=False, extra_flags=["-DHLSGEN_SOMETHING_ELSE"])
    assert len(_kernels(cache)) == 4
    X = _X(30, 4)
    np.testing.assert_array_equal(csim.Simulation(hm.output_dir, verbose=False).predict(X), hm.predict_golden(X))


@needs_gxx
def test_a_failed_kernels_compile_is_reported_with_its_log_and_leaves_nothing(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    monkeypatch.setenv("HLSGEN_CACHE_DIR", str(cache))
    hm = _project(tmp_path / "p", 12, 33, 5)
    src = hm.output_dir / csim.KERNELS_SOURCE
    src.write_text("#ifdef HLSGEN_BATCH16_INSTANTIATE\n#error kernels broken on purpose\n#endif\n" + src.read_text())
    with pytest.raises(csim.CompileError, match=r"(?s)g\+\+ failed.*csim_kernels_compile.log.*kernels broken on purpose"):
        csim.build(hm.output_dir, verbose=False)
    assert not list(cache.glob("*.tmp")) and not _kernels(cache) and not list(cache.glob("*.so"))
    assert "kernels broken on purpose" in (hm.output_dir / "build" / "csim_kernels_compile.log").read_text()


@needs_gxx
def test_an_interrupted_compile_leaves_no_partial_object(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    monkeypatch.setenv("HLSGEN_CACHE_DIR", str(cache))
    hm = _project(tmp_path / "p", 12, 33, 6)
    real = csim.subprocess.Popen

    class Interrupted(real):  # Ctrl-C while the compilers run (kernels and project at once)
        def communicate(self, *a, **k):
            if "-o" in self.args:
                raise KeyboardInterrupt
            return super().communicate(*a, **k)

    monkeypatch.setattr(csim.subprocess, "Popen", Interrupted)
    with pytest.raises(KeyboardInterrupt):
        csim.build(hm.output_dir, verbose=False)
    monkeypatch.setattr(csim.subprocess, "Popen", real)
    assert sorted(p.name for p in cache.iterdir()) == []  # no partial object, library or temporary
    X = _X(12, 7)
    np.testing.assert_array_equal(csim.Simulation(hm.output_dir, verbose=False).predict(X), hm.predict_golden(X))
