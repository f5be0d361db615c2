"""axi_lite: inputs and outputs in s_axi_control registers, one sample per call (tiny models)."""
from __future__ import annotations

from .base import BusInterface, register_interface


@register_interface
class AxiLite(BusInterface):
    name = "axi_lite"
    summary = "inputs and outputs in s_axi_control registers, one sample per call"
    batched = False
    data_in_registers = True

    def data_args(self, n_in, n_out, tb_samples):
        return (["const in_word_t in_r[N_IN_WORDS]", "out_word_t out_r[N_OUT_WORDS]"],
                ["INTERFACE s_axilite port=in_r bundle=control",
                 "INTERFACE s_axilite port=out_r bundle=control"])

    def io_registers(self, add, opts, n_in, n_out):
        return [], None

    def place_arrays(self, regs, off, opts, n_in, n_out):
        # arrays in the register space: HLS packs the elements (8/16-bit words 4/2 per 32-bit
        # register) and places each array at a range aligned to its power-of-two size
        for name, n, bus in (("in_r", n_in, opts.input_type), ("out_r", n_out, opts.output_type)):
            span = 4
            while span < n * (bus.word_bits // 8):
                span *= 2
            off = (off + span - 1) // span * span
            regs.append(dict(name=name, offset=off, words=n, array=True, bytes_per_word=bus.word_bits // 8,
                             description=f"{n} {name[:-2]}put words, packed ({bus.word_bits // 8} bytes each)"))
            off += span
        return off
