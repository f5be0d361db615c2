"""Run the vendor tools on a written project: HLS (vitis_hls or vivado_hls), then Vivado.

Output is streamed to a log file in ``build/`` and echoed as progress; a failing tool
raises ``BuildError`` with the end of its log and the log's path — never swallowed.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

HLS_TOOLS = ("vitis_hls", "vivado_hls")


class BuildError(RuntimeError):
    pass


def find_hls_tool(preferred: str | None = None) -> str:
    names = (preferred,) if preferred else HLS_TOOLS
    for name in names:
        if name not in HLS_TOOLS:
            raise BuildError(f"unknown HLS tool {name!r}; valid: {', '.join(HLS_TOOLS)}")
        if shutil.which(name):
            return name
    raise BuildError(
        f"{' or '.join(names)} not found on PATH: install Vitis HLS 2021.1+ or Vivado HLS 2019.2-2020.1 and "
        "source its settings64.sh")


def _run(cmd, cwd: Path, log: Path, what: str, verbose: bool):
    log.parent.mkdir(parents=True, exist_ok=True)
    if verbose:
        print(f"hlsgen: {what}: {' '.join(cmd)} (log: {log})", file=sys.stderr, flush=True)
    with open(log, "w") as f:
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for line in proc.stdout:
            f.write(line)
            if verbose and (line.startswith(("INFO: [HLS 200-", "ERROR", "CRITICAL WARNING", "hlsgen:"))
                            or "Starting" in line):
                print(f"  {line.rstrip()}", file=sys.stderr, flush=True)
        rc = proc.wait()
    if rc != 0:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-40:])
        raise BuildError(f"{what} failed (exit {rc}); full log: {log}\n{tail}")


def build(project, csim=False, synth=True, cosim=False, export=True, bitfile=False, reset=True,
          hls_tool: str | None = None, jobs: int = 2, verbose: bool = True) -> dict:
    """Run the selected steps; returns the paths of what was produced."""
    project = Path(project).resolve()
    if not (project / "build_prj.tcl").exists():
        raise BuildError(f"{project} has no build_prj.tcl: write the project first")
    produced = {}
    steps = dict(reset=reset, csim=csim, synth=synth, cosim=cosim, export=export or bitfile)
    if any(v for k, v in steps.items() if k != "reset"):
        tool = find_hls_tool(hls_tool)
        args = " ".join(f"{k}={int(bool(v))}" for k, v in steps.items()) + f" tool={tool}"
        _run([tool, "-f", "build_prj.tcl", "-tclargs", args], project, project / "build" / f"{tool}.log",
             tool, verbose)
        produced["hls_log"] = project / "build" / f"{tool}.log"
    if bitfile:
        if not shutil.which("vivado"):
            raise BuildError("vivado not found on PATH: install Vivado and source its settings64.sh")
        _run(["vivado", "-mode", "batch", "-nojournal", "-source", "design.tcl", "-tclargs", f"jobs={int(jobs)}",
              "bitfile=1"], project, project / "build" / "vivado.log", "vivado", verbose)
        for ext in ("bit", "hwh"):
            found = sorted(project.glob(f"*.{ext}"))
            if not found:
                raise BuildError(f"vivado finished but no .{ext} file is in {project}; see build/vivado.log")
            produced[ext] = found[0]
    return produced

