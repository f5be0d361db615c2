# Recording stand-ins for the HLS commands build_prj.tcl uses (source common.tcl first).
#
# Configuration keys (::standin_cfg):
#   log        file to write the call log to
#   tool       vivado_hls | vitis_hls: which tool this stand-in plays
#   part       the board file's part (set_part must use it)
#   top        the expected top function, period the expected clock period (ns)
#   fail_step  "" or one of csim_design csynth_design cosim_design export_design: fails like the tool
#
# Differences between the tools that are modelled:
#   - vivado_hls (<= 2020.1) has no -flow_target option on open_solution (unknown option error);
#   - vitis_hls: the Vivado IP flow is its default (UG1399), but hlsgen's script must name it
#     (-flow_target vivado) so that no init script or user default can make it a Vitis kernel.

namespace eval ::hh {
    variable prj ""
    variable top ""
    variable solution ""
    variable flow ""
    variable part ""
    variable period ""
    variable synthesized 0
    variable files {}
    variable tbfiles {}
}

proc ::hh::tool {} {
    return [::standin::cfg tool]
}

proc ::hh::need {cmd what} {
    switch -- $what {
        project {
            if {$::hh::prj eq ""} { ::standin::fail "$cmd before open_project" }
        }
        solution {
            if {$::hh::solution eq ""} { ::standin::fail "$cmd before open_solution" }
        }
    }
}

proc ::hh::maybe_fail {cmd} {
    if {[::standin::cfg fail_step ""] eq $cmd} {
        return -code error "ERROR: \[HLS 200-70\] $cmd failed (stand-in failure on demand)"
    }
}

proc open_project {args} {
    ::standin::record open_project {*}$args
    set o [::standin::opts open_project {-reset 0} $args]
    set name [lindex [dict get $o ""] 0]
    if {$name eq ""} {
        ::standin::fail "open_project without a name"
    }
    if {[dict exists $o -reset]} {
        file delete -force $name
    }
    file mkdir $name
    set ::hh::prj $name
    set ::hh::synthesized [file exists [file join $name solution1 syn report]]
}

proc set_top {args} {
    ::standin::record set_top {*}$args
    ::hh::need set_top project
    if {[llength $args] != 1} {
        ::standin::fail "set_top takes one name"
    }
    if {$args ne [::standin::cfg top]} {
        ::standin::fail "set_top $args, expected [::standin::cfg top]"
    }
    set ::hh::top $args
}

proc add_files {args} {
    ::standin::record add_files {*}$args
    ::hh::need add_files project
    set o [::standin::opts add_files {-tb 0 -cflags 1 -csimflags 1 -blackbox 1} $args]
    foreach f [dict get $o ""] {
        if {![file exists $f]} {
            ::standin::fail "add_files: $f does not exist (cwd [pwd])"
        }
        if {[dict exists $o -tb]} {
            lappend ::hh::tbfiles $f
        } else {
            lappend ::hh::files $f
        }
    }
}

proc open_solution {args} {
    ::standin::record open_solution {*}$args
    ::hh::need open_solution project
    if {[::hh::tool] eq "vivado_hls"} {
        set o [::standin::opts open_solution {-reset 0} $args]
    } else {
        set o [::standin::opts open_solution {-reset 0 -flow_target 1} $args]
        if {![dict exists $o -flow_target] || [dict get $o -flow_target] ne "vivado"} {
            ::standin::fail "vitis_hls open_solution without -flow_target vivado: the script must name the Vivado IP flow (the default) explicitly"
        }
        set ::hh::flow vivado
    }
    set name [lindex [dict get $o ""] 0]
    if {$name ne "solution1"} {
        ::standin::fail "open_solution $name: design.tcl expects solution1"
    }
    if {[dict exists $o -reset]} {
        file delete -force [file join $::hh::prj $name]
        set ::hh::synthesized 0
    }
    set ::hh::solution $name
}

proc set_part {args} {
    ::standin::record set_part {*}$args
    ::hh::need set_part solution
    set p [lindex $args 0]
    if {$p ne [::standin::cfg part]} {
        ::standin::fail "set_part $p, but the board file says [::standin::cfg part]"
    }
    set ::hh::part $p
}

proc create_clock {args} {
    ::standin::record create_clock {*}$args
    ::hh::need create_clock solution
    set o [::standin::opts create_clock {-period 1 -name 1} $args]
    if {![dict exists $o -period]} {
        ::standin::fail "create_clock without -period"
    }
    if {abs([dict get $o -period] - [::standin::cfg period]) > 1e-9} {
        ::standin::fail "create_clock -period [dict get $o -period], expected [::standin::cfg period]"
    }
    set ::hh::period [dict get $o -period]
}

proc set_clock_uncertainty {args} {
    ::standin::record set_clock_uncertainty {*}$args
    ::hh::need set_clock_uncertainty solution
}

proc config_interface {args} {
    ::standin::record config_interface {*}$args
    ::hh::need config_interface solution
    foreach a $args {
        if {$a ni {-m_axi_addr64 -m_axi_addr64=true}} { ::standin::fail "config_interface: unexpected option $a" }
    }
}

proc config_export {args} {
    ::standin::record config_export {*}$args
    ::hh::need config_export solution
    set o [::standin::opts config_export {-format 1 -rtl 1 -vendor 1 -library 1 -version 1
        -description 1 -display_name 1 -vivado_optimization_level 1} $args]
    if {[dict exists $o -format] && [dict get $o -format] ne "ip_catalog"} {
        ::standin::fail "config_export -format [dict get $o -format]"
    }
    if {[dict exists $o -rtl] && [dict get $o -rtl] ni {verilog vhdl}} {
        ::standin::fail "config_export -rtl [dict get $o -rtl]"
    }
}

proc ::hh::ready {cmd} {
    ::hh::need $cmd solution
    if {$::hh::top eq ""} { ::standin::fail "$cmd before set_top" }
    if {$::hh::part eq ""} { ::standin::fail "$cmd before set_part" }
    if {$::hh::period eq ""} { ::standin::fail "$cmd before create_clock" }
}

proc csim_design {args} {
    ::standin::record csim_design {*}$args
    ::hh::ready csim_design
    if {[llength $::hh::tbfiles] == 0} {
        ::standin::fail "csim_design without a testbench"
    }
    ::hh::maybe_fail csim_design
}

proc csynth_design {args} {
    ::standin::record csynth_design {*}$args
    ::hh::ready csynth_design
    if {[llength $::hh::files] == 0} {
        ::standin::fail "csynth_design without design files"
    }
    ::hh::maybe_fail csynth_design
    set d [file join $::hh::prj $::hh::solution syn report]
    file mkdir $d
    close [open [file join $d ${::hh::top}_csynth.rpt] w]
    set ::hh::synthesized 1
}

proc cosim_design {args} {
    ::standin::record cosim_design {*}$args
    ::hh::ready cosim_design
    if {!$::hh::synthesized} {
        return -code error "ERROR: \[COSIM 212-5\] *** C/RTL co-simulation requires a synthesized design"
    }
    ::hh::maybe_fail cosim_design
}

proc export_design {args} {
    ::standin::record export_design {*}$args
    ::hh::ready export_design
    set o [::standin::opts export_design {-format 1 -rtl 1 -flow 1 -vendor 1 -library 1 -version 1} $args]
    if {!$::hh::synthesized} {
        return -code error "ERROR: \[IMPL 213-28\] export_design requires a synthesized design"
    }
    if {[dict exists $o -format] && [dict get $o -format] ne "ip_catalog"} {
        ::standin::fail "export_design -format [dict get $o -format]"
    }
    ::hh::maybe_fail export_design
    set d [file join $::hh::prj $::hh::solution impl ip]
    file mkdir $d
    close [open [file join $d component.xml] w]
}

proc close_project {args} {
    ::standin::record close_project {*}$args
    set ::hh::prj ""
}

proc close_solution {args} {
    ::standin::record close_solution {*}$args
    set ::hh::solution ""
}
