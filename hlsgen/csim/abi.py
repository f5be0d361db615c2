"""The C-simulation ABI: the one description of what a project's C-simulation library
exports and how Python calls it.

Both sides read it: the bridge templates (``myproject_bridge.cpp.j2``, the accelerator's
``bridge_accel.cpp.j2``) and the firmware templates that test its macros get it as the
Jinja global ``abi`` (``hlsgen.backends.templating``), so the names, the version and the
device-info layout they print are these; ``hlsgen.csim`` and ``hlsgen.simulation`` bind
the entry points and read the device info through :func:`bind_network`,
:func:`bind_accelerator` and :func:`device_info`.  Change the ABI here (and bump
``VERSION``): a library built from an older bridge is then refused at load time.
"""
from __future__ import annotations

import ctypes
from types import MappingProxyType

from ..escape import Code

#: Returned by the library's ``hlsgen_abi_version()``, recorded in ``hlsgen_meta.json``.
VERSION = 3

# ---------------------------------------------------------------------------- macros
#: Defined by the C-simulation build: weights are arrays filled at run time (``set_weight``).
RUNTIME_WEIGHTS = "HLSGEN_RUNTIME_WEIGHTS"
#: Defined by the C-simulation build: the per-layer trace hooks are compiled in.
TRACE_ENABLED = "HLSGEN_TRACE_ENABLED"
#: Defined by the one translation unit that defines the weight arrays (the bridge).
DEFINE_WEIGHTS = "HLSGEN_DEFINE_WEIGHTS"
#: Defined by the C-simulation build: per-layer saturation and overflow counters are compiled in.
SAT_COUNT = "HLSGEN_SAT_COUNT"
#: The preprocessor definitions of every C-simulation build.
BUILD_DEFINES = (RUNTIME_WEIGHTS, TRACE_ENABLED, SAT_COUNT)

# ---------------------------------------------------------------------------- entry points (extern "C")
ABI_VERSION = "hlsgen_abi_version"  # int (void)
SET_WEIGHT = "hlsgen_set_weight"  # int (int id, const double* v, long n)
PREDICT = "hlsgen_predict"  # int (const double* const* xs, double* const* ys, long n, int threads, double* const* tr)
ACCEL_PREDICT = "hlsgen_accel_predict"  # int (const double* const* xs, double* const* ys, long n, int threads)
ACCEL_LOAD_WEIGHTS = "hlsgen_accel_load_weights"  # int (const double* values, long n)
DEVICE_INFO = "hlsgen_device_info"  # int (long* info): fills DEVICE_INFO_FIELDS
DEVICE_RUN = "hlsgen_device_run"  # int (const void* in, void* out, unsigned n, const void* w, int load_weights)
DEVICE_LOAD_WEIGHT_FILES = "hlsgen_device_load_weight_files"  # int (const char* project_dir)
DEVICE_CYCLES = "hlsgen_device_cycles"  # unsigned (void): the cycles register after the last run
SAT_ENABLE = "hlsgen_sat_enable"  # int (int on): counters on from the next run; their count (0: cannot count)
SAT_READ = "hlsgen_sat_read"  # int (unsigned long long* counts, double* peak): read and clear the counters

#: ``hlsgen_device_info`` fills one ``long`` per field, in this order.
DEVICE_INFO_FIELDS = ("n_in_words", "n_out_words", "n_weight_words", "in_word_bits", "out_word_bits", "w_word_bits")

# ---------------------------------------------------------------------------- return codes
SET_WEIGHT_BAD_SIZE = -1  # hlsgen_set_weight: n is not the array's size
SET_WEIGHT_BAD_ID = -2  # hlsgen_set_weight: no weight array has this id
DEVICE_BAD_TLAST = -1  # hlsgen_device_run: TLAST not on the last output word
DEVICE_WORDS_LEFT = -2  # hlsgen_device_run: words left in a stream
DEVICE_NO_WEIGHT_PORT = -3  # hlsgen_device_run: load_weights set on a project without a weight port

_P = ctypes.POINTER(ctypes.c_void_p)
_SIGNATURES = {
    SET_WEIGHT: [ctypes.c_int, ctypes.c_void_p, ctypes.c_long],
    PREDICT: [_P, _P, ctypes.c_long, ctypes.c_int, _P],
    ACCEL_PREDICT: [_P, _P, ctypes.c_long, ctypes.c_int],
    ACCEL_LOAD_WEIGHTS: [ctypes.c_void_p, ctypes.c_long],
    DEVICE_INFO: [ctypes.POINTER(ctypes.c_long)],
    DEVICE_RUN: [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_uint, ctypes.c_void_p, ctypes.c_int],
    DEVICE_LOAD_WEIGHT_FILES: [ctypes.c_char_p],
    DEVICE_CYCLES: [],
    SAT_ENABLE: [ctypes.c_int],
    SAT_READ: [ctypes.c_void_p, ctypes.c_void_p],
}


def _bind(lib, names):
    for n in names:
        getattr(lib, n).argtypes = _SIGNATURES[n]


def version(lib) -> int:
    return getattr(lib, ABI_VERSION)()


def bind_network(lib) -> None:
    """Argument types of the network entry points every bridge exports."""
    _bind(lib, (SET_WEIGHT, PREDICT))


def bind_accelerator(lib, reprogrammable: bool) -> None:
    """Argument types of the accelerator-top entry points (backend VivadoAccelerator)."""
    _bind(lib, (ACCEL_PREDICT, ACCEL_LOAD_WEIGHTS) if reprogrammable else (ACCEL_PREDICT,))


def bind_device(lib) -> None:
    """Argument types of the word-level device entry points (``hlsgen.simulation``)."""
    _bind(lib, (DEVICE_INFO, DEVICE_RUN, DEVICE_LOAD_WEIGHT_FILES, DEVICE_CYCLES))
    getattr(lib, DEVICE_CYCLES).restype = ctypes.c_uint


def device_info(lib) -> dict:
    """What ``hlsgen_device_info`` reports, by field name."""
    info = (ctypes.c_long * len(DEVICE_INFO_FIELDS))()
    getattr(lib, DEVICE_INFO)(info)
    return dict(zip(DEVICE_INFO_FIELDS, info))


def template_values() -> MappingProxyType:
    """The ABI as the templates see it (``{{ abi.set_weight }}``, ``{{ abi.info.n_in_words }}``):
    trusted text (:class:`~hlsgen.escape.Code`) and numbers."""
    names = dict(abi_version=ABI_VERSION, set_weight=SET_WEIGHT, predict=PREDICT, accel_predict=ACCEL_PREDICT,
                 accel_load_weights=ACCEL_LOAD_WEIGHTS, device_info=DEVICE_INFO, device_run=DEVICE_RUN,
                 device_load_weight_files=DEVICE_LOAD_WEIGHT_FILES, device_cycles=DEVICE_CYCLES, runtime_weights=RUNTIME_WEIGHTS,
                 trace_enabled=TRACE_ENABLED, define_weights=DEFINE_WEIGHTS, sat_enable=SAT_ENABLE,
                 sat_read=SAT_READ, sat_count=SAT_COUNT)
    values = {k: Code(v) for k, v in names.items()}
    values.update(version=VERSION, info=MappingProxyType({f: i for i, f in enumerate(DEVICE_INFO_FIELDS)}),
                  info_size=len(DEVICE_INFO_FIELDS), set_weight_bad_size=SET_WEIGHT_BAD_SIZE,
                  set_weight_bad_id=SET_WEIGHT_BAD_ID, device_bad_tlast=DEVICE_BAD_TLAST,
                  device_words_left=DEVICE_WORDS_LEFT, device_no_weight_port=DEVICE_NO_WEIGHT_PORT)
    return MappingProxyType(values)
