"""Backend 'Vivado': the HLS project of the bare network, for a board's part or any part
(hls4ml's default, xcvu13p-flga2577-2-e, when neither is given)."""
from __future__ import annotations

from ... import validate
from ...boards import DEFAULT_PART, check_part, check_part_name, load_board
from ..registry import Backend, register_backend
from . import build_files, csim_files, firmware_files

TARGET_KWARGS = ("board", "part", "clock_period")
DEFAULT_CLOCK_NS = 5.0


@register_backend
class VivadoBackend(Backend):
    name = "Vivado"

    def target(self, kwargs: dict, config: dict | None) -> dict:
        given = sorted(k for k, v in kwargs.items() if v is not None and k not in TARGET_KWARGS)
        if given or (config or {}).get("AcceleratorConfig"):
            what = ", ".join(given) or "AcceleratorConfig"
            raise ValueError(f"{what}: accelerator options need backend='VivadoAccelerator' (got {self.name!r})")
        board, part = kwargs.get("board"), kwargs.get("part")
        if board is None:  # any part (hls4ml's default part without one): no board implied
            part = check_part_name(DEFAULT_PART if part in (None, "") else part)
        else:
            board = load_board(board)
            part = check_part(board, part)
        return dict(board=board, part=part,
                    clock_period=validate.clock_period(kwargs.get("clock_period"), DEFAULT_CLOCK_NS))

    def files(self, hm, tb) -> tuple:
        code, o = hm.lowering, hm.options
        files = firmware_files(code, hm.dataflow, reprogrammable=False, synth_top=True, pipeline_ii=hm.pipeline_ii)
        files += build_files(code, o.part, o.board, o.clock_period, o.hls_tool, o.clock_uncertainty, self.name)
        files += csim_files(code, tb.inputs, tb.expected, tb.reference, None, None, o.board.name if o.board else None)
        return files, None


@register_backend
class VitisBackend(VivadoBackend):
    """Backend 'Vitis': the same HLS project, for Vitis HLS (its build scripts and ``build()``
    run vitis_hls, or the unified flow through hls_config.cfg)."""
    name = "Vitis"
    hls_tool = "vitis_hls"
