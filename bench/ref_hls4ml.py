"""Measure the reference tool (hls4ml 1.3.0) on one benchmark model. Runs in the reference
environment (see shared/bench/README.md), never imported by hlsgen.

    ref-venv/bin/python ref_hls4ml.py MODEL.h5 X.npy IO_TYPE OUT_DIR QKERAS(0/1)

Prints one JSON line: compile_s, predict_sps; saves the predictions to OUT_DIR/pred.npy.
"""
import json
import sys
import time

import numpy as np


def main():
    model_path, x_path, io_type, out_dir, is_q = sys.argv[1:6]
    import hls4ml
    import tensorflow as tf

    co = {}
    if is_q == "1":
        from qkeras.utils import _add_supported_quantized_objects

        _add_supported_quantized_objects(co)
    model = tf.keras.models.load_model(model_path, custom_objects=co, compile=False)
    X = np.load(x_path).astype(np.float32)
    cfg = hls4ml.utils.config_from_keras_model(model, granularity="name")
    hm = hls4ml.converters.convert_from_keras_model(
        model, hls_config=cfg, backend="VivadoAccelerator", board="pynq-z2", interface="axi_stream",
        io_type=io_type, output_dir=out_dir)
    t0 = time.perf_counter()
    hm.compile()
    t_compile = time.perf_counter() - t0
    hm.predict(X[:4])
    t0 = time.perf_counter()
    y = hm.predict(np.ascontiguousarray(X))
    t_pred = time.perf_counter() - t0
    np.save(f"{out_dir}/pred.npy", np.asarray(y).reshape(len(X), -1))
    print(json.dumps(dict(compile_s=t_compile, predict_sps=len(X) / t_pred)))


if __name__ == "__main__":
    main()
