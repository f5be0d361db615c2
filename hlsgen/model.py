"""HLSModel: a converted network, and what a user does with it (write, compile, predict)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from . import config as cfgmod
from .backends import vivado
from .csim import Simulation
from .ir.evaluate import outputs as golden_outputs
from .writer import check_writable, write_project

TB_RANDOM_SAMPLES = 16


class HLSModel:
    def __init__(self, graph, config: dict, options: dict):
        self.graph = graph
        self.config = config
        self.options = options
        self.output_dir = Path(options["output_dir"]).expanduser().resolve()
        self.project_name = options["project_name"]
        self._sim = None
        self._written = False

    # ------------------------------------------------------------------ info
    def __repr__(self):
        return f"<HLSModel {self.project_name!r} in {self.output_dir} ({len(self.graph.layers)} layers)>"

    def summary(self) -> str:
        return self.graph.summary()

    # ------------------------------------------------------------------ files
    def _tb_data(self):
        opts = self.options
        x = opts.get("input_data_tb")
        if x is None:
            rng = np.random.default_rng(0)
            xs = []
            for gi in self.graph.inputs:
                t = self.graph.tensors[gi.tensor]
                lo, hi = max(t.type.min_value, -4.0), min(t.type.max_value, 4.0)
                xs.append(t.type.quantize(rng.uniform(lo, hi, size=(TB_RANDOM_SAMPLES, *t.shape))))
        else:
            xs = [_load(a) for a in (x if isinstance(x, (list, tuple)) else [x])]
            xs = [a[: opts.get("tb_samples", 1000)] for a in xs]
        ref = opts.get("output_data_tb")
        if ref is not None:
            ref = [np.asarray(_load(ref), dtype=np.float64)[: xs[0].shape[0]]]
        expected = golden_outputs(self.graph, xs)
        return xs, expected, ref

    def files(self) -> list:
        code = vivado.ProjectCode(self.graph, self.project_name)
        dataflow = any(lay.cfg.strategy == "Resource" and lay.cfg.reuse_factor > 1 for lay in self.graph.layers)
        xs, expected, ref = self._tb_data()
        files = vivado.firmware_files(code, dataflow)
        files += vivado.csim_files(code, xs, expected, ref)
        files.append(("hlsgen_config.yml", cfgmod.to_yaml(self.config)))
        return files

    def write(self):
        """Write the project into ``output_dir`` (atomically: all or nothing)."""
        check_writable(self.output_dir)
        files = self.files()
        write_project(files, self.output_dir)
        self._written = True
        self._sim = None
        return self.output_dir

    # ------------------------------------------------------------------ simulation
    def compile(self, ap_types: str | None = None):
        """Write the project (if not yet written) and build its C simulation."""
        if not self._written:
            self.write()
        self._sim = Simulation(self.output_dir, ap_types)
        return self._sim.lib_path

    def _simulation(self) -> Simulation:
        if self._sim is None:
            self.compile()
        return self._sim

    def predict(self, X):
        """Bit-accurate outputs of the fixed-point network (float64 arrays)."""
        return self._simulation().predict(X)

    def trace(self, X):
        """(outputs, {layer name: its output}) for every layer of the converted network."""
        return self._simulation().trace(X)

    def predict_golden(self, X):
        """The same outputs from the numpy layer models (slow; for checking)."""
        ys = golden_outputs(self.graph, X)
        return ys[0] if len(ys) == 1 else ys


def _load(a):
    if isinstance(a, (str, Path)):
        p = Path(a)
        if p.suffix == ".npy":
            return np.load(p)
        return np.loadtxt(p, ndmin=2)
    return np.asarray(a, dtype=np.float64)
