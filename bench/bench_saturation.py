"""Cost of saturation accounting on predict throughput (the shared benchmark models).

    python bench/bench_saturation.py [--shared ../shared] [--models jet_mlp,cnn_small]

For each model, three C simulations of the same project: compiled without the counting
hooks (``-DHLSGEN_SAT_COUNT`` removed), with them but switched off
(``hm.count_saturation = False``), and counting (the default).  Prints samples per second
and the ratios, and checks that the outputs are bit-identical in all three.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from bench_models import load_model, sustained_rate  # noqa: E402

import hlsgen  # noqa: E402
from hlsgen import csim  # noqa: E402


def measure(model, X, io_type, workdir, seconds, rounds=5):
    """Best rate of each variant over ``rounds`` alternating rounds (the machine is shared)."""
    hm = hlsgen.convert_from_keras_model(model, output_dir=Path(workdir) / "prj", io_type=io_type)
    flags = list(csim.CXXFLAGS)
    try:
        csim.CXXFLAGS[:] = [f for f in flags if f != "-DHLSGEN_SAT_COUNT"]
        hm.compile()
        plain = hm._sim
    finally:
        csim.CXXFLAGS[:] = flags
    hm.compile()
    counting = hm._sim
    variants = {"no_hooks": (plain, False), "hooks_off": (counting, False), "counting": (counting, True)}
    best = {k: 0.0 for k in variants}
    outs = {}
    for _ in range(rounds):
        for name, (sim, on) in variants.items():
            hm._sim, hm.count_saturation = sim, on
            outs[name], rate = sustained_rate(lambda: hm.predict(X), len(X), seconds)
            best[name] = max(best[name], rate)
    same = all(np.array_equal(outs["no_hooks"], y) for y in outs.values())
    return dict(no_hooks_sps=best["no_hooks"], hooks_off_sps=best["hooks_off"], counting_sps=best["counting"],
                ratio_counting=best["counting"] / best["no_hooks"], ratio_off=best["hooks_off"] / best["no_hooks"],
                bit_identical=same, table=str(hm.last_saturation))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", default=str(HERE.parent.parent / "shared"))
    ap.add_argument("--models", default="jet_mlp,cnn_small")
    ap.add_argument("--seconds", type=float, default=0.5)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    bench = Path(args.shared) / "bench" / "models"
    manifest = json.loads((bench / "manifest.json").read_text())
    for name in args.models.split(","):
        m = manifest["models"][name]
        X = np.load(bench / manifest["datasets"][m["dataset"]]["X"])
        model = load_model(bench / m["file"], m["qkeras"])
        with tempfile.TemporaryDirectory() as tmp:
            r = measure(model, X, m["io_type"], tmp, args.seconds, args.rounds)
        print(f"{name} ({m['io_type']}, {len(X)} samples): no hooks {r['no_hooks_sps']:,.0f}/s, hooks off "
              f"{r['hooks_off_sps']:,.0f}/s ({r['ratio_off']:.3f}), counting {r['counting_sps']:,.0f}/s "
              f"({r['ratio_counting']:.3f}); outputs bit-identical: {r['bit_identical']}")
        print(r["table"])


if __name__ == "__main__":
    main()
