"""A converted model saved to one file and converted again from it (hls4ml's
``hls_model.save(path)`` and ``hlsgen.converters.load_saved_model(path)``).

``save`` and ``read`` are here; ``hlsgen.convert.load_saved_model`` converts what ``read``
returns.  The file is a zip of ``model.json`` (the graph the frontend parsed, the configuration and
the conversion options, as ``HLSModel.source`` keeps them) and ``arrays.npz`` (weights and
sample arrays).  Loading it runs no code from the file: the JSON is decoded into a fixed set
of hlsgen's own classes (the IR graph, its tensors and inputs, the layer kinds of
``hlsgen.layers``, fixed-point types, the bundled boards by name) and the arrays are read
with ``allow_pickle=False``; anything else in the file is an error naming it.  The loaded
model is converted again with the same configuration and options, so it writes, compiles and
predicts as the saved one did (its ``config.config['OutputDir']`` may be changed before).
A model converted with ``calibration_data`` is refused (the data are not kept); so are models
of a board file outside hlsgen's own boards.
"""
from __future__ import annotations

import dataclasses
import io
import json
import zipfile
from pathlib import Path

import numpy as np

FORMAT = "hlsgen-saved-model"
VERSION = 1


def _classes() -> dict:
    from .ir.graph import Graph, GraphInput, LayerConfig, Tensor
    from .layers import LAYER_KINDS

    out = {c.__name__: c for c in (Graph, GraphInput, LayerConfig, Tensor)}
    for cls in LAYER_KINDS.values():
        out[f"layer:{cls.__module__}.{cls.__qualname__}"] = cls
    return out


class _Encoder:
    def __init__(self):
        from .boards import Board
        from .fixed import FixedType

        self.arrays: dict = {}
        self.fixed, self.board = FixedType, Board
        self.names = {cls: name for name, cls in _classes().items()}

    def __call__(self, v, where: str):
        if v is None or isinstance(v, (bool, int, float, str)):
            return v
        if isinstance(v, np.generic):
            return v.item()
        if isinstance(v, np.ndarray):
            key = f"a{len(self.arrays)}"
            self.arrays[key] = v
            return {"__t": "array", "k": key}
        if isinstance(v, self.fixed):
            return {"__t": "fixed", "v": str(v)}
        if isinstance(v, self.board):
            from .boards import BOARDS_DIR

            if Path(v.path).resolve().parent != Path(BOARDS_DIR).resolve():
                raise ValueError(f"cannot save {where}: board {v.name!r} comes from {v.path}, not one of hlsgen's "
                                 "boards")
            return {"__t": "board", "v": v.name}
        if isinstance(v, tuple):
            return {"__t": "tuple", "v": [self(x, where) for x in v]}
        if isinstance(v, list):
            return [self(x, where) for x in v]
        if isinstance(v, dict):
            return {"__t": "dict", "v": [[self(k, where), self(x, f"{where}.{k}")] for k, x in v.items()]}
        name = self.names.get(type(v))
        if name is None:
            raise ValueError(f"cannot save {where}: a {type(v).__module__}.{type(v).__qualname__} value")
        return {"__t": "obj", "cls": name, "v": self(dict(vars(v)), f"{where}<{type(v).__name__}>")}


class _Decoder:
    def __init__(self, arrays):
        from .boards import load_board
        from .fixed import parse_type

        self.arrays, self.classes = arrays, _classes()
        self.parse_type, self.load_board = parse_type, load_board

    def __call__(self, v):
        if v is None or isinstance(v, (bool, int, float, str)):
            return v
        if isinstance(v, list):
            return [self(x) for x in v]
        if not isinstance(v, dict) or "__t" not in v:
            raise ValueError(f"saved model: unexpected value {str(v)[:80]!r}")
        t = v["__t"]
        if t == "array":
            if v.get("k") not in self.arrays:
                raise ValueError(f"saved model: array {v.get('k')!r} is missing from arrays.npz")
            return self.arrays[v["k"]]
        if t == "fixed":
            return self.parse_type(v["v"])
        if t == "board":
            return self.load_board(str(v["v"]))
        if t == "tuple":
            return tuple(self(x) for x in v["v"])
        if t == "dict":
            return {self(k): self(x) for k, x in v["v"]}
        if t == "obj":
            cls = self.classes.get(v.get("cls"))
            if cls is None:
                raise ValueError(f"saved model: {v.get('cls')!r} is not one of hlsgen's classes")
            state = self(v["v"])
            if not isinstance(state, dict) or not all(isinstance(k, str) for k in state):
                raise ValueError(f"saved model: the state of a {v['cls']} is not a mapping of names")
            # only instance data: a name the class defines (a method, a C++ template) is refused,
            # a dataclass takes its fields
            allowed = ({f.name for f in dataclasses.fields(cls)} if dataclasses.is_dataclass(cls)
                       else {k for k in state if not hasattr(cls, k)})
            bad = sorted(set(state) - allowed)
            if bad:
                raise ValueError(f"saved model: a {v['cls']} cannot set {', '.join(bad)}")
            obj = cls.__new__(cls)
            obj.__dict__.update(state)
            return obj
        raise ValueError(f"saved model: unknown value tag {t!r}")


def save(hm, path) -> Path:
    """Write ``hm``'s conversion (graph, configuration, options) to ``path``."""
    src = getattr(hm, "source", None)
    if src is None:
        raise ValueError("save: this model was not converted by hlsgen's frontends (a linked project or a model "
                         "part); save the model it came from")
    if src.get("calibration_data"):
        raise ValueError("save: the model was converted with calibration_data, which are not kept; convert it with "
                         "hm.resolved_config() as hls_config (the fitted types written out) and save that one")
    enc = _Encoder()
    doc = {"format": FORMAT, "version": VERSION,
           "graph": enc(src["graph"], "graph"), "config": enc(src["config"], "config"),
           "options": enc(src["options"], "options"), "accel_kwargs": enc(src["accel_kwargs"], "accel_kwargs")}
    buf = io.BytesIO()
    np.savez(buf, **enc.arrays)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("model.json", json.dumps(doc))
        z.writestr("arrays.npz", buf.getvalue())
    tmp.replace(path)
    return path


def read(path) -> tuple:
    """(graph, configuration, options, accelerator options) from a file written by ``save``
    (``hlsgen.convert.load_saved_model`` converts them again)."""
    path = Path(path)
    try:
        with zipfile.ZipFile(path) as z:
            doc = json.loads(z.read("model.json"))
            npz = np.load(io.BytesIO(z.read("arrays.npz")), allow_pickle=False)
            arrays = {k: npz[k] for k in npz.files}
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as e:
        raise ValueError(f"{path}: not a model saved by hlsgen ({e})") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ValueError(f"{path}: not a model saved by hlsgen (no {FORMAT!r} header)")
    if doc.get("version") != VERSION:
        raise ValueError(f"{path}: saved-model version {doc.get('version')!r}; this hlsgen reads version {VERSION}")
    dec = _Decoder(arrays)
    graph, config, options, accel = dec(doc["graph"]), dec(doc["config"]), dec(doc["options"]), dec(doc["accel_kwargs"])
    from .ir.graph import Graph

    if not isinstance(graph, Graph) or not isinstance(options, dict) or not isinstance(accel, dict):
        raise ValueError(f"{path}: the saved graph or options are malformed")
    return graph, config, options, accel
