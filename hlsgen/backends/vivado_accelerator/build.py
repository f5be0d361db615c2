"""Run the vendor tools on a written project: HLS, then Vivado.

HLS runs ``build_prj.tcl`` under the newest tool found on PATH, or the one named:

* ``vitis-run`` (Vitis 2024.2 and later, where ``vitis_hls -f`` is deprecated):
  ``vitis-run --mode hls --tcl build_prj.tcl``;
* ``vitis_hls`` (Vitis HLS 2020.2 and later): ``vitis_hls -f build_prj.tcl -tclargs ...``;
* ``vivado_hls`` (Vivado HLS 2019.2-2020.1): ``vivado_hls -f build_prj.tcl -tclargs ...``.

The steps go to the script as ``-tclargs`` and in ``$HLSGEN_BUILD_ARGS`` (vitis-run's Tcl mode
is not documented to pass script arguments).  A board whose part an HLS tool does not have
(``hls_tools`` in its board file) is refused before anything runs.  Output is streamed to a
log file in ``build/`` and echoed as progress; a failing tool raises ``BuildError`` with the
end of its log and the log's path -- never swallowed.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

HLS_TOOLS = ("vitis-run", "vitis_hls", "vivado_hls")  # newest first: the order build() tries them
TOOL_FAMILY = {"vitis-run": "vitis_hls", "vitis_hls": "vitis_hls", "vivado_hls": "vivado_hls"}
ARGS_ENV = "HLSGEN_BUILD_ARGS"


class BuildError(RuntimeError):
    pass


def project_board(project: Path):
    """The board a written project was generated for (None if the project does not say)."""
    from ...boards import load_board

    for name, key in (("hlsgen_meta.json", "board"), ("registers.json", "board")):
        f = Path(project) / name
        if f.is_file():
            board = json.loads(f.read_text()).get(key)
            if board:
                return load_board(board)
    return None


def find_hls_tool(preferred: str | None = None, board=None) -> str:
    """The HLS executable to run: ``preferred``, else the newest of HLS_TOOLS on PATH that can
    build for ``board``. Raises BuildError naming what is missing or refused."""
    if preferred is not None and preferred not in HLS_TOOLS:
        raise BuildError(f"unknown HLS tool {preferred!r}; valid: {', '.join(HLS_TOOLS)}")
    names = (preferred,) if preferred else HLS_TOOLS
    ok = [n for n in names if board is None or TOOL_FAMILY[n] in board.hls_tools]
    for name in ok:
        if shutil.which(name):
            return name
    refused = [n for n in names if n not in ok and (preferred or shutil.which(n))]
    if refused:
        good = [n for n in HLS_TOOLS if TOOL_FAMILY[n] in board.hls_tools]
        raise BuildError(
            f"board {board.name} cannot be built with {refused[0]}: its part {board.part} is not in "
            f"{refused[0]}'s part list (see {board.path.name}); use {' or '.join(good)}")
    raise BuildError(
        f"{', '.join(ok[:-1]) + ' or ' if len(ok) > 1 else ''}{ok[-1]} not found on PATH: install Vitis "
        "(vitis-run 2024.2+, vitis_hls 2020.2+) or Vivado HLS 2019.2-2020.1 and source its settings64.sh")


def hls_command(tool: str, args: str) -> list:
    """The command line that runs build_prj.tcl under ``tool`` with the key=value ``args``."""
    if tool == "vitis-run":
        return ["vitis-run", "--mode", "hls", "--tcl", "build_prj.tcl"]
    return [tool, "-f", "build_prj.tcl", "-tclargs", args]


def _run(cmd, cwd: Path, log: Path, what: str, verbose: bool, env=None):
    log.parent.mkdir(parents=True, exist_ok=True)
    if verbose:
        print(f"hlsgen: {what}: {' '.join(cmd)} (log: {log})", file=sys.stderr, flush=True)
    with open(log, "w") as f:
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                env=env)
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
        tool = find_hls_tool(hls_tool, project_board(project))
        args = " ".join(f"{k}={int(bool(v))}" for k, v in steps.items()) + f" tool={TOOL_FAMILY[tool]}"
        log = project / "build" / f"{tool}.log"
        _run(hls_command(tool, args), project, log, tool, verbose, env=dict(os.environ, **{ARGS_ENV: args}))
        produced["hls_log"] = log
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
