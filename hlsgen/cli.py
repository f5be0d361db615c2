"""Command line: ``hlsgen convert``, ``hlsgen estimate``, ``hlsgen predict``, ``hlsgen explore``, ``hlsgen profile``, ``hlsgen demo``."""
from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

EXAMPLES = Path(__file__).resolve().parent / "examples"


def _config(args, model):
    from . import config as cfgmod
    from .convert import config_from_keras_model

    if args.config:
        config = cfgmod.from_yaml(args.config)
    elif type(model).__module__.startswith("onnx"):
        from .convert import config_from_onnx_model

        config = config_from_onnx_model(model, granularity="model")
    else:
        config = config_from_keras_model(model, granularity="model")
    model_cfg = config["Model"] = config.get("Model") or {}
    if args.precision:
        model_cfg["Precision"] = args.precision
    if args.reuse_factor:
        model_cfg["ReuseFactor"] = args.reuse_factor
    if args.strategy:
        model_cfg["Strategy"] = args.strategy
    return config


def _reuse_factor(text):
    return "auto" if str(text).strip().lower() == "auto" else int(text)


def cmd_convert(args):
    hm = _converted(args)
    print(hm.summary())
    out = hm.write()
    print(f"project written to {out}")
    if args.compile:
        hm.compile()
        print("C simulation compiled")
    return 0


def cmd_estimate(args):
    import json

    folder = Path(args.model)
    if folder.is_dir():
        f = folder / "estimate.json"
        if not f.is_file():
            raise ValueError(f"{folder} has no estimate.json: is it a project written by hlsgen?")
        data = json.loads(f.read_text())
        print(json.dumps(data, indent=1) if args.json else (folder / "estimate.md").read_text())
        return 0
    est = _converted(args).estimate()
    print(est.to_json() if args.json else est)
    return 0 if est.fits is not False else 1


def _converted(args):
    from .converters.keras import load_keras_model
    from .convert import convert_from_keras_model, convert_from_onnx_model

    if str(args.model).lower().endswith(".onnx"):
        from .converters.onnx import load_onnx_model

        model = load_onnx_model(args.model)
        convert = convert_from_onnx_model
    else:
        model = load_keras_model(args.model, args.weights)
        convert = convert_from_keras_model
    accel = dict(board=args.board, interface=args.interface, weights=args.weights_mode, driver=args.driver,
                 clock_period=args.clock_period, input_type=args.input_type, output_type=args.output_type)
    accel = {k: v for k, v in accel.items() if v is not None}
    backend = args.backend or ("VivadoAccelerator" if accel else "Vivado")  # --part alone: the plain HLS project
    if args.part is not None:
        accel["part"] = args.part
    hm = convert(
        model, hls_config=_config(args, model), output_dir=args.output_dir, project_name=args.project_name,
        io_type=args.io_type, backend=backend, input_data_tb=args.input_data, output_data_tb=args.output_data,
        calibration_data=np.load(args.calibration_data) if args.calibration_data else None, **accel,
    )
    return hm


def cmd_predict(args):
    from .csim import Simulation

    X = np.load(args.inputs)
    sim = Simulation(args.project)
    y = sim.predict(X)
    if args.output:
        if isinstance(y, list):  # several outputs: one array each, in an .npz
            np.savez(args.output, *y)
        else:
            np.save(args.output, y)
        print(f"{len(X)} predictions written to {args.output}")
    else:
        np.set_printoptions(threshold=50, linewidth=120)
        print(y)
    return 0


def cmd_package(args):
    from .drivers.package import package

    r = package(args.project, args.output, allow_missing_bitstream=args.allow_missing_bitstream,
                version=args.package_version)
    print(f"wheel: {r.wheel} ({r.wheel.stat().st_size} bytes)")
    print(f"sdist: {r.sdist}")
    if not r.has_bitstream:
        print("no bitstream in the package (--allow-missing-bitstream): its constructor needs bitfile=")
    return 0


def cmd_profile(args):
    """Numerical profiling figures (hlsgen.profiling) of a written project, or of a model file
    (converted with the default configuration into a temporary folder), on the inputs in --data."""
    from . import profiling

    X = np.load(args.data)
    target = Path(args.project)
    framework = args.model
    if target.is_dir():
        if not (target / "hlsgen_meta.json").is_file():
            raise ValueError(f"{target} is not a project written by hlsgen (no hlsgen_meta.json)")
        model = _load_framework(framework, args.weights) if framework else None
        weights, acts = profiling.project_series(target, X, model)
        figs = profiling.figures(weights, acts, target.name)
    elif target.is_file():
        from .convert import convert_from_keras_model, convert_from_onnx_model

        onnx = str(target).lower().endswith(".onnx")
        model = str(target) if onnx else _load_framework(target, args.weights)
        calib = np.load(args.calibration_data) if args.calibration_data else None
        with tempfile.TemporaryDirectory() as tmp:
            convert = convert_from_onnx_model if onnx else convert_from_keras_model
            hm = convert(model, output_dir=Path(tmp) / "prj", io_type=args.io_type, calibration_data=calib)
            figs = profiling.layer_figures(None if onnx else model, hm, X)
    else:
        raise ValueError(f"{str(target)!r} is neither a project folder nor a model file")
    for p in profiling.write_figures(figs, args.output):
        print(p)
    return 0


def _load_framework(path, weights=None):
    from .converters.keras import load_keras_model

    return load_keras_model(path, weights)


def run_testbench(project: Path, name: str, ap_types=None, exe_name: str | None = None) -> str:
    """Build and run the generated C testbench with g++ alone; returns its report.
    ``ap_types``: other ap_types headers than the project's (see hlsgen.csim.include_dirs)."""
    from .csim import compiler, include_dirs

    exe = project / "build" / (exe_name or f"{name}_test")
    exe.parent.mkdir(exist_ok=True)
    sources = [f"firmware/{name}.cpp"] + ([f"firmware/{name}_axi.cpp"] if (project / "firmware" / f"{name}_axi.cpp").exists() else [])
    cmd = [compiler(), "-O1", "-std=c++14", *[f"-I{d}" for d in include_dirs(project, ap_types)], f"{name}_test.cpp",
           *sources, "-o", str(exe)]
    build = subprocess.run(cmd, cwd=project, capture_output=True, text=True)
    if build.returncode != 0:
        raise RuntimeError(f"the testbench does not compile ({' '.join(cmd)}):\n{build.stderr[-3000:]}")
    run = subprocess.run([str(exe)], cwd=project, capture_output=True, text=True)
    if run.returncode != 0:
        raise RuntimeError(f"testbench failed:\n{run.stdout}{run.stderr}")
    return run.stdout.strip()


@contextlib.contextmanager
def quiet_native_stderr():
    """Hold back what native code writes to stderr (file descriptor 2) in the block: TensorFlow's
    start-up lines (oneDNN, CUDA stubs) come from C++ logging that recent releases print whatever
    TF_CPP_MIN_LOG_LEVEL says. If the block raises, the held-back text is written out after all."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as held:
        os.dup2(held.fileno(), 2)
        try:
            yield
        except BaseException:
            os.dup2(saved, 2)
            held.seek(0)
            sys.stderr.write(held.read().decode(errors="replace"))
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def import_keras_quietly():
    """``import keras`` with TensorFlow's start-up log lines hidden (they must be set before TF loads)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")   # C++ INFO/WARNING/ERROR, where the release obeys it
    with quiet_native_stderr():
        import keras
    return keras


def cmd_demo(args):
    keras = import_keras_quietly()

    from .convert import convert_from_keras_model

    model = keras.models.load_model(EXAMPLES / "jet_tagger.keras", compile=False)
    X = np.load(EXAMPLES / "jet_X.npy")
    print(f"example model: {EXAMPLES / 'jet_tagger.keras'} (16 jet features -> 5 classes, "
          f"{model.count_params()} parameters), {len(X)} test samples")
    t0 = time.perf_counter()
    y_keras = model.predict(X, batch_size=256, verbose=0)
    t_keras = time.perf_counter() - t0
    hm = convert_from_keras_model(model, output_dir=args.output_dir, input_data_tb=X[:100],
                                  output_data_tb=y_keras[:100], backend="VivadoAccelerator", board=args.board,
                                  interface=args.interface, hls_config={"Model": {"ReuseFactor": "auto"}})
    print(hm.summary())
    est = hm.estimate()
    t = est.total
    print(f"estimate (ReuseFactor auto): {t['dsp']:,} DSP, {t['lut']:,} LUT, {t['ff']:,} FF, {t['bram_18k']} BRAM_18K "
          f"on {est.part.name} ({'fits' if est.fits else 'does NOT fit'}); {t['ii']:,} cycles per sample at "
          f"{t['clock_ns']:g} ns")
    hm.write()
    t0 = time.perf_counter()
    hm.compile()
    t_compile = time.perf_counter() - t0
    hm.predict(X[:10])
    t0 = time.perf_counter()
    y = hm.predict(X)
    t_pred = time.perf_counter() - t0
    agree = float(np.mean(np.argmax(y, 1) == np.argmax(y_keras, 1)))
    print(f"compile: {t_compile:.2f} s; predict: {len(X) / t_pred:,.0f} samples/s "
          f"(Keras: {len(X) / t_keras:,.0f} samples/s)")
    print(f"agreement with Keras (through the {args.interface} accelerator top): argmax {agree:.4f}, "
          f"max |diff| {np.abs(y - y_keras).max():.4f}")
    print(f"C testbench (g++): {run_testbench(hm.output_dir, hm.project_name)}")
    print(f"project: {hm.output_dir} (board {args.board}, {args.interface}; build it with "
          f"hm.build(bitfile=True), or see its README.md for vitis-run / vitis_hls / vivado_hls, then vivado)")
    return 0 if agree >= 0.99 else 1


def cmd_explore(args):
    import yaml

    from .explore import explore

    with open(args.space, encoding="utf-8") as f:
        space = yaml.safe_load(f)
    accel = {k: v for k, v in dict(board=args.board, interface=args.interface).items() if v is not None}
    backend = args.backend or ("VivadoAccelerator" if accel else "Vivado")
    res = explore(args.model, np.load(args.data), space, y_ref=np.load(args.y_ref) if args.y_ref else None,
                  backend=backend, io_type=args.io_type, workers=args.workers, scheduler_address=args.scheduler,
                  results_dir=args.results, hls_config=args.config, **accel)
    print(res)
    if args.csv:
        print(f"table written to {res.to_csv(args.csv)}")
    if args.plot:
        print(f"picture written to {res.plot(args.plot)}")
    return 0 if not res.failed else 1


def _interfaces() -> tuple:
    from .backends.vivado_accelerator.interfaces import interface_names

    return interface_names()


def _convert_args(c):
    c.add_argument("model")
    c.add_argument("-o", "--output-dir", default="hlsgen_prj")
    c.add_argument("--weights", help="weights .h5 for a .json model")
    c.add_argument("--project-name", default="myproject")
    c.add_argument("--backend", help="Vivado, or VivadoAccelerator (the default when --board is given)")
    c.add_argument("--board", help="e.g. pynq-z2, ultra96v2, zcu104 (see boards/)")
    c.add_argument("--part", help="a Xilinx part, e.g. xcu250-figd2104-2L-e: with backend Vivado any part, no board "
                                  "implied; with a board it must be the board's")
    c.add_argument("--interface", help=", ".join(_interfaces()[:-1]) + " or " + _interfaces()[-1])
    c.add_argument("--weights-mode", help="embedded or reprogrammable")
    c.add_argument("--driver", help="python, c or both")
    c.add_argument("--clock-period", type=float, help="ns")
    c.add_argument("--input-type", help="bus type of the inputs: float or a fixed/int type")
    c.add_argument("--output-type", help="bus type of the outputs: float or a fixed/int type")
    c.add_argument("--io-type", default="io_parallel")
    c.add_argument("--precision", help="default precision, e.g. 'fixed<16,6,RND,SAT>'")
    c.add_argument("--reuse-factor", type=_reuse_factor, help="an integer, or auto (fit the part)")
    c.add_argument("--strategy", choices=["Latency", "Resource"])
    c.add_argument("--config", help="YAML configuration (hls4ml schema)")
    c.add_argument("--input-data", help="test inputs (.npy or .dat) for the testbench")
    c.add_argument("--output-data", help="reference outputs (.npy or .dat) for the testbench")
    c.add_argument("--calibration-data", help="representative inputs (.npy): fit the result types to their ranges")


def main(argv=None):
    from . import __version__

    p = argparse.ArgumentParser(prog="hlsgen", description="Neural networks -> HLS C++ for Zynq FPGAs")
    p.add_argument("--version", action="version", version=f"hlsgen {__version__}")
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("convert", help="convert a Keras (.keras, .h5, .json) or ONNX (.onnx) model into an HLS project")
    _convert_args(c)
    c.add_argument("--compile", action="store_true", help="also build the C simulation")
    c.set_defaults(func=cmd_convert)
    e = sub.add_parser("estimate", help="resources, latency and interval before synthesis, and whether the design "
                                        "fits its part (a model file with the convert options, or a written project)")
    _convert_args(e)
    e.add_argument("--json", action="store_true", help="print the estimate as JSON")
    e.set_defaults(func=cmd_estimate)
    pr = sub.add_parser("predict", help="run a written project's C simulation on inputs from a .npy file")
    pr.add_argument("project")
    pr.add_argument("inputs")
    pr.add_argument("-o", "--output", help="save the predictions to this .npy file")
    pr.set_defaults(func=cmd_predict)
    x = sub.add_parser("explore", help="sweep configurations on Dask: accuracy against the framework and the "
                                       "estimate of every point")
    x.add_argument("model", help="a Keras (.keras, .h5) or ONNX (.onnx, with --y-ref) model")
    x.add_argument("--data", required=True, help="inputs (.npy)")
    x.add_argument("--space", required=True, help="YAML: {axis: [values]} or a list of points (see hlsgen.explore.space)")
    x.add_argument("--y-ref", help="the framework's outputs on the data (.npy); computed for Keras models")
    x.add_argument("--config", help="base YAML configuration the points change")
    x.add_argument("--backend")
    x.add_argument("--board")
    x.add_argument("--interface")
    x.add_argument("--io-type", default="io_parallel")
    where = x.add_mutually_exclusive_group()
    where.add_argument("--workers", type=int, help="worker processes of a local Dask cluster (default: one per core)")
    where.add_argument("--scheduler", help="the address of a running Dask scheduler, e.g. tcp://host:8786")
    x.add_argument("--results", help="folder where each finished point is written; a rerun skips them")
    x.add_argument("--plot", help="write the accuracy/resources/latency picture here (.png, .svg)")
    x.add_argument("--csv", help="write the table here")
    x.set_defaults(func=cmd_explore)
    pf = sub.add_parser("profile", help="numerical profiling figures (weights, activations, fixed point against "
                                        "the framework) of a written project or a model file, as PNG and SVG")
    pf.add_argument("project", help="a project folder written by hlsgen, or a model file (.keras, .h5, .json, .onnx)")
    pf.add_argument("--data", required=True, help="inputs (.npy) to profile the activations on")
    pf.add_argument("-o", "--output", required=True, help="folder for the figures")
    pf.add_argument("--model", help="a project's framework model (Keras file), for the framework side")
    pf.add_argument("--weights", help="weights .h5 for a .json model")
    pf.add_argument("--io-type", default="io_parallel", help="for a model file")
    pf.add_argument("--calibration-data", help="for a model file: representative inputs (.npy)")
    pf.set_defaults(func=cmd_profile)
    pk = sub.add_parser("package", help="a pip-installable PYNQ overlay package (sdist and wheel) of a written "
                                        "VivadoAccelerator project and its bitstream")
    pk.add_argument("project", help="the project folder (with <project>.bit and .hwh from build(bitfile=True))")
    pk.add_argument("-o", "--output", help="folder for the sdist and wheel (default: PROJECT/dist)")
    pk.add_argument("--allow-missing-bitstream", action="store_true",
                    help="package without .bit/.hwh (for testing): the constructor then needs bitfile=")
    pk.add_argument("--package-version", default="1.0.0", help="the package's version (default 1.0.0)")
    pk.set_defaults(func=cmd_package)
    d = sub.add_parser("demo", help="convert, compile and check the bundled example model")
    d.add_argument("-o", "--output-dir", default="hlsgen_demo_prj")
    d.add_argument("--board", default="pynq-z2")
    d.add_argument("--interface", default=_interfaces()[0], choices=list(_interfaces()))
    d.set_defaults(func=cmd_demo)
    args = p.parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, OSError, RuntimeError, ImportError) as e:
        print(f"hlsgen: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
