"""One class per bus interface of the accelerator top (PeakRDL-regblock's ``cpuif/`` pattern).

Each interface is a :class:`BusInterface` subclass in its own module, registered by name,
with its template fragments beside it in ``hlsgen/templates/vivado_accelerator/interfaces/<name>/``.
It provides everything that differs between protocols: the top function's data arguments
and pragmas, its registers and buffers, the IP's bus ports, its block-design cells and
connections, and the fragments of the top, the host runner, the device bridge and the
drivers.  Nothing outside these modules and their templates branches on an interface's name:
a new interface is a module here, its fragment folder, and an import line below.
"""
from .base import BusInterface, BlockDesignParts, interface_for, interface_names, register_interface  # noqa: F401
from . import axi_stream, axi_master, axi_lite  # noqa: F401,E402  (register them, in this order)
