"""The backends, by name: each registers itself with :func:`register_backend`.

A backend turns a converted model into the files of a project.  The conversion asks it,
by name, to check and resolve its options (``target``, ``accelerator``, ``check_graph``),
and the project asks it for its files (``files``); nothing else branches on a backend's
name.  A new backend (e.g. ``Vitis``) is a module with a :class:`Backend` subclass,
decorated with ``@register_backend`` and imported by ``hlsgen/backends/__init__.py``.
"""
from __future__ import annotations

from typing import Dict

_BACKENDS: Dict[str, "Backend"] = {}


class Backend:
    """What a backend does for the conversion and for the project."""

    name: str = ""
    takes_accelerator_options = False  # interface, weights, driver, bus types (AcceleratorConfig)
    hls_tool = "auto"  # the HLS tool the build scripts and build() prefer ('auto': whichever is installed)

    def target(self, kwargs: dict, config: dict | None) -> dict:
        """Checked before the model is read: the part, board and clock period as far as the
        keyword arguments and the configuration give them (ProjectOptions fields)."""
        raise NotImplementedError

    def accelerator(self, kwargs: dict, section: dict | None):
        """The accelerator options (from keyword arguments and the AcceleratorConfig section), or None."""
        return None

    def check_graph(self, accelerator, graph) -> None:
        """Checks of the typed graph against the options (e.g. bus types)."""

    def description(self, hm):
        """The interface description the drivers are generated from (registers.json), or None."""
        return None

    def files(self, hm, tb) -> tuple:
        """(files, description) of the project of ``hm``; ``tb``: the testbench data
        (``hlsgen.model.TestbenchData``: ``inputs`` and ``expected`` as the top sees them,
        computed on first use, ``reference``, ``n_samples``)."""
        raise NotImplementedError


def register_backend(cls):
    """Class decorator: make the backend known by its ``name`` (case-insensitive)."""
    if not cls.name:
        raise ValueError(f"backend class {cls.__name__} has no name")
    _BACKENDS[cls.name.lower()] = cls()
    return cls


def backend_names() -> tuple:
    return tuple(b.name for b in _BACKENDS.values())


def get_backend(name) -> Backend:
    """The backend called ``name`` (any case); an unknown name is an error listing the valid ones."""
    b = _BACKENDS.get(str(name).lower())
    if b is None:
        raise ValueError(f"unknown backend {name!r}; valid backends: {', '.join(backend_names())}")
    return b
