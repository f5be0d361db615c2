"""Backend 'VivadoAccelerator': the network under an accelerator top with bus interfaces, for a board."""
from __future__ import annotations

from ..registry import Backend, register_backend
from ..vivado import csim_files, firmware_files
from . import accelerator_files, describe
from .interface import check_bus_types, resolve_options


@register_backend
class VivadoAcceleratorBackend(Backend):
    name = "VivadoAccelerator"
    takes_accelerator_options = True

    def target(self, kwargs: dict, config: dict | None) -> dict:
        return {}  # the board, part and clock come with the accelerator options

    def accelerator(self, kwargs: dict, section: dict | None):
        return resolve_options(kwargs, section)

    def check_graph(self, accelerator, graph) -> None:
        check_bus_types(accelerator, graph)

    def description(self, hm) -> dict:
        return describe(hm.lowering, hm.accelerator, hm.top_timing())

    def files(self, hm, tb) -> tuple:
        code, acc = hm.lowering, hm.accelerator
        files = firmware_files(code, hm.dataflow, reprogrammable=acc.reprogrammable, synth_top=False,
                               pipeline_ii=hm.pipeline_ii)
        accel_files, accel_ctx, desc = accelerator_files(code, acc, tb.n_samples, hm.top_timing(), hm.dataflow,
                                                         hm.options.hls_tool, hm.options.clock_uncertainty)
        files += accel_files
        files += csim_files(code, tb.inputs, tb.expected, tb.reference, accel_ctx, desc, acc.board.name)
        return files, desc


@register_backend
class VitisAcceleratorBackend(VivadoAcceleratorBackend):
    """Backend 'VitisAccelerator' for the Zynq boards: the accelerator of 'VivadoAccelerator',
    built with Vitis HLS.  (hls4ml's VitisAccelerator also targets Alveo/Versal cards through
    XRT kernels; those are not boards hlsgen knows, and ``board=`` lists the ones it does.)"""
    name = "VitisAccelerator"
    hls_tool = "vitis_hls"
