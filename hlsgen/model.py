"""HLSModel: a converted network, and what a user does with it (write, compile, predict)."""
from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from . import config as cfgmod
from .backends import get_backend, vivado
from .lowering import ProjectCode
from .csim import Simulation
from .ir.evaluate import outputs as golden_outputs
from .writer import check_writable, write_project

if TYPE_CHECKING:
    from .options import ProjectOptions

TB_RANDOM_SAMPLES = 16


class HLSModel:
    def __init__(self, graph, config: dict, options: "ProjectOptions"):
        from .model_config import ModelConfig

        self.graph = graph
        self.options = options  # hlsgen.options.ProjectOptions (frozen)
        # a dict, with hls4ml's read accessors (get_config_value, get_output_dir, pipeline_style)
        self.config = ModelConfig(config, options, lambda: "dataflow" if self.options.io_type == "io_stream"
                                  or self.dataflow else "pipeline", lambda d: self._move_to(d))
        # (callables, not bound methods: a deepcopy of the configuration must not copy the model)
        self.output_dir = Path(options.output_dir).expanduser().resolve()
        self.project_name = options.project_name
        self._sim = None
        self.source = None  # what the conversion started from (hlsgen.convert.build_model)
        self._written = False
        self._lowering = None
        # saturation accounting in predict (hlsgen.saturation); last_saturation: its last table;
        # counted: samples counted since the simulation was built (predict counts the first
        # saturation.PREDICT_SAMPLES of them)
        self.count_saturation = True
        self.last_saturation = None
        self._counted = 0

    def _move_to(self, output_dir) -> None:
        """The project's folder becomes ``output_dir`` (hls4ml's ``config.config['OutputDir'] = ...``):
        the next write, compile or build uses it."""
        self.options = self.options.replace(output_dir=str(output_dir))
        self.config.options = self.options
        self.output_dir = Path(self.options.output_dir).expanduser().resolve()
        self._sim, self._written = None, False

    def save(self, path):
        """The conversion (graph, configuration, options) in one file, which
        ``hlsgen.converters.load_saved_model(path)`` converts again (hls4ml's ``save``; see
        :mod:`hlsgen.saved_model`, which runs no code from the file when loading it)."""
        from .saved_model import save

        return save(self, path)

    # ------------------------------------------------------------------ info
    def __repr__(self):
        return f"<HLSModel {self.project_name!r} in {self.output_dir} ({len(self.graph.layers)} layers)>"

    def summary(self) -> str:
        """Per input and layer: kind, shape, the chosen types and, after a ``predict``, the
        fractions of values that overflowed (saturated or wrapped) and underflowed to zero."""
        from .saturation import summary

        return summary(self)

    @property
    def fused(self) -> dict:
        """Which model layers each IR layer absorbed (folded batch-norms, fused ReLUs):
        {name its output answers to in ``trace``: [model layers, in order]}."""
        from .saturation import output_name

        return {output_name(lay): [lay.source_name] + list(lay.aliases) for lay in self.graph.layers if lay.aliases}

    def saturation(self, X, top: bool | None = None):
        """Run ``X`` and return the saturation table (``hlsgen.saturation.SaturationTable``):
        per input and layer, the values that overflowed (saturated or wrapped) and those that
        underflowed to zero, with the largest overflowing magnitude.  Every count is exact: it
        runs a second build of the C simulation that checks every conversion (``predict``
        counts saturating types more cheaply, by the values at either end of their range)."""
        from .saturation import exact_simulation, run_counted

        _, table = run_counted(self, exact_simulation(self), X, top, exact=True)
        return table

    def plot_model(self, path, show_types: bool = True):
        """A picture of the IR graph (kind, shape and types of every layer) written to ``path``
        (.svg, .png, .pdf or .dot), through graphviz."""
        from .plot import plot_model

        return plot_model(self, path, show_types)

    def resolved_config(self) -> dict:
        """The configuration with every precision hlsgen chose written out explicitly
        (to pin the types, e.g. before loading other weights into a reprogrammable model)."""
        import copy

        cfg = copy.deepcopy(dict(self.config))  # a plain dict (yaml.safe_dump, json)
        names = cfg.setdefault("LayerName", {})
        for gi in self.graph.inputs:
            names.setdefault(gi.source_name, {})["Precision"] = {"result": str(self.graph.tensors[gi.tensor].type)}
        for lay in self.graph.layers:
            entry = names.setdefault(lay.source_name, {})
            prec = entry.get("Precision") if isinstance(entry.get("Precision"), dict) else {}
            prec.update({k: str(lay.types[k]) for k in lay.precision_keys if k in lay.types})
            entry["Precision"] = prec
            entry["ReuseFactor"] = int(lay.cfg.reuse_factor)
            if lay.plan(self.graph, self.options.io_type).style == "mac":
                entry["Strategy"] = lay.cfg.strategy  # as chosen ('auto' may switch to Resource)
        return cfg

    # ------------------------------------------------------------------ lowering and hardware
    @property
    def lowering(self) -> ProjectCode:
        """The C++ view of the graph (names, configs, calls), built once: the files, the
        estimate, the weight port and the drivers all read it."""
        if self._lowering is None:
            self._lowering = ProjectCode(self.graph, self.project_name, self.options.io_type,
                                         namespace=self.options.namespace, weights_txt=self.options.weights_txt,
                                         emulation_constants=self.options.emulation_constants)
        return self._lowering

    def relower(self) -> None:
        """Forget the lowering (after the graph's reuse factors changed)."""
        self._lowering = None

    @property
    def backend(self):
        """The backend object (``hlsgen.backends.registry``) the model was converted for."""
        return get_backend(self.options.backend)

    @property
    def part(self) -> str:
        """The Xilinx part the design targets (the board's, or the one given with ``part=``)."""
        return self.options.part

    @property
    def board(self):
        """The board (``hlsgen.boards.Board``), or None for a part without a board."""
        return self.options.board

    @property
    def clock_period(self) -> float:
        return float(self.options.clock_period)

    @property
    def description(self):
        """The accelerator's interface description (registers.json), or None."""
        return self.backend.description(self)

    @property
    def dataflow(self) -> bool:
        """The network function runs its layers as a DATAFLOW pipeline (io_parallel; io_stream
        always does): as ``Model.PipelineStyle`` says ('dataflow' where HLS allows it), or with
        'auto' when a Resource layer shares its multipliers, unless the strategy is hls4ml's
        ``resource_unrolled`` (the top is pipelined at II = the reuse factor, see ``pipeline_ii``)."""
        style = str((self.config.get("Model") or {}).get("PipelineStyle", "auto")).lower()
        if style == "pipeline" or not _dataflow_ok(self.graph):
            return False
        if style == "auto" and _resource_unrolled(self.config):
            return False
        return style == "dataflow" or any(
            lay.cfg.strategy == "Resource" and lay.cfg.reuse_factor > 1 for lay in self.graph.layers)

    @property
    def pipeline_ii(self) -> int | None:
        """``Model.PipelineInterval``: the II the pipelined top asks HLS for, or None (HLS's
        own: what the layers allow).  With hls4ml's ``resource_unrolled`` strategy and no
        interval given, an io_parallel top pipelined by 'auto' asks for the largest reuse factor."""
        ii = (self.config.get("Model") or {}).get("PipelineInterval")
        if ii is None and self.options.io_type == "io_parallel" and _resource_unrolled(self.config) \
                and str((self.config.get("Model") or {}).get("PipelineStyle", "auto")).lower() == "auto" \
                and not self.dataflow:
            rf = max((lay.cfg.reuse_factor for lay in self.graph.layers), default=1)
            ii = rf if rf > 1 else None
        return ii

    def estimate(self, share: float | None = None, tool: str = "vitis_hls"):
        """Resources, latency and interval before synthesis (``hlsgen.estimate.Estimate``):
        ``.total``, ``.layers``, ``.utilization``, ``.fits``; printing it gives a table.
        ``tool``: 'vitis_hls' (default) or 'vivado_hls', which binds more constant
        products to LUTs."""
        from .estimate import DEFAULT_SHARE, estimate_code

        share = share if share is not None else (self.options.fit_share or DEFAULT_SHARE)
        return estimate_code(self.lowering, self.part, self.clock_period, self.accelerator, share, tool=tool,
                             top_ii=self.pipeline_ii)

    def top_timing(self) -> dict | None:
        """The accelerator top's estimated ``ii`` and ``latency`` (cycles), or None without
        one: the model count that the C simulation reports in the ``cycles`` register."""
        if self.accelerator is None:
            return None
        if getattr(self, "_top_timing", None) is None:
            t = self.estimate().total
            self._top_timing = dict(ii=int(t["ii"]), latency=int(t["latency_max"]))
        return dict(self._top_timing)

    # ------------------------------------------------------------------ files
    def _tb_data(self):
        """Testbench inputs (given, or random ones on the input grid) and reference outputs."""
        opts = self.options
        x = opts.input_data_tb
        if x is None:
            rng = np.random.default_rng(0)
            xs = []
            for gi in self.graph.inputs:
                t = self.graph.tensors[gi.tensor]
                lo, hi = max(t.type.min_value, -4.0), min(t.type.max_value, 4.0)
                xs.append(t.type.quantize(rng.uniform(lo, hi, size=(TB_RANDOM_SAMPLES, *t.shape))))
        else:
            xs = [a[: opts.tb_samples] for a in x]  # checked at conversion
        ref = opts.output_data_tb
        if ref is not None:
            ref = [r[: xs[0].shape[0]] for r in ref]  # checked at conversion
        return xs, ref

    @property
    def accelerator(self):
        """The accelerator options (VivadoAccelerator backend), else None."""
        return self.options.accelerator

    def files(self) -> list:
        """Every file of the project: the backend's, the drivers, the estimate, config and README."""
        xs, ref = self._tb_data()
        tb = TestbenchData(self, xs, ref)
        files, desc = self.backend.files(self, tb)
        acc = self.accelerator
        if desc is not None and acc is not None:  # drivers (hlsgen.drivers); data.h from the testbench data
            from .drivers import driver_files, tb_header

            c = acc.driver in ("c", "both") and self.options.write_data_header
            files += driver_files(desc, self.project_name, acc.driver,
                                  tb_header(self, tb.inputs, tb.expected, ref) if c else None)
        est = self.estimate()
        files += [("estimate.json", est.to_json()), ("estimate.md", est.to_markdown())]
        files.append(("hlsgen_config.yml", cfgmod.to_yaml(self.config)))
        files.append(("README.md", vivado.project_readme(self.lowering, self.board.name if self.board else None,
                                                         self.part, desc, est)))
        return files

    def _bus_inputs(self, xs):
        acc = self.accelerator
        return [acc.input_type.quantize(x) for x in xs] if acc is not None else xs

    def _bus_outputs(self, ys):
        acc = self.accelerator
        return [acc.output_type.quantize(y) for y in ys] if acc is not None else ys

    def write(self):
        """Write the project into ``output_dir`` (atomically: all or nothing)."""
        check_writable(self.output_dir)
        files = self.files()
        write_project(files, self.output_dir)
        if self.options.write_tar:
            _write_tar(self.output_dir)
        self._written = True
        self._sim = None
        return self.output_dir

    # ------------------------------------------------------------------ simulation
    def compile(self, ap_types=None):
        """Write the project (if not yet written) and build its C simulation; ``ap_types``: other
        ap_types headers (e.g. Xilinx's) instead of the project's, a folder or a list of folders."""
        if not self._written:
            self.write()
        self._sim = Simulation(self.output_dir, ap_types)
        self._counted = 0  # a new simulation: predict counts its first samples again
        return self._sim.lib_path

    def _simulation(self) -> Simulation:
        if self._sim is None:
            self.compile()
        return self._sim

    def predict(self, X, top: bool | None = None):
        """Bit-accurate outputs (float64 arrays), batch first; one sample given without the
        batch axis (every input array of its sample shape) gives its outputs without it, as
        hls4ml's predict does. With the VivadoAccelerator backend the
        samples go through the accelerator top exactly as on the board (bus types, TLAST,
        batches); ``top=False`` runs the bare network instead.  With ``count_saturation``
        (the default) the values that saturate or wrap are counted (``last_saturation``) on the
        first ``saturation.PREDICT_SAMPLES`` samples the model simulates (later calls run at
        full speed), and a ``SaturationWarning`` names the layers where more than 0.1% of them
        do; ``saturation(X)`` counts every sample of X exactly."""
        if self._one_sample(X):  # one sample without the batch axis: its outputs without it (as hls4ml)
            return _first_sample(self.predict(_add_batch(X), top))
        sim = self._simulation()
        from .saturation import PREDICT_SAMPLES, counter, run_counted

        left = PREDICT_SAMPLES - self._counted
        if not self.count_saturation or left <= 0 or not counter(sim).available:
            return sim.predict(X, top)  # counters off (or other ap_types headers: nothing to count with)
        y, self.last_saturation = run_counted(self, sim, X, top, limit=left)
        self._counted += self.last_saturation.samples
        self.last_saturation.warn()
        return y

    def _sample_shapes(self) -> list:
        return [tuple(self.graph.tensors[gi.tensor].shape) for gi in self.graph.inputs]

    def _one_sample(self, X) -> bool:
        """Every input array is one sample of its input's shape, without a batch axis."""
        xs = list(X) if isinstance(X, (list, tuple)) else [X]
        shapes = self._sample_shapes()
        return len(xs) == len(shapes) and all(np.shape(x) == s for x, s in zip(xs, shapes))

    def load_weights(self, source):
        """Reprogrammable weights: send new weights through the accelerator's weight port
        (C simulation). ``source``: a Keras model of the same architecture, or a list of
        arrays in the order of registers.json."""
        from .weights import weight_words

        self._simulation().load_weights(weight_words(self, source))

    def build(self, csim=False, synth=True, cosim=False, export=True, bitfile=False, hls_tool=None, jobs=2,
              force=False):
        """Run vitis_hls/vivado_hls (and vivado for the bitstream) on the written project.
        A design whose estimate exceeds the part is refused unless ``force=True``."""
        from .backends.vivado_accelerator.build import BuildError, build

        est = self.estimate(share=1.0)
        if est.fits is False and not force:
            from .estimate.fit import advice

            raise BuildError(f"the estimate exceeds {est.part.name}: {advice(est)}. "
                             "Raise ReuseFactor (or set it to 'auto'), use Strategy Resource, or pass force=True "
                             "to synthesize anyway")
        if not self._written:
            self.write()
        if hls_tool is None and self.options.hls_tool != "auto":
            hls_tool = self.options.hls_tool  # backend 'Vitis': vitis_hls
        return build(self.output_dir, csim=csim, synth=synth, cosim=cosim, export=export, bitfile=bitfile,
                     hls_tool=hls_tool, jobs=jobs)

    def package(self, path=None, allow_missing_bitstream: bool = False, version: str = "1.0.0"):
        """A pip-installable PYNQ overlay package (sdist and wheel of ``<project>_overlay``) of the
        project and its bitstream, into ``path`` (default ``<output_dir>/dist``): the driver, the
        ``.bit``/``.hwh`` from ``build(bitfile=True)`` (required unless ``allow_missing_bitstream``),
        the test data, a notebook for ``pynq get-notebooks`` and a README. See
        ``hlsgen.drivers.package``; returns its ``OverlayPackage`` (``.wheel``, ``.sdist``)."""
        from .drivers.package import package

        if self.accelerator is None:
            raise ValueError("package() needs a VivadoAccelerator model (backend='VivadoAccelerator')")
        if not self._written and (self.output_dir / "registers.json").is_file():
            # a project on disk, perhaps with the bitstream of hours of Vivado: never rewrite it (that
            # would remove the bitstream); package it if it is exactly what this model writes
            differ = self._differing_files()
            if differ:
                raise ValueError(f"{self.output_dir} holds another version of this project ({', '.join(differ[:3])} "
                                 "differ): write() and build(bitfile=True) it again, or package the folder as it "
                                 f"is with `hlsgen package {self.output_dir}`")
        elif not self._written:
            self.write()
        return package(self.output_dir, path, allow_missing_bitstream=allow_missing_bitstream, version=version)

    def _differing_files(self) -> list:
        """The files of the project on disk that differ from what write() would write now."""
        from .writer import CopyFrom

        differ = []
        for rel, content in self.files():
            f = self.output_dir / rel
            if isinstance(content, CopyFrom):
                content = content.path.read_bytes()
            try:
                same = f.read_bytes() == (content if isinstance(content, bytes) else content.encode())
            except OSError:
                same = False
            if not same:
                differ.append(str(rel))
        return differ

    def trace(self, X):
        """(outputs, {layer name: its output}) for every layer of the converted network."""
        return self._simulation().trace(X)

    def predict_golden(self, X, top: bool | None = None):
        """What ``predict`` returns, from the numpy layer models (slow; for checking): with an
        accelerator top, inputs and outputs pass through its bus types."""
        if self._one_sample(X):
            return _first_sample(self.predict_golden(_add_batch(X), top))
        through_top = self.accelerator is not None if top is None else top
        xs = list(X) if isinstance(X, (list, tuple)) else [X]
        if through_top:
            xs = self._bus_inputs(xs)
        ys = golden_outputs(self.graph, xs)
        if through_top:
            ys = self._bus_outputs(ys)
        return ys[0] if len(ys) == 1 else ys


class TestbenchData:
    """The testbench's samples as the top sees them, computed when a backend first asks
    (after its checks: a design it refuses never pays for the golden model)."""

    def __init__(self, hm: HLSModel, xs: list, reference):
        self._hm, self._xs = hm, xs
        self.reference = reference  # the user's reference outputs, or None
        self.n_samples = int(xs[0].shape[0])

    @functools.cached_property
    def inputs(self) -> list:
        """Inputs through the input bus type (the accelerator's), as the top reads them."""
        return self._hm._bus_inputs(self._xs)

    @functools.cached_property
    def expected(self) -> list:
        """The golden model's outputs for them, through the output bus type."""
        return self._hm._bus_outputs(golden_outputs(self._hm.graph, self.inputs))


def _add_batch(X):
    return [np.asarray(x)[None] for x in X] if isinstance(X, (list, tuple)) else np.asarray(X)[None]


def _first_sample(ys):
    return [y[0] for y in ys] if isinstance(ys, list) else ys[0]


def check_pipeline_style(hm) -> None:
    """``Model.PipelineStyle`` against the io type and the graph (before anything is written)."""
    from .config import ConfigError

    style = str((hm.config.get("Model") or {}).get("PipelineStyle", "auto")).lower()
    if style == "pipeline" and hm.options.io_type == "io_stream":
        raise ConfigError("Model.PipelineStyle 'pipeline' with io_stream: an io_stream network is a DATAFLOW of "
                          "stream processes; use 'auto' or 'dataflow', or io_type='io_parallel'")
    if style == "dataflow" and hm.options.io_type == "io_parallel" and not _dataflow_ok(hm.graph):
        raise ConfigError("Model.PipelineStyle 'dataflow': an array of this network has several readers, which "
                          "HLS DATAFLOW forbids (one producer, one consumer); use 'auto' or 'pipeline'")
    if hm.pipeline_ii is not None and (hm.options.io_type == "io_stream" or hm.dataflow):
        why = "io_stream" if hm.options.io_type == "io_stream" else \
            f"PipelineStyle {style!r} makes this top a DATAFLOW region"
        raise ConfigError(f"Model.PipelineInterval={hm.pipeline_ii} sets the II of a pipelined top, but {why}; "
                          "set Model.PipelineStyle 'pipeline' with io_type='io_parallel', or remove the key")


def _resource_unrolled(config) -> bool:
    """Whether the configuration asks for hls4ml's ``resource_unrolled`` strategy (any
    spelling; hlsgen runs it as Resource) at the model level or for any layer."""
    def unrolled(d):
        v = d.get("Strategy") if isinstance(d, dict) else None
        return isinstance(v, str) and v.replace("_", "").lower() == "resourceunrolled"

    sections = [config.get("Model") or {}]
    for key in ("LayerType", "LayerName"):
        sections += list((config.get(key) or {}).values())
    return any(unrolled(d) for d in sections)


def _dataflow_ok(graph) -> bool:
    """io_parallel may run its layers as a DATAFLOW pipeline only if every array has one
    reader (HLS's single-producer, single-consumer rule); otherwise the top is pipelined."""
    readers = {}
    for lay in graph.layers:
        for t in lay.inputs:
            readers[t] = readers.get(t, 0) + 1
    for t in graph.outputs:
        readers[t] = readers.get(t, 0) + 1
    return all(n <= 1 for n in readers.values())


def load_array(a, what: str = "array"):
    """An array, or a .npy / text file of one (``what`` names the argument in errors)."""
    if isinstance(a, (str, Path)):
        p = Path(a)
        if not p.is_file():
            raise FileNotFoundError(f"{what}: file {str(p)!r} does not exist")
        try:
            return np.load(p) if p.suffix == ".npy" else np.loadtxt(p, ndmin=2)
        except ValueError as e:
            raise ValueError(f"{what}: cannot read {str(p)!r}: {e}") from None
    return a


def _write_tar(output_dir):
    """``<output_dir>.tar.gz`` of the written project (hls4ml's ``write_tar``)."""
    import tarfile
    from pathlib import Path

    out = Path(output_dir)
    tmp = out.with_name(out.name + ".tar.gz.tmp")
    with tarfile.open(tmp, "w:gz") as tf:
        tf.add(out, arcname=out.name)
    tmp.replace(out.with_name(out.name + ".tar.gz"))
