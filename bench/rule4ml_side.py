"""rule4ml (the public neural estimator for hls4ml, on PyPI) on the same validation
designs as hlsgen's estimator, for bench/bench_estimate.py.

rule4ml takes a Keras model of Dense layers and activations (io_parallel), one of its
boards (pynq-z2, zcu102, alveo-u200, alveo-u250), a model-level strategy, precision
and reuse factor, and a tool version; it ignores the clock and the weights.  A design
is given to it when it is such a model; its part picks the board of the same family
(Zynq-7000 -> pynq-z2, Zynq UltraScale+ -> zcu102, other UltraScale+ -> alveo-u250), its
tool version the nearest one rule4ml knows, and the prediction is the mean over the
hls4ml versions rule4ml was trained on.

rule4ml pulls in torch-geometric, optuna and keras-tuner, so it lives in an environment
of its own; this file is also the script run there::

    python -m venv --system-site-packages /tmp/r4 && /tmp/r4/bin/pip install rule4ml
    python bench/bench_estimate.py --rule4ml-python /tmp/r4/bin/python

(as a script it reads design ids on stdin and prints one JSON line of predictions).
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys

MLP_LAYERS = {"Dense", "Activation", "Softmax", "Dropout"}
METRIC = {"dsp": "DSP", "lut": "LUT", "ff": "FF", "bram_18k": "BRAM", "latency": "CYCLES", "ii": "INTERVAL"}


def board(part: str) -> str | None:
    p = part.lower()
    if p.startswith("xc7z"):
        return "pynq-z2"
    if p.startswith(("xczu", "xck26")):
        return "zcu102"
    if p.startswith(("xcu2", "xcu5")) or re.match(r"xcvu\d+p", p):
        return "alveo-u250"
    return None


def takes(entry) -> bool:
    """Whether rule4ml can take this design (an io_parallel MLP on a part it has a board for)."""
    return (entry["io_type"] == "io_parallel" and all(lay["type"] in MLP_LAYERS for lay in entry["layers"])
            and board(entry["part"]) is not None)


def _tool_version(entry) -> str:
    v = str(entry.get("tool", "")).split()[-1]
    year, _, minor = v.partition(".")
    return f"{min(max(int(year), 2019), 2024)}.{1 if minor.startswith('1') else 2}"


def predict(ids: list) -> dict:
    """{design id: {metric: value}}, run in an environment that has rule4ml."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import csynth_designs as cd
    from rule4ml.models.wrappers import MultiModelWrapper

    est = MultiModelWrapper()
    est.load_default_models()
    out = {}
    for e in cd.load():
        if e["id"] not in ids:
            continue
        import keras

        functional, _ = cd.keras_model(e)  # rule4ml reads a built Sequential model
        model = keras.Sequential([type(lay).from_config(lay.get_config()) for lay in functional.layers[1:]])
        model.build((None,) + tuple(functional.input_shape[1:]))
        cfg = {"board": board(e["part"]), "model": {"strategy": e.get("strategy") or "Latency",
                                                     "precision": e.get("precision") or "ap_fixed<16,6>",
                                                     "reuse_factor": int(e.get("reuse_factor") or 1)}}
        try:
            df = est.predict(model, hls_configs=[cfg], vivado_versions=[_tool_version(e)])
        except Exception as ex:  # rule4ml's parser cannot take this model: not compared
            print(f"rule4ml cannot take {e['id']}: {type(ex).__name__}: {ex}", file=sys.stderr)
            continue
        out[e["id"]] = {m: float(df[col].mean()) for m, col in METRIC.items() if col in df}
    return out


def run(python: str, ids: list) -> dict:
    """Predictions from ``python`` (an interpreter with rule4ml) for the design ``ids``."""
    r = subprocess.run([python, os.path.abspath(__file__)], input="\n".join(ids), capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"rule4ml run failed ({python}):\n{r.stderr[-3000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    print(json.dumps(predict([ln.strip() for ln in sys.stdin if ln.strip()])))
