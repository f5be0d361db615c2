"""The configuration an HLSModel keeps: the validated configuration dict, readable as hls4ml's
``model.config`` is (``get_config_value``, ``get_output_dir``, ``get_project_name``, ...).

It is a plain dict (``model.config['Model']['ReuseFactor']`` works as before; ``to_yaml``
writes it as one) with read-only accessors over the project options.  Values a tool applies
by default are reported as that tool's default: the clock uncertainty of Vivado HLS is
12.5% of the period, Vitis HLS's 27%.
"""
from __future__ import annotations

TOOL_UNCERTAINTY = {"Vivado": "12.5%", "Vitis": "27%"}


def tool_uncertainty(backend: str, hls_tool: str) -> str:
    """The clock uncertainty the HLS tool of a project applies when none is set."""
    return TOOL_UNCERTAINTY["Vitis" if backend == "Vitis" or hls_tool == "vitis_hls" else "Vivado"]


class ModelConfig(dict):
    """``dict(config)`` plus the project options it was converted with (``options``)."""

    def __init__(self, config: dict, options, top_style=None, move_to=None):
        super().__init__(config)
        self.options = options
        self._top_style = top_style  # callable: the top function's pragma, from the model
        self._move_to = move_to  # callable: the model's project folder changes

    def __reduce_ex__(self, protocol):  # deepcopy keeps the options (a plain dict's items are copied)
        return (ModelConfig, (dict(self), self.options, self._top_style, self._move_to))

    @property
    def config(self) -> "TopLevelConfig":
        """hls4ml's ``model.config.config``: the top-level values (``OutputDir``, ``ProjectName``,
        ``Backend``, ``Part``, ``IOType``, ``HLSConfig``, ...).  Setting ``OutputDir`` moves the
        project (the next write, compile or build uses it); the other values are read-only."""
        return TopLevelConfig(self._values(), self._move_to)

    def _values(self) -> dict:
        o = self.options
        unc = o.clock_uncertainty
        if unc is None:
            unc = tool_uncertainty(o.backend, o.hls_tool)
        model = self.get("Model") or {}
        return {
            "OutputDir": str(o.output_dir), "ProjectName": o.project_name, "Backend": o.backend, "Part": o.part,
            "ClockPeriod": o.clock_period, "ClockUncertainty": unc, "IOType": o.io_type,
            "HLSConfig": dict(self), "Board": o.board.name if o.board is not None else None,
            "WriteTar": o.write_tar, "Stamp": None,
            "PipelineStyle": model.get("PipelineStyle", "auto"),
        }

    def get_config_value(self, key, default=None):
        """A top-level value by hls4ml's key ('Part', 'ClockPeriod', 'ClockUncertainty',
        'IOType', 'OutputDir', 'ProjectName', 'Backend', 'HLSConfig', ...)."""
        v = self._values()
        if key in v:
            return v[key] if v[key] is not None else default
        return self.get(key, default)

    def get_output_dir(self) -> str:
        return str(self.options.output_dir)

    def get_project_name(self) -> str:
        return self.options.project_name

    @property
    def backend(self) -> str:
        return self.options.backend

    @property
    def pipeline_style(self) -> str:
        """The top function's pragma: 'dataflow' or 'pipeline' (PipelineStyle 'auto' resolved)."""
        if self._top_style is None:
            raise AttributeError("pipeline_style is known once the configuration belongs to a converted model")
        return self._top_style()


class TopLevelConfig(dict):
    """The top-level values of a converted model (``ModelConfig.config``)."""

    def __init__(self, values: dict, move_to):
        super().__init__(values)
        self._move_to = move_to

    def __setitem__(self, key, value):
        if key != "OutputDir" or self._move_to is None:
            raise KeyError(f"config.config[{key!r}] is read-only: only 'OutputDir' may be changed after the "
                           "conversion (convert again to change the rest)")
        self._move_to(value)
        super().__setitem__(key, str(value))
