import os
import shutil
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# QKeras needs tf_keras, which TensorFlow picks only if this is set before it is first imported
os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("HLSGEN_SHARED", REPO.parent / "shared"))


@pytest.fixture(scope="session", autouse=True)
def _hlsgen_cache(tmp_path_factory):
    """One C-simulation cache for the whole test session, away from the user's."""
    os.environ["HLSGEN_CACHE_DIR"] = str(tmp_path_factory.mktemp("hlsgen_cache"))


@pytest.fixture
def shared():
    if not SHARED.is_dir():
        pytest.skip(f"shared data not found at {SHARED}")
    return SHARED


needs_gxx = pytest.mark.skipif(shutil.which(os.environ.get("CXX", "g++")) is None, reason="g++ not installed")


def grid(rng, shape, lo=-4.0, hi=4.0, frac=8):
    """Random values on the 2**-frac grid (exact in the default input type)."""
    return np.round(rng.uniform(lo, hi, size=shape) * 2**frac) / 2**frac


@pytest.fixture
def report(request, capsys):
    """``report(text)``: a measurement table of a test. Shown live with ``-v``; in the default and
    ``-q`` modes it is captured like any output (pytest shows it only if the test fails)."""
    def show(text: str):
        if request.config.getoption("verbose") > 0:
            with capsys.disabled():
                print(text)
        else:
            print(text)
    return show
