"""A project folder hlsgen wrote, opened without the model it came from
(hls4ml's ``link_existing_project``): compile, predict, trace and build it as it is on disk.

Everything comes from the folder: ``hlsgen_meta.json`` says what the C simulation's inputs,
outputs and weights are, ``build_prj.tcl`` what the HLS tools run.  ``predict`` takes and gives
arrays in the project's own layout (what ``hlsgen predict <project> X.npy`` takes: for a
PyTorch model converted without ``channels_last_conversion``, the layout hlsgen computes in).
Nothing is rewritten: the folder's sources are compiled as they are, so link only projects
you trust, as with any C++ you compile.
"""
from __future__ import annotations

import json
from pathlib import Path

from .csim import Simulation


class LinkedProject:
    """An hlsgen project on disk: ``compile()``, ``predict(X)``, ``trace(X)``, ``build(...)``."""

    def __init__(self, project_dir):
        path = Path(project_dir).expanduser().resolve()
        meta_file = path / "hlsgen_meta.json"
        if not meta_file.is_file():
            raise ValueError(f"{str(path)!r} is not a project written by hlsgen (no hlsgen_meta.json): "
                             "write one with convert_from_*(..., output_dir=...).write()")
        try:
            self.meta = json.loads(meta_file.read_text())
        except ValueError as e:
            raise ValueError(f"{str(meta_file)!r} is not valid JSON ({e})") from None
        self.output_dir = path
        self.project_name = self.meta.get("project") or path.name
        self._sim = None

    def compile(self):
        """Compile the project's C simulation (cached on a hash of its sources)."""
        self._sim = Simulation(self.output_dir)
        return self._sim.lib_path

    def _simulation(self) -> Simulation:
        if self._sim is None:
            self.compile()
        return self._sim

    def predict(self, X, top: bool | None = None):
        """The project's outputs for X (float64, batch first), through the accelerator top when
        it has one (unless top=False); one sample without the batch axis gives its outputs without it."""
        shapes = [tuple(s["shape"]) for s in self.meta["inputs"]]
        xs = list(X) if isinstance(X, (list, tuple)) else [X]
        one = len(xs) == len(shapes) and all(getattr(x, "shape", None) == s for x, s in zip(xs, shapes))
        y = self._simulation().predict(X, top)
        if one:
            return [v[0] for v in y] if isinstance(y, list) else y[0]
        return y

    def trace(self, X):
        """(outputs, {layer name: its output}) from the project's trace points."""
        return self._simulation().trace(X)

    def build(self, csim=False, synth=True, cosim=False, export=True, bitfile=False, hls_tool=None, jobs=2):
        """Run the HLS tool (and vivado for a bitstream) on the folder as it is."""
        from .backends.vivado_accelerator.build import build

        return build(self.output_dir, csim=csim, synth=synth, cosim=cosim, export=export, bitfile=bitfile,
                     hls_tool=hls_tool, jobs=jobs)

    def __repr__(self):
        return f"LinkedProject({str(self.output_dir)!r})"


def link_existing_project(project_dir) -> LinkedProject:
    """Open a project folder hlsgen wrote earlier (hls4ml's ``link_existing_project``)."""
    return LinkedProject(project_dir)
