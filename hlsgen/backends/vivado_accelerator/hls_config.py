"""hls_config.cfg of the accelerator top: see :mod:`hlsgen.backends.hls_script`."""
from __future__ import annotations

from .. import hls_script
from .tcl import BlockDesignSpec


def unified_work_dir(spec: BlockDesignSpec) -> str:
    """--work_dir of the v++/vitis-run commands: the packaged IP lands in <work_dir>/hls/impl/ip."""
    return hls_script.unified_work_dir(spec.hls_script())


def render_hls_config(spec: BlockDesignSpec) -> str:
    return hls_script.render_hls_config(spec.hls_script())
