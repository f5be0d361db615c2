"""axi_master: input and output buffers in DDR read and written by AXI4 masters (m_axi);
their addresses and ``n_samples`` in s_axi_control."""
from __future__ import annotations

from .base import BlockDesignParts, BusInterface, register_interface

PTR_WORDS = 2  # 64-bit addresses (HLS keeps two data words for m_axi offsets on both families)
# AXI4 bursts of up to 64 beats (the HLS default is 16; AXI4 allows 256, the HP ports' AXI3 side
# splits longer ones into 16-beat bursts): the top reads and writes consecutive beats of a
# whole call in one pipelined loop, which the tools infer as bursts.
BURST_BEATS = 64


@register_interface
class AxiMaster(BusInterface):
    name = "axi_master"
    summary = "m_axi input and output buffers in DDR, addresses in s_axi_control"
    data_in_memory = True
    port_costs = "maxi_port"

    def data_args(self, n_in, n_out, tb_samples):
        # n_in/n_out: beats per sample. The m_axi depth is what C/RTL co-simulation models of
        # each buffer: the testbench sends all its samples in one call, so it is sized for them
        # (it does not limit hardware)
        burst = f"max_read_burst_length={BURST_BEATS} max_write_burst_length={BURST_BEATS}"
        return (["const in_data_t* in_r", "out_data_t* out_r", "unsigned n_samples"],
                [f"INTERFACE m_axi port=in_r offset=slave bundle=gmem_in depth={n_in * tb_samples} {burst}",
                 f"INTERFACE m_axi port=out_r offset=slave bundle=gmem_out depth={n_out * tb_samples} {burst}",
                 "INTERFACE s_axilite port=in_r bundle=control",
                 "INTERFACE s_axilite port=out_r bundle=control",
                 "INTERFACE s_axilite port=n_samples bundle=control"])

    def io_registers(self, add, opts, n_in, n_out):
        add("in_r", PTR_WORDS, "physical address of the input buffer (n_samples x words_per_sample_in words)")
        add("out_r", PTR_WORDS, "physical address of the output buffer (n_samples x words_per_sample_out words)")
        add("n_samples", 1, "samples to process")
        return [dict(name="in", kind="m_axi", port="m_axi_gmem_in", register="in_r", words_per_sample=n_in),
                dict(name="out", kind="m_axi", port="m_axi_gmem_out", register="out_r",
                     words_per_sample=n_out)], None

    def ip_ports(self):
        return {"m_axi_gmem_in": ("aximm", "master"), "m_axi_gmem_out": ("aximm", "master")}

    def block_design(self, spec, hls):
        return BlockDesignParts(memory_masters=[(f"{hls}/m_axi_gmem_in", None), (f"{hls}/m_axi_gmem_out", None)])
