"""Reading the vendor tools' reports (hlsgen.report): the C-synthesis XML and Vivado's
utilization table, written here in the tools' documented layout (this machine has no
vendor tools), parsed, printed as hls4ml users read them, and found inside a project."""
from __future__ import annotations

import pytest

from hlsgen import report

CSYNTH = """<profile>
<ReportVersion><Version>2023.2</Version></ReportVersion>
<UserAssignments><unit>ns</unit><ProductFamily>zynq</ProductFamily><Part>xc7z020-clg400-1</Part>
<TopModelName>myproject</TopModelName><TargetClockPeriod>10.00</TargetClockPeriod>
<ClockUncertainty>2.70</ClockUncertainty></UserAssignments>
<PerformanceEstimates><SummaryOfTimingAnalysis><unit>ns</unit><EstimatedClockPeriod>6.312</EstimatedClockPeriod>
</SummaryOfTimingAnalysis><SummaryOfOverallLatency><unit>clock cycles</unit><Best-caseLatency>14</Best-caseLatency>
<Average-caseLatency>15</Average-caseLatency><Worst-caseLatency>17</Worst-caseLatency>
<Interval-min>3</Interval-min><Interval-max>4</Interval-max></SummaryOfOverallLatency></PerformanceEstimates>
<AreaEstimates><Resources><BRAM_18K>6</BRAM_18K><DSP>41</DSP><FF>5321</FF><LUT>9876</LUT><URAM>0</URAM></Resources>
<AvailableResources><BRAM_18K>280</BRAM_18K><DSP>220</DSP><FF>106400</FF><LUT>53200</LUT><URAM>0</URAM>
</AvailableResources></AreaEstimates>
</profile>
"""

UTILIZATION = """| Design       : myproject
| Device       : 7z020clg400-1
1. Slice Logic
+----------------------------+------+-------+-----------+-------+
|          Site Type         | Used | Fixed | Available | Util% |
+----------------------------+------+-------+-----------+-------+
| Slice LUTs*                | 4321 |     0 |     53200 |  8.12 |
|   LUT as Logic             | 4300 |     0 |     53200 |  8.08 |
| Slice Registers            | 3210 |     0 |    106400 |  3.02 |
+----------------------------+------+-------+-----------+-------+
2. Memory
| Block RAM Tile |  2.5 |     0 |       140 |  1.79 |
|   RAMB36/FIFO* |    2 |     0 |       140 |  1.43 |
|   RAMB18       |    1 |     0 |       280 |  0.36 |
3. DSP
| DSPs           |   39 |     0 |       220 | 17.73 |
"""


@pytest.fixture
def project(tmp_path):
    rep = tmp_path / "prj" / "myproject_prj" / "solution1" / "syn" / "report"
    rep.mkdir(parents=True)
    (rep / "myproject_csynth.xml").write_text(CSYNTH)
    (rep / "dense_csynth.xml").write_text(CSYNTH.replace("<DSP>41</DSP>", "<DSP>7</DSP>"))  # a sub-module's
    (tmp_path / "prj" / "vivado_synth.rpt").write_text(UTILIZATION)
    return tmp_path / "prj"


def test_read_csynth(project):
    r = report.read_csynth(project)
    assert (r["dsp"], r["lut"], r["ff"], r["bram_18k"], r["uram"]) == (41, 9876, 5321, 6, 0)
    assert (r["latency_min"], r["latency_max"], r["ii_min"], r["ii_max"]) == (14, 17, 3, 4)
    assert (r["clock_ns"], r["estimated_clock_ns"], r["part"], r["top"]) == (10.0, 6.312, "xc7z020-clg400-1",
                                                                             "myproject")


def test_parse_and_print_as_hls4ml_users_read_them(project, capsys):
    rep = report.parse_vivado_report(project)
    assert rep["CSynthesisReport"]["DSP"] == "41" and rep["CSynthesisReport"]["AvailableLUT"] == "53200"
    assert rep["VivadoSynthReport"] == {"LUT": "4321", "FF": "3210", "BRAM_18K": "5", "DSP48E": "39", "URAM": None}
    report.print_vivado_report(rep)
    bar = "=" * 54
    assert capsys.readouterr().out == (
        f"\n{bar}\n== C Synthesis report\n{bar}\n\n"
        " - Performance estimates:\n"
        "    Best-case latency:      14 (140.0 ns)\n"
        "    Worst-case latency:     17 (170.0 ns)\n"
        "    Interval Min:           3\n"
        "    Interval Max:           4\n"
        "    Estimated Clock Period: 6.312\n\n"
        " - Resource estimates:\n"
        "    BRAM_18K: 6 / 280 (2.1%)\n"
        "    DSP:      41 / 220 (18.6%)\n"
        "    FF:       5321 / 106400 (5.0%)\n"
        "    LUT:      9876 / 53200 (18.6%)\n"
        "    URAM:     N/A\n\n"
        f"{bar}\n== Vivado Synthesis report\n{bar}\n\n"
        " - Resource utilization:\n"
        "    BRAM_18K: 5\n"
        "    DSP48E:   39\n"
        "    FF:       3210\n"
        "    LUT:      4321\n"
        "    URAM:     N/A\n\n")


def test_missing_or_broken_reports(tmp_path):
    with pytest.raises(FileNotFoundError, match="run hm.build"):
        report.parse_vivado_report(tmp_path)
    bad = tmp_path / "x_csynth.xml"
    bad.write_text("<profile><broken>")
    with pytest.raises(ValueError, match="not a C-synthesis report"):
        report.read_csynth(bad)


def test_oneapi_report_functions_are_refused_with_the_reason(tmp_path):
    for fn, arg in ((report.parse_oneapi_report, tmp_path), (report.print_oneapi_report, {})):
        with pytest.raises(NotImplementedError, match="oneAPI .* is not a backend of hlsgen.*parse_vivado_report"):
            fn(arg)
