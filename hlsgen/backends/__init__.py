"""Backends: a lowered graph -> the files of a project.  Each registers itself by name
(:mod:`hlsgen.backends.registry`); importing this package makes them all known."""
from .registry import Backend, backend_names, get_backend, register_backend  # noqa: F401
from .vivado import backend as _vivado  # noqa: F401,E402  (registers 'Vivado')
from .vivado_accelerator import backend as _vivado_accelerator  # noqa: F401,E402  (registers 'VivadoAccelerator')
