"""The command line and the repository's own conveniences: --version, a quiet demo, a quiet -q run."""
import os
import shutil
import subprocess
import sys

import pytest

import hlsgen
from hlsgen.cli import main

from conftest import REPO

ENV = {k: v for k, v in os.environ.items() if not k.startswith(("TF_CPP", "PYTEST_"))}
ENV["PYTHONPATH"] = os.pathsep.join([str(REPO)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p])


def test_version(capsys):
    with pytest.raises(SystemExit) as e:
        main(["--version"])
    assert e.value.code == 0 and capsys.readouterr().out == f"hlsgen {hlsgen.__version__}\n"
    r = subprocess.run([sys.executable, "-m", "hlsgen", "--version"], capture_output=True, text=True, env=ENV)
    assert r.returncode == 0 and r.stdout.strip() == "hlsgen 0.1.0"


def test_demo_folder_is_ignored_by_git():
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("not a git checkout")
    assert 'default="hlsgen_demo_prj"' in (REPO / "hlsgen" / "cli.py").read_text()  # the demo's default folder
    r = subprocess.run(["git", "check-ignore", "-q", "hlsgen_demo_prj/README.md"], cwd=REPO)
    assert r.returncode == 0, "the demo's project folder (hlsgen_demo_prj) is not in .gitignore"


@pytest.mark.skipif(shutil.which("g++") is None, reason="g++ not installed")
def test_demo_hides_tensorflow_start_up_lines(tmp_path):
    pytest.importorskip("keras")
    r = subprocess.run([sys.executable, "-m", "hlsgen", "demo", "-o", str(tmp_path / "demo")], capture_output=True,
                       text=True, env=ENV, cwd=tmp_path, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    out = r.stdout + r.stderr
    assert "0 mismatches" in r.stdout
    for noise in ("I0000", "W0000", "E0000", "oneDNN", "cuda", "TF_ENABLE_ONEDNN_OPTS", "absl::"):
        assert noise not in out, out


def test_quiet_run_prints_no_measurement_tables():
    """Tables of measured errors show with -v; in -q mode (README's command) they stay captured."""
    args = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", str(REPO / "tests" / "test_layers_activation.py"),
            "-k", "table_accuracy_summary or softmax_relative_error_measured"]
    quiet = subprocess.run(args + ["-q"], capture_output=True, text=True, env=ENV, cwd=REPO)
    assert quiet.returncode == 0, quiet.stdout
    assert "max_err=" not in quiet.stdout and "softmax fixed" not in quiet.stdout, quiet.stdout
    verbose = subprocess.run(args + ["-v"], capture_output=True, text=True, env=ENV, cwd=REPO)
    assert "max_err=" in verbose.stdout and "softmax fixed<16,6>" in verbose.stdout
