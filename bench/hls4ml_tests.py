"""Run the reference tool's own tests (hls4ml 1.3.0, ``test/pytest``) against hlsgen by name
translation only: a pytest plugin written to a temporary directory makes ``import hls4ml``
(and ``hls4ml.utils``, ``hls4ml.converters``, ...) resolve to hlsgen's modules of the same
name; no test is edited.  Only the Vivado/Vitis backends' tests are collected.

    python bench/hls4ml_tests.py [--sdist hls4ml-1.3.0.tar.gz] [--files test_softmax.py ...]
                                 [-k EXPR] [--timeout 300] [--keep DIR]

Without ``--sdist`` the source distribution is downloaded at run time with
``pip download --no-deps --no-binary :all: hls4ml==1.3.0`` (it is never committed).
Prints pass/fail/error/skip counts and the most common failure categories.

Measured on 2 shared cores (s24-15, 2026-12-02), ~3-10 s per test, so the whole suite takes
hours; run subsets with ``--files``/``-k``:
  test_trace, test_multi_dense, test_activations: 108 tests, 106 passed, 2 failed (trace keys).
  17 files (qkeras, keras_api, pooling, merge, reshape, zeropadding, globalpooling, batchnorm,
  conv1d, pointwiseconv, upsampling, cropping, softmax, softsign, writer_config, sepconv2d,
  depthconv2d): 819 tests, 292 passed, 503 failed, 18 errors; 288 of the failures are the tests'
  own Keras 3 layer construction (SeparableConvND/DepthwiseConvND keyword arguments), 123 read
  hls4ml internals (get_layers, graph.values), 8 differ on numbers (GlobalAveragePooling2D of
  18x18 with ap_fixed<32,9>: the reciprocal type is narrowed by the wide accumulator).
"""
from __future__ import annotations

import argparse
import collections
import os
import re
import subprocess
import sys
import tarfile
import tempfile
import xml.etree.ElementTree as ET

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VERSION = "1.3.0"
# backends whose tests do not concern hlsgen (the parametrize ids carry the backend's name)
OTHER_BACKENDS = ("Quartus", "Catapult", "oneAPI", "OneAPI", "quartus", "catapult", "oneapi", "Libero")

PLUGIN = r'''
"""pytest plugin: hls4ml -> hlsgen by name, and a per-test time limit."""
import importlib
import importlib.abc
import importlib.util
import os
import signal
import sys

import pytest

import hlsgen


class _Alias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, name, path=None, target=None):
        if name == "hls4ml" or name.startswith("hls4ml."):
            return importlib.util.spec_from_loader(name, self)
        return None

    def create_module(self, spec):
        return importlib.import_module("hlsgen" + spec.name[len("hls4ml"):])

    def exec_module(self, module):
        pass


sys.meta_path.insert(0, _Alias())
for _name, _mod in list(sys.modules.items()):  # hlsgen.model.profiling is a module alias, not a submodule
    if _name == "hlsgen" or _name.startswith("hlsgen."):
        sys.modules["hls4ml" + _name[len("hlsgen"):]] = _mod

TIMEOUT = int(os.environ.get("HLSGEN_TEST_TIMEOUT", "300"))


class TestTimeout(Exception):
    pass


def _alarm(signum, frame):
    raise TestTimeout(f"test exceeded {TIMEOUT} s")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(TIMEOUT)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
'''


def fetch_sdist(dest: str) -> str:
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
                    f"hls4ml=={VERSION}", "-d", dest], check=True)
    for f in os.listdir(dest):
        if f.startswith("hls4ml") and f.endswith((".tar.gz", ".zip")):
            return os.path.join(dest, f)
    raise SystemExit(f"pip download left no hls4ml sdist in {dest}")


def extract_tests(sdist: str, dest: str) -> str:
    with tarfile.open(sdist) as tf:
        members = [m for m in tf.getmembers() if "/test/pytest/" in m.name]
        tf.extractall(dest, members=members, filter="data")
    root = os.path.join(dest, f"hls4ml-{VERSION}", "test", "pytest")
    if not os.path.isdir(root):
        raise SystemExit(f"{sdist} holds no test/pytest directory")
    return root


def _category(kind: str, message: str, text: str) -> str:
    """A short, stable label for a failure: the exception type and its message without numbers."""
    msg = (message or "").strip().splitlines()[0] if (message or "").strip() else ""
    if "Mismatched elements" in text or "Not equal to tolerance" in text or "not almost equal" in text:
        return f"{kind}: numbers differ"
    if kind == "failure" and msg.startswith("assert") or msg.startswith("AssertionError"):
        return f"{kind}: assertion ({msg[:80]})"
    msg = re.sub(r"0x[0-9a-f]+|\d+", "N", msg)
    msg = re.sub(r"'[^']*'", "'…'", msg) if len(msg) > 100 else msg
    return f"{kind}: {msg[:140]}"


def summarize(xml_path: str, top: int):
    tree = ET.parse(xml_path)
    counts = collections.Counter()
    cats = collections.Counter()
    examples = {}
    for case in tree.iter("testcase"):
        node = None
        for tag in ("failure", "error", "skipped"):
            node = case.find(tag)
            if node is not None:
                break
        kind = "passed" if node is None else node.tag
        counts[kind] += 1
        if kind in ("failure", "error"):
            text = node.text or ""
            c = _category(kind, node.get("message", ""), text)
            cats[c] += 1
            examples.setdefault(c, f"{case.get('classname')}::{case.get('name')}")
    return counts, cats, examples


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sdist", help="hls4ml source distribution (downloaded when absent)")
    ap.add_argument("--files", nargs="*", help="test files to run (default: all)")
    ap.add_argument("-k", default="", help="extra pytest -k expression")
    ap.add_argument("--timeout", type=int, default=300, help="seconds per test")
    ap.add_argument("--keep", help="work in this directory and keep it")
    ap.add_argument("--top", type=int, default=25, help="failure categories to print")
    ap.add_argument("--pytest-args", default="", help="more pytest arguments")
    args = ap.parse_args()

    work = args.keep or tempfile.mkdtemp(prefix="hls4ml_tests_")
    os.makedirs(work, exist_ok=True)
    sdist = args.sdist or fetch_sdist(work)
    root = extract_tests(sdist, work)
    plugin_dir = os.path.join(work, "plugin")
    os.makedirs(plugin_dir, exist_ok=True)
    with open(os.path.join(plugin_dir, "hlsgen_as_hls4ml.py"), "w") as f:
        f.write(PLUGIN)
    expr = " and ".join(f"not {b}" for b in OTHER_BACKENDS)
    if args.k:
        expr = f"({args.k}) and {expr}"
    xml = os.path.join(work, "results.xml")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([plugin_dir, REPO, os.environ.get("PYTHONPATH", "")]),
               HLSGEN_TEST_TIMEOUT=str(args.timeout), TF_CPP_MIN_LOG_LEVEL="3")
    files = args.files or ["."]
    cmd = [sys.executable, "-m", "pytest", "-p", "hlsgen_as_hls4ml", "-q", "-rN", "--tb=short",
           "-p", "no:cacheprovider", "--continue-on-collection-errors", "--junitxml", xml, "-k", expr, *files, *args.pytest_args.split()]
    print("running:", " ".join(cmd), f"(in {root})", flush=True)
    subprocess.run(cmd, cwd=root, env=env)
    if not os.path.exists(xml):
        raise SystemExit("pytest wrote no results (collection failed?)")
    counts, cats, examples = summarize(xml, args.top)
    total = sum(counts.values())
    print(f"\n{total} tests: {counts['passed']} passed, {counts['failure']} failed, {counts['error']} errors, "
          f"{counts['skipped']} skipped")
    print("failure categories:")
    for c, n in cats.most_common(args.top):
        print(f"  {n:5d}  {c}\n         e.g. {examples[c]}")
    if not args.keep:
        print(f"(work directory {work} kept for inspection; delete it when done)")


if __name__ == "__main__":
    main()
