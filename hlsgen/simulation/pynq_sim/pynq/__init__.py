"""Simulated pynq from hlsgen.simulation (a host test double; see hlsgen/simulation/pynq_model.py)."""
from hlsgen.simulation.pynq_model import *  # noqa: F401,F403
from hlsgen.simulation.pynq_model import DefaultIP, MMIO, Overlay, allocate, board, live_buffers  # noqa: F401

HLSGEN_SIMULATED = True
