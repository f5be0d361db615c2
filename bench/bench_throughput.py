"""Estimated cycles per sample of the serial and the pipelined accelerator top.

For jet_mlp, cnn_small (the bench models) and the autoencoder (bench_models.autoencoder), on
axi_stream and axi_master, Pynq-Z2 and Ultra96-V2: the serial top as it was (one value per bus
beat, read / network / write one sample after the other) against the default pipelined top
(DATAFLOW, values packed into the board's memory-port width), as hlsgen's estimate sees them,
and their ratio.  Checks the target: pipelined cycles per sample == max(input beats, network
II, output beats).  These are estimates (nothing is synthesised): only a C synthesis and a
board run confirm them.

    python bench/bench_throughput.py [--shared /work/shared] [--models jet_mlp,cnn_small,autoencoder]
"""
import argparse
import json
import os
import sys
import tempfile
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

BOARDS = ("pynq-z2", "ultra96v2")
INTERFACES = ("axi_stream", "axi_master")


def load(name, shared):
    from hlsgen.converters.keras import load_keras_model

    if name == "autoencoder":
        from bench_models import autoencoder

        return autoencoder()[0], "io_parallel"
    d = Path(shared) / "bench" / "models"
    m = json.loads((d / "manifest.json").read_text())["models"][name]
    return load_keras_model(d / m["file"]), m["io_type"]


def top_numbers(model, io_type, interface, board, work, **acc):
    import hlsgen

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        hm = hlsgen.convert_from_keras_model(model, output_dir=Path(work) / "prj", backend="VivadoAccelerator",
                                             board=board, interface=interface, io_type=io_type, **acc)
    est = hm.estimate()
    a = hm.accelerator
    n_in = sum(i["size"] for i in hm.lowering.inputs)
    n_out = sum(o["size"] for o in hm.lowering.outputs)
    net_ii = max(r["ii"] for r in est.layers if r["kind"] != "AcceleratorTop")
    return dict(ii=est.total["ii"], latency=est.total["latency_max"], net_ii=net_ii,
                in_beats=a.in_packing.beats(n_in), out_beats=a.out_packing.beats(n_out), bus=a.bus_width)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", default=str(HERE.parent.parent / "shared"))
    ap.add_argument("--models", default="jet_mlp,cnn_small,autoencoder")
    args = ap.parse_args()
    head = (f"{'model':12s} {'io':11s} {'interface':10s} {'board':10s} {'bus':>4s} {'in_b':>6s} {'net_ii':>6s} "
            f"{'out_b':>6s} {'serial':>8s} {'pipelined':>9s} {'ratio':>6s}  target")
    print(head)
    misses = 0
    for name in args.models.split(","):
        model, io_type = load(name, args.shared)
        for board in BOARDS:
            for itf in INTERFACES:
                with tempfile.TemporaryDirectory() as work:
                    # the serial top as it was: one value per beat (BusWidth = the widest value word)
                    s = top_numbers(model, io_type, itf, board, work, pipeline="serial", bus_width=32)
                    p = top_numbers(model, io_type, itf, board, work)
                target = max(p["in_beats"], p["net_ii"], p["out_beats"])
                ok = p["ii"] == target
                misses += not ok
                print(f"{name:12s} {io_type:11s} {itf:10s} {board:10s} {p['bus']:4d} {p['in_beats']:6d} "
                      f"{p['net_ii']:6d} {p['out_beats']:6d} {s['ii']:8d} {p['ii']:9d} {s['ii'] / p['ii']:6.1f}x  "
                      f"{'==' if ok else '!='} max({p['in_beats']}, {p['net_ii']}, {p['out_beats']})")
    print("cycles per sample, estimated; serial: one 32-bit word per beat, pipelined: values packed into the "
          "board's memory-port width (Pynq-Z2 S_AXI_HP0 64 bits, Ultra96-V2 S_AXI_HP0_FPD 128 bits)")
    return 1 if misses else 0


if __name__ == "__main__":
    sys.exit(main())
