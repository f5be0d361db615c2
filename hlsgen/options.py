"""The options of a converted model (``HLSModel.options``): typed, frozen, checked.

Built once by the conversion from the keyword arguments; a key that is not a field is an
error naming it (hls4ml's misplaced options were silently ignored, #513, #922).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Optional, Tuple

from .boards import Board


@dataclass(frozen=True)
class ProjectOptions:
    output_dir: Any
    project_name: str
    backend: str
    part: str                          # the Xilinx part the design targets
    board: Optional[Board] = None      # the board it is on (None: any part, no board; backend 'Vivado')
    clock_period: float = 5.0          # ns
    io_type: str = "io_parallel"
    accelerator: Any = None            # AcceleratorOptions of backend 'VivadoAccelerator', else None
    input_data_tb: Optional[Tuple] = None   # checked sample arrays, one per input
    output_data_tb: Optional[Tuple] = None  # checked reference arrays, one per output
    tb_samples: int = 1000             # testbench samples at most
    fit_share: Optional[float] = None  # share of the part the fit check allows (None: the estimator's default)
    write_data_header: bool = True     # data.h of the C driver from the testbench data
    clock_uncertainty: Optional[str] = None  # '12.5%' or ns, for the HLS tools (None: the tool's default)
    hls_tool: str = "auto"             # the HLS tool build() prefers ('vitis_hls' for backend 'Vitis')
    write_tar: bool = False            # write() also leaves <output_dir>.tar.gz
    weights_txt: bool = True           # weights in firmware/weights/*.txt (False: in their headers)
    namespace: Optional[str] = None    # a C++ namespace around the project's own code
    emulation_constants: bool = False  # inputs_t/outputs_t and <project>_emulator() (hls4ml's Vitis option)

    @classmethod
    def fields(cls) -> tuple:
        return tuple(f.name for f in dataclasses.fields(cls))

    @classmethod
    def make(cls, **values) -> "ProjectOptions":
        stray = sorted(set(values) - set(cls.fields()))
        if stray:
            raise ValueError(f"unknown option(s) {', '.join(stray)}; valid: {', '.join(cls.fields())}")
        for k in ("input_data_tb", "output_data_tb"):
            if isinstance(values.get(k), list):
                values[k] = tuple(values[k])
        return cls(**values)

    def replace(self, **changes) -> "ProjectOptions":
        """A copy with ``changes`` (unknown keys are errors)."""
        return self.make(**dict(self.__dict__, **changes))
