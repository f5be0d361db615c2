"""Bus interfaces are objects (backends/vivado_accelerator/interfaces/): the rest of hlsgen asks
them instead of testing their names, and a new interface is a module (and its fragments)."""
import re

import numpy as np
import pytest

import hlsgen
from hlsgen.backends.templating import TEMPLATES
from hlsgen.backends.vivado_accelerator.interfaces import base, interface_for, interface_names
from hlsgen.backends.vivado_accelerator.interfaces.axi_master import AxiMaster

from conftest import REPO, grid, needs_gxx

keras = pytest.importorskip("keras")

FRAGMENTS = ("top_comment.cpp.j2", "sample_loop.cpp.j2", "read_beat.cpp.j2", "write_beat.cpp.j2", "beats.h.j2",
             "host_run.h.j2", "host_load_weights.h.j2", "device_samples.cpp.j2", "device_run.cpp.j2")
BRANCH = re.compile(r"""(==|!=) *['"]axi_(stream|master|lite)|['"]axi_(stream|master|lite)['"] *(==|!=)""")
# still testing names: the generated PYNQ driver's run-time code, which reads the name from its
# DESCRIPTION (the generated text is unchanged)
KNOWN = {"hlsgen/templates/drivers/python/driver.py.j2"}


def test_the_interfaces_and_their_order():
    assert interface_names() == ("axi_stream", "axi_master", "axi_lite")
    assert interface_for(" AXI_Master ").name == "axi_master"
    with pytest.raises(ValueError, match=r"unknown interface 'axi_full'; valid: axi_stream, axi_master, axi_lite"):
        interface_for("axi_full")


@pytest.mark.parametrize("name", interface_names())
def test_every_interface_has_every_fragment(name):
    itf = interface_for(name)
    for part in FRAGMENTS:
        assert (TEMPLATES / itf.fragment(part)).is_file(), (name, part)


def test_only_the_interfaces_branch_on_their_names():
    offenders = []
    for f in sorted((REPO / "hlsgen").rglob("*")):
        rel = f.relative_to(REPO).as_posix()
        if not f.is_file() or f.suffix not in (".py", ".j2", ".c", ".h") or "/interfaces/" in rel or rel in KNOWN:
            continue
        if BRANCH.search(f.read_text(errors="replace")):
            offenders.append(rel)
    assert offenders == [], offenders


class AxiMasterOne(AxiMaster):
    """A new interface for the test: axi_master through one AXI4 master (bundle gmem)."""

    name = "axi_master_one"

    def data_args(self, n_in, n_out, tb_samples):
        args, pragmas = super().data_args(n_in, n_out, tb_samples)
        return args, [p.replace("bundle=gmem_in", "bundle=gmem").replace("bundle=gmem_out", "bundle=gmem")
                      for p in pragmas]

    def io_registers(self, add, opts, n_in, n_out):
        buffers, dma = super().io_registers(add, opts, n_in, n_out)
        return [dict(b, port="m_axi_gmem") for b in buffers], dma

    def ip_ports(self):
        return {"m_axi_gmem": ("aximm", "master")}

    def block_design(self, spec, hls):
        return base.BlockDesignParts(memory_masters=[(f"{hls}/m_axi_gmem", None)])


@pytest.fixture
def one_master():
    base.register_interface(AxiMasterOne)
    yield interface_for("axi_master_one")
    base._INTERFACES.pop("axi_master_one")


@needs_gxx
def test_a_new_interface_is_one_class(one_master, tmp_path):
    """Registered, it converts, writes a top, registers and a block design of its own, and the top
    computes what the network does; its fragments are its base interface's."""
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((16,), name="x"), keras.layers.Dense(8, activation="relu", name="d1"),
                              keras.layers.Dense(3, name="d2")])
    assert one_master.fragment("read_beat.cpp.j2") == "vivado_accelerator/interfaces/axi_master/read_beat.cpp.j2"
    hm = hlsgen.convert_from_keras_model(model, output_dir=tmp_path / "prj", backend="VivadoAccelerator",
                                         board="pynq-z2", interface="axi_master_one", weights="reprogrammable")
    hm.write()
    out = hm.output_dir
    top = (out / "firmware" / "myproject_axi.cpp").read_text()
    assert "bundle=gmem depth=" in top and "gmem_in" not in top
    design = (out / "design.tcl").read_text()
    assert "myproject_axi_0/m_axi_gmem]" in design and "m_axi_gmem_in" not in design
    import json

    desc = json.loads((out / "registers.json").read_text())
    assert desc["interface"] == "axi_master_one"
    assert [r["name"] for r in desc["registers"]] == ["in_r", "out_r", "n_samples", "weights", "load_weights", "cycles"]
    X = grid(np.random.default_rng(2), (30, 16), -2, 2)
    np.testing.assert_array_equal(hm.predict(X), hm.predict_golden(X))
