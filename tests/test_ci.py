""".ci/run on a machine like a fresh CI runner, with stand-ins for apt-get, the compilers and python.

The stand-in compilers work only once the apt packages they need are "installed" (a marker file per
package), exactly like a cross gcc without its libc6-dev-*-cross headers: `command -v` finds it, but
it cannot preprocess <stdio.h>.
"""
import os
import re
import shutil
import stat
import subprocess

import pytest

from conftest import REPO

BASH = shutil.which("bash")
pytestmark = pytest.mark.skipif(BASH is None, reason="bash not installed")

# stand-in executable -> the apt packages it needs to work
TOOLS = {"gcc": ["gcc", "libc6-dev"], "g++": ["g++"], "tclsh": ["tcl"],
         "aarch64-linux-gnu-gcc": ["gcc-aarch64-linux-gnu", "libc6-dev-arm64-cross"],
         "arm-linux-gnueabihf-gcc": ["gcc-arm-linux-gnueabihf", "libc6-dev-armhf-cross"]}


def _exe(path, text):
    path.write_text("#!/bin/sh\n" + text)
    path.chmod(path.stat().st_mode | stat.S_IEXEC)


def _machine(tmp_path, installed, apt_skips=(), pytest_rc=0):
    """A copy of .ci/run and a bin folder of stand-ins; ``installed``: packages already there."""
    repo, bindir, state = tmp_path / "repo", tmp_path / "bin", tmp_path / "state"
    (repo / ".ci").mkdir(parents=True)
    shutil.copy(REPO / ".ci" / "run", repo / ".ci" / "run")
    bindir.mkdir()
    state.mkdir()
    for p in installed:
        (state / p).touch()
    log = tmp_path / "log"
    for tool, pkgs in TOOLS.items():
        need = " && ".join(f'[ -e "{state}/{p}" ]' for p in pkgs)
        # the compiler binary itself comes with the first package; its headers with the others
        _exe(bindir / tool, f'[ -e "{state}/{pkgs[0]}" ] || exit 127\n{need} || {{ echo "fatal error: '
                            f'bits/libc-header-start.h: No such file or directory" >&2; exit 1; }}\ncat >/dev/null\n')
    skips = " ".join(apt_skips)
    _exe(bindir / "apt-get", f'echo "apt-get $*" >> "{log}"\n[ "$1" = install ] || exit 0\n'
                             f'for a in "$@"; do case "$a" in -*|install) ;; *) case " {skips} " in *" $a "*) ;; '
                             f'*) touch "{state}/$a" ;; esac ;; esac; done\n')
    _exe(bindir / "python", f'echo "python $*" >> "{log}"\n[ "$2" = pytest ] && exit {pytest_rc}\nexit 0\n')
    env = {"PATH": f"{bindir}{os.pathsep}/usr/bin{os.pathsep}/bin", "HOME": str(tmp_path)}
    # the stand-ins shadow the real tools; one not yet installed exits 127 like a missing command
    return repo, env, log


def _run(repo, env):
    return subprocess.run([BASH, str(repo / ".ci" / "run")], capture_output=True, text=True, env=env, timeout=60)


def test_ci_installs_the_cross_libc_headers_when_only_the_compilers_are_there(tmp_path):
    have = ["gcc", "libc6-dev", "g++", "tcl", "gcc-aarch64-linux-gnu", "gcc-arm-linux-gnueabihf"]
    repo, env, log = _machine(tmp_path, have)
    r = _run(repo, env)
    assert r.returncode == 0, r.stdout + r.stderr
    calls = log.read_text().splitlines()
    install = [c for c in calls if c.startswith("apt-get install")]
    assert len(install) == 1
    pkgs = install[0].split()[2:]
    assert {"libc6-dev-arm64-cross", "libc6-dev-armhf-cross"} <= set(pkgs)
    assert "--no-install-recommends" in pkgs
    assert "ci: system tools ok" in r.stdout
    # README's exact test command, after the Python installs
    readme_cmd = re.search(r"pip install -e \"\.\[test\]\" && (python -m pytest -q tests)", (REPO / "README.md").read_text())
    assert readme_cmd and calls[-1] == readme_cmd.group(1)


def test_ci_on_a_bare_machine_spells_out_every_package(tmp_path):
    repo, env, log = _machine(tmp_path, [])
    r = _run(repo, env)
    assert r.returncode == 0, r.stdout + r.stderr
    install = [c for c in log.read_text().splitlines() if c.startswith("apt-get install")][0].split()
    assert set(install) >= {p for pk in TOOLS.values() for p in pk}


def test_ci_fails_when_the_headers_are_still_missing(tmp_path):
    repo, env, log = _machine(tmp_path, ["gcc", "libc6-dev", "g++", "tcl", "gcc-aarch64-linux-gnu"],
                              apt_skips=["libc6-dev-arm64-cross"])
    r = _run(repo, env)
    assert r.returncode == 1
    assert "ci: aarch64 still does not work after installing gcc-aarch64-linux-gnu libc6-dev-arm64-cross" in r.stderr
    assert not any(c.startswith("python") for c in log.read_text().splitlines())


@pytest.mark.parametrize("pytest_rc,want", [(5, 0), (1, 1), (0, 0)])
def test_ci_exit_status_follows_pytest_and_treats_no_tests_as_success(tmp_path, pytest_rc, want):
    repo, env, _ = _machine(tmp_path, [p for pk in TOOLS.values() for p in pk], pytest_rc=pytest_rc)
    r = _run(repo, env)
    assert r.returncode == want, r.stdout + r.stderr
    assert ("no tests collected" in r.stdout) == (pytest_rc == 5)


def test_ci_runs_the_layer_tests_with_the_fast_paths_off_and_fails_when_they_fail(tmp_path):
    repo, env, log = _machine(tmp_path, [p for pk in TOOLS.values() for p in pk])
    # a python whose pytest fails only without the C-simulation fast paths
    _exe(tmp_path / "bin" / "python", f'echo "python $* [${{HLSGEN_CXXFLAGS:-}}]" >> "{log}"\n'
                                      '[ "$2" = pytest ] && [ -n "${HLSGEN_CXXFLAGS:-}" ] && exit 1\nexit 0\n')
    r = _run(repo, env)
    assert r.returncode == 1, r.stdout + r.stderr
    runs = [c for c in log.read_text().splitlines() if " pytest " in c]
    assert runs[0].startswith("python -m pytest -q tests/test_layers_") and "test_keras_layers.py" in runs[0]
    assert runs[0].endswith("[-DHLSGEN_NO_FAST_CSIM]")
    assert runs[-1] == "python -m pytest -q tests []"  # README's command still runs, last, with the fast paths
