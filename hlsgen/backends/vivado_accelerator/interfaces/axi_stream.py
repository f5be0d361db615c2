"""axi_stream: AXI4-Stream in and out (TLAST on the last output word of a call), fed by an
AXI DMA in simple mode; ``n_samples`` in s_axi_control."""
from __future__ import annotations

from .base import BlockDesignParts, BusInterface, register_interface

# AXI DMA 7.1 stream data widths (PG021)
DMA_STREAM_WIDTHS = (8, 16, 32, 64, 128, 256, 512, 1024)
# AXI DMA buffer length register (c_sg_length_width, PG021: 8..26 bits): a transfer moves at most
# 2^26 - 1 bytes, and PYNQ's DMA driver refuses longer ones
DMA_LENGTH_WIDTH = 26
AXI_DMA_VLNV = "xilinx.com:ip:axi_dma:7.1"
DMA_CELL = "axi_dma_0"


@register_interface
class AxiStream(BusInterface):
    name = "axi_stream"
    summary = "AXI4-Stream in/out with TLAST, fed by an AXI DMA (simple mode)"
    uses_dma = True
    port_costs = "axis_port"

    def data_args(self, n_in, n_out, tb_samples):
        return (["hls::stream<in_beat_t>& in_stream", "hls::stream<out_beat_t>& out_stream", "unsigned n_samples"],
                ["INTERFACE axis port=in_stream", "INTERFACE axis port=out_stream",
                 "INTERFACE s_axilite port=n_samples bundle=control"])

    def io_registers(self, add, opts, n_in, n_out):
        # one DMA transfer per direction and run: a run is at most what the length register allows
        max_bytes = (1 << DMA_LENGTH_WIDTH) - 1
        sample = max(n_in * opts.input_type.word_bits // 8, n_out * opts.output_type.word_bits // 8)
        if sample > max_bytes:
            raise ValueError(f"interface='axi_stream': one sample is {sample} bytes on the bus, more than an AXI DMA "
                             f"transfer can move ({max_bytes} bytes, a {DMA_LENGTH_WIDTH}-bit length register); "
                             "use interface='axi_master'")
        dma = dict(length_width=DMA_LENGTH_WIDTH, max_transfer_bytes=max_bytes,
                   max_samples_per_transfer=max_bytes // sample)
        add("n_samples", 1, "samples in the next DMA transfer (TLAST after the last output word)")
        return [dict(name="in", kind="stream", port="in_stream", words_per_sample=n_in),
                dict(name="out", kind="stream", port="out_stream", words_per_sample=n_out)], dma

    def ip_ports(self):
        return {"in_stream": ("axis", "slave"), "out_stream": ("axis", "master")}

    def check_bus_width(self, name, width):
        if width not in DMA_STREAM_WIDTHS:
            raise ValueError(f"{name}={width}: the AXI DMA streams only {', '.join(map(str, DMA_STREAM_WIDTHS))} bits")

    def block_design(self, spec, hls):
        dma = DMA_CELL
        cell = {"name": dma, "vlnv": AXI_DMA_VLNV, "comment":
                "AXI DMA, simple mode: MM2S feeds in_stream, S2MM takes out_stream",
                "props": [(k, _fmt(v)) for k, v in {
                    "c_include_sg": 0,
                    "c_sg_length_width": spec.dma_length_width,
                    "c_include_mm2s": 1,
                    "c_include_s2mm": 1,
                    "c_m_axis_mm2s_tdata_width": spec.in_width,
                    "c_s_axis_s2mm_tdata_width": spec.out_width,
                    "c_m_axi_mm2s_data_width": max(32, spec.in_width),
                    "c_m_axi_s2mm_data_width": max(32, spec.out_width),
                    "c_mm2s_burst_size": 16,
                    "c_s2mm_burst_size": 16,
                }.items()]}
        return BlockDesignParts(
            cells=[cell],
            memory_masters=[(f"{dma}/M_AXI_MM2S", f"{dma}/m_axi_mm2s_aclk"),
                            (f"{dma}/M_AXI_S2MM", f"{dma}/m_axi_s2mm_aclk")],
            control_slaves=[f"{dma}/S_AXI_LITE"],
            interrupts=[f"{dma}/mm2s_introut", f"{dma}/s2mm_introut"],
            bus_nets=[{"a": f"{dma}/M_AXIS_MM2S", "b": f"{hls}/in_stream"},
                      {"a": f"{hls}/out_stream", "b": f"{dma}/S_AXIS_S2MM"}],
            clocks=[f"{dma}/s_axi_lite_aclk", f"{dma}/m_axi_mm2s_aclk", f"{dma}/m_axi_s2mm_aclk"],
            resets=[f"{dma}/axi_resetn"],
        )


def _fmt(v) -> str:
    from ...hls_script import fmt_number

    return fmt_number(v)
