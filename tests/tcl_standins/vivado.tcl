# Recording stand-ins for the Vivado commands design.tcl uses (source common.tcl first).
#
# The IP cells are modelled independently of hlsgen's board files: which pins a
# processing_system7 / zynq_ultra_ps_e cell has follows from its CONFIG properties as the
# Xilinx product guides describe them (PG082, PG201), the AXI DMA from PG021, interconnects
# from PG059/PG247, so a wrong property name in a board file leaves a pin missing and the
# run fails.  The accelerator's pins follow the interface contract given in the config.
#
# Configuration keys (::standin_cfg):
#   log            file to write the call log to
#   part           the part the board file names (create_project must use it)
#   board_part     the board_part the project must end up with
#   board_parts    dict: installed board_part -> the part it carries
#   ps_version     version of zynq_ultra_ps_e in the catalog (default 3.3)
#   vivado_version e.g. 2020.1 (hw_handoff under .srcs) or 2022.2 (under .gen)
#   hls_vlnv       the accelerator's VLNV, hls_ip_repo the directory it is exported to
#   hls_interface  axi_stream | axi_master | axi_lite, hls_reprogrammable 0|1
#   hls_in_width, hls_out_width  stream widths (bits) of the accelerator
#   pl_clock_mhz   the PL clock frequency the PS must be asked for
#   preset_clock_override  1 (default): the zynq_ultra_ps_e board preset sets PSU__OVERRIDE__BASIC_CLOCK=1
#                  and its own PL0 clock (100 MHz), as Avnet's Ultra96-V2 preset does; while the override
#                  is 1, a requested PSU__CRL_APB__PL<n>_REF_CTRL__FREQMHZ is ignored
#   fail_run       "" | synth_1 | impl_1: that run fails

namespace eval ::vv {
    variable project {}          ;# dict: name dir part board_part ip_repo_paths top files
    variable catalog {}          ;# list of VLNVs
    variable bd ""               ;# block design name
    variable cells {}            ;# dict cell -> dict vlnv kind config
    variable intf {}             ;# dict "cell/pin" -> peer "cell/pin" (or "external")
    variable nets {}             ;# list of lists of "cell/pin"
    variable step 0
    variable last_connect -1
    variable last_assign -1
    variable validated 0
    variable preset_applied 0
    variable wrapper ""
    variable runs {}             ;# dict run -> dict progress status dir
    variable launched 0
    variable ignored {}          ;# property settings the modelled IP ignored
}

proc ::vv::tick {} {
    incr ::vv::step
}

# ------------------------------------------------------------------ catalog
proc ::vv::init_catalog {} {
    set ::vv::catalog [list \
        xilinx.com:ip:processing_system7:5.5 \
        xilinx.com:ip:zynq_ultra_ps_e:[::standin::cfg ps_version 3.3] \
        xilinx.com:ip:axi_dma:7.1 \
        xilinx.com:ip:axi_interconnect:2.1 \
        xilinx.com:ip:smartconnect:1.0 \
        xilinx.com:ip:proc_sys_reset:5.0 \
        xilinx.com:ip:xlconcat:2.1]
}
::vv::init_catalog

proc ::vv::kind_of {vlnv} {
    if {$vlnv eq [::standin::cfg hls_vlnv]} {
        return hls
    }
    return [lindex [split $vlnv :] 2]
}

# ------------------------------------------------------------------ pin models
# A pin entry: list {type kind dir-or-mode width}
#   type intf: kind aximm|axilite|axis|ddr|fixed_io, mode master|slave, width (axis only)
#   type pin : kind clk|rst|intr|data, dir I|O
proc ::vv::cfgval {cell key default} {
    set c [dict get $::vv::cells $cell config]
    if {[dict exists $c $key]} {
        return [dict get $c $key]
    }
    return $default
}

proc ::vv::is_on {cell key default} {
    return [expr {[::vv::cfgval $cell $key $default] ne "0" && [string tolower [::vv::cfgval $cell $key $default]] ne "false"}]
}

# Known CONFIG names per IP kind (anything else is a typo as far as we know)
proc ::vv::known_props {kind} {
    switch -- $kind {
        processing_system7 {
            set k {PCW_USE_M_AXI_GP0 PCW_USE_M_AXI_GP1 PCW_USE_FABRIC_INTERRUPT PCW_IRQ_F2P_INTR}
            foreach n {0 1 2 3} {
                lappend k PCW_USE_S_AXI_HP$n PCW_S_AXI_HP${n}_DATA_WIDTH PCW_EN_CLK${n}_PORT \
                    PCW_EN_RST${n}_PORT PCW_FPGA${n}_PERIPHERAL_FREQMHZ
            }
            return $k
        }
        zynq_ultra_ps_e {
            set k {PSU__USE__IRQ0 PSU__USE__IRQ1 PSU__USE__FABRIC__RST PSU__OVERRIDE__BASIC_CLOCK}
            foreach n {0 1 2} {
                lappend k PSU__USE__M_AXI_GP$n PSU__MAXIGP${n}__DATA_WIDTH
            }
            foreach n {0 1 2 3 4 5 6} {
                lappend k PSU__USE__S_AXI_GP$n PSU__SAXIGP${n}__DATA_WIDTH
            }
            foreach n {0 1 2 3} {
                lappend k PSU__FPGA_PL${n}_ENABLE PSU__CRL_APB__PL${n}_REF_CTRL__FREQMHZ
            }
            return $k
        }
        axi_dma {
            return {c_include_sg c_sg_length_width c_include_mm2s c_include_s2mm
                c_m_axis_mm2s_tdata_width c_s_axis_s2mm_tdata_width c_m_axi_mm2s_data_width
                c_m_axi_s2mm_data_width c_mm2s_burst_size c_s2mm_burst_size c_addr_width
                c_sg_include_stscntrl_strm}
        }
        axi_interconnect { return {NUM_SI NUM_MI} }
        smartconnect     { return {NUM_SI NUM_MI NUM_CLKS} }
        xlconcat         { return {NUM_PORTS} }
        default          { return {} }
    }
}

proc ::vv::pins {cell} {
    set kind [dict get $::vv::cells $cell kind]
    set p [dict create]
    switch -- $kind {
        processing_system7 {
            dict set p DDR {intf ddr master 0}
            dict set p FIXED_IO {intf fixed_io master 0}
            if {[::vv::is_on $cell PCW_USE_M_AXI_GP0 1]} {
                dict set p M_AXI_GP0 {intf aximm master 0}
                dict set p M_AXI_GP0_ACLK {pin clk I 0}
            }
            if {[::vv::is_on $cell PCW_USE_M_AXI_GP1 0]} {
                dict set p M_AXI_GP1 {intf aximm master 0}
                dict set p M_AXI_GP1_ACLK {pin clk I 0}
            }
            foreach n {0 1 2 3} {
                if {[::vv::is_on $cell PCW_USE_S_AXI_HP$n 0]} {
                    dict set p S_AXI_HP$n {intf aximm slave 0}
                    dict set p S_AXI_HP${n}_ACLK {pin clk I 0}
                }
                if {[::vv::is_on $cell PCW_EN_CLK${n}_PORT [expr {$n == 0}]]} {
                    dict set p FCLK_CLK$n {pin clk O 0}
                }
                if {[::vv::is_on $cell PCW_EN_RST${n}_PORT [expr {$n == 0}]]} {
                    dict set p FCLK_RESET${n}_N {pin rst O 0}
                }
            }
            if {[::vv::is_on $cell PCW_USE_FABRIC_INTERRUPT 0] && [::vv::is_on $cell PCW_IRQ_F2P_INTR 0]} {
                dict set p IRQ_F2P {pin intr I 0}
            }
        }
        zynq_ultra_ps_e {
            foreach {n name clk} {0 M_AXI_HPM0_FPD maxihpm0_fpd_aclk 1 M_AXI_HPM1_FPD maxihpm1_fpd_aclk
                                  2 M_AXI_HPM0_LPD maxihpm0_lpd_aclk} {
                # a fresh PS (and the ZCU10x / Ultra96 presets) has the FPD masters on
                if {[::vv::is_on $cell PSU__USE__M_AXI_GP$n [expr {$n < 2}]]} {
                    dict set p $name {intf aximm master 0}
                    dict set p $clk {pin clk I 0}
                }
            }
            foreach {n name clk} {0 S_AXI_HPC0_FPD saxihpc0_fpd_aclk 1 S_AXI_HPC1_FPD saxihpc1_fpd_aclk
                                  2 S_AXI_HP0_FPD saxihp0_fpd_aclk 3 S_AXI_HP1_FPD saxihp1_fpd_aclk
                                  4 S_AXI_HP2_FPD saxihp2_fpd_aclk 5 S_AXI_HP3_FPD saxihp3_fpd_aclk
                                  6 S_AXI_LPD saxi_lpd_aclk} {
                if {[::vv::is_on $cell PSU__USE__S_AXI_GP$n 0]} {
                    dict set p $name {intf aximm slave 0}
                    dict set p $clk {pin clk I 0}
                }
            }
            foreach n {0 1 2 3} {
                if {[::vv::is_on $cell PSU__FPGA_PL${n}_ENABLE [expr {$n == 0}]]} {
                    dict set p pl_clk$n {pin clk O 0}
                }
            }
            if {[::vv::is_on $cell PSU__USE__FABRIC__RST 1]} {
                dict set p pl_resetn0 {pin rst O 0}
            }
            if {[::vv::is_on $cell PSU__USE__IRQ0 0]} {
                dict set p pl_ps_irq0 {pin intr I 0}
            }
        }
        axi_dma {
            dict set p S_AXI_LITE {intf axilite slave 0}
            dict set p s_axi_lite_aclk {pin clk I 0}
            dict set p axi_resetn {pin rst I 0}
            if {[::vv::is_on $cell c_include_sg 1]} {
                dict set p M_AXI_SG {intf aximm master 0}
                dict set p m_axi_sg_aclk {pin clk I 0}
            }
            if {[::vv::is_on $cell c_include_mm2s 1]} {
                dict set p M_AXI_MM2S {intf aximm master 0}
                dict set p m_axi_mm2s_aclk {pin clk I 0}
                dict set p M_AXIS_MM2S [list intf axis master [::vv::cfgval $cell c_m_axis_mm2s_tdata_width 32]]
                dict set p mm2s_introut {pin intr O 0}
                dict set p mm2s_prmry_reset_out_n {pin rst O 0}
            }
            if {[::vv::is_on $cell c_include_s2mm 1]} {
                dict set p M_AXI_S2MM {intf aximm master 0}
                dict set p m_axi_s2mm_aclk {pin clk I 0}
                dict set p S_AXIS_S2MM [list intf axis slave [::vv::cfgval $cell c_s_axis_s2mm_tdata_width 32]]
                dict set p s2mm_introut {pin intr O 0}
                dict set p s2mm_prmry_reset_out_n {pin rst O 0}
            }
        }
        axi_interconnect {
            dict set p ACLK {pin clk I 0}
            dict set p ARESETN {pin rst I 0}
            for {set i 0} {$i < [::vv::cfgval $cell NUM_SI 1]} {incr i} {
                set s [format S%02d $i]
                dict set p ${s}_AXI {intf aximm slave 0}
                dict set p ${s}_ACLK {pin clk I 0}
                dict set p ${s}_ARESETN {pin rst I 0}
            }
            for {set i 0} {$i < [::vv::cfgval $cell NUM_MI 2]} {incr i} {
                set m [format M%02d $i]
                dict set p ${m}_AXI {intf aximm master 0}
                dict set p ${m}_ACLK {pin clk I 0}
                dict set p ${m}_ARESETN {pin rst I 0}
            }
        }
        smartconnect {
            dict set p aclk {pin clk I 0}
            dict set p aresetn {pin rst I 0}
            for {set i 0} {$i < [::vv::cfgval $cell NUM_SI 1]} {incr i} {
                dict set p [format S%02d_AXI $i] {intf aximm slave 0}
            }
            for {set i 0} {$i < [::vv::cfgval $cell NUM_MI 1]} {incr i} {
                dict set p [format M%02d_AXI $i] {intf aximm master 0}
            }
        }
        proc_sys_reset {
            dict set p slowest_sync_clk {pin clk I 0}
            dict set p ext_reset_in {pin rst I 0}
            dict set p aux_reset_in {pin rst I 0}
            dict set p mb_debug_sys_rst {pin rst I 0}
            dict set p dcm_locked {pin data I 0}
            dict set p mb_reset {pin rst O 0}
            dict set p bus_struct_reset {pin rst O 0}
            dict set p peripheral_reset {pin rst O 0}
            dict set p interconnect_aresetn {pin rst O 0}
            dict set p peripheral_aresetn {pin rst O 0}
        }
        xlconcat {
            for {set i 0} {$i < [::vv::cfgval $cell NUM_PORTS 2]} {incr i} {
                dict set p In$i {pin intr I 0}
            }
            dict set p dout {pin intr O 0}
        }
        hls {
            dict set p ap_clk {pin clk I 0}
            dict set p ap_rst_n {pin rst I 0}
            dict set p interrupt {pin intr O 0}
            dict set p s_axi_control {intf axilite slave 0}
            switch -- [::standin::cfg hls_interface] {
                axi_stream {
                    dict set p in_stream [list intf axis slave [::standin::cfg hls_in_width]]
                    dict set p out_stream [list intf axis master [::standin::cfg hls_out_width]]
                }
                axi_master {
                    dict set p m_axi_gmem_in {intf aximm master 0}
                    dict set p m_axi_gmem_out {intf aximm master 0}
                }
                axi_lite {}
                default { error "standin: bad hls_interface" }
            }
            if {[::standin::cfg hls_reprogrammable 0]} {
                dict set p m_axi_gmem_w {intf aximm master 0}
            }
        }
        default {
            ::standin::fail "no pin model for IP kind $kind"
        }
    }
    return $p
}

# Pins that must be connected for validate_bd_design to pass (inputs that need a driver,
# and every bus interface except where noted).
proc ::vv::required {cell} {
    set kind [dict get $::vv::cells $cell kind]
    set req {}
    dict for {name e} [::vv::pins $cell] {
        lassign $e type k d
        if {$type eq "intf"} {
            # an enabled PS AXI port may stay unused (only its clock must be driven)
            if {$kind ni {processing_system7 zynq_ultra_ps_e} || $k in {ddr fixed_io}} {
                lappend req $name
            }
        } elseif {$d eq "I"} {
            switch -- $kind {
                proc_sys_reset {
                    if {$name in {slowest_sync_clk ext_reset_in}} { lappend req $name }
                }
                processing_system7 - zynq_ultra_ps_e {
                    # every enabled AXI port's clock must be driven; the IRQ input may float
                    if {$k eq "clk"} { lappend req $name }
                }
                default { lappend req $name }
            }
        }
    }
    # (an enabled PS AXI port may stay unused, but its clock is required above; DDR and
    # FIXED_IO of processing_system7 are interfaces, so they must be made external)
    return $req
}

# ------------------------------------------------------------------ object handles
proc ::vv::need_bd {cmd} {
    if {$::vv::bd eq ""} {
        ::standin::fail "$cmd before create_bd_design"
    }
}

proc ::vv::pin_entry {path} {
    set parts [split [string trimleft $path /] /]
    if {[llength $parts] != 2} {
        return ""
    }
    lassign $parts cell pin
    if {![dict exists $::vv::cells $cell]} {
        return ""
    }
    set p [::vv::pins $cell]
    if {![dict exists $p $pin]} {
        return ""
    }
    return [dict get $p $pin]
}

proc ::vv::strip {path} {
    return [string trimleft $path /]
}

# ------------------------------------------------------------------ project commands
proc version {args} {
    ::standin::record version {*}$args
    return [::standin::cfg vivado_version 2020.1]
}

proc create_project {args} {
    ::standin::record create_project {*}$args
    set o [::standin::opts create_project {-part 1 -force 0 -in_memory 0} $args]
    lassign [dict get $o ""] name dir
    if {$name eq "" || $dir eq ""} {
        ::standin::fail "create_project needs a name and a directory"
    }
    if {![dict exists $o -part]} {
        ::standin::fail "create_project without -part"
    }
    if {[dict get $o -part] ne [::standin::cfg part]} {
        ::standin::fail "create_project -part [dict get $o -part], but the board file says [::standin::cfg part]"
    }
    if {[file exists [file join $dir $name.xpr]] && ![dict exists $o -force]} {
        ::standin::fail "create_project: project exists and no -force"
    }
    file mkdir $dir
    close [open [file join $dir $name.xpr] w]
    set ::vv::project [dict create name $name dir [file normalize $dir] part [dict get $o -part] \
        board_part "" board_connections "" ip_repo_paths {} top "" files {}]
    foreach r {synth_1 impl_1} {
        dict set ::vv::runs $r [dict create progress 0% status "Not started" \
            dir [file join [file normalize $dir] $name.runs $r]]
    }
    return $name
}

proc current_project {args} {
    ::standin::record current_project {*}$args
    if {$::vv::project eq ""} {
        ::standin::fail "current_project: no project open"
    }
    return "project:[dict get $::vv::project name]"
}

proc current_fileset {args} {
    ::standin::record current_fileset {*}$args
    return "fileset:sources_1"
}

proc get_board_parts {args} {
    ::standin::record get_board_parts {*}$args
    set o [::standin::opts get_board_parts {-quiet 0 -latest_file_version 0 -filter 1} $args]
    set out {}
    foreach pat [dict get $o ""] {
        foreach bp [dict keys [::standin::cfg board_parts]] {
            if {[string match $pat $bp]} {
                lappend out $bp
            }
        }
    }
    return [lsort -unique $out]
}

proc get_ipdefs {args} {
    ::standin::record get_ipdefs {*}$args
    set o [::standin::opts get_ipdefs {-all 0 -quiet 0 -filter 1 -name 0} $args]
    set out {}
    set pats [dict get $o ""]
    set filter ""
    if {[dict exists $o -filter]} {
        set filter [dict get $o -filter]
        if {[regexp {^VLNV\s*==\s*"?([^"]+)"?$} $filter -> v]} {
            lappend pats $v
        } elseif {[regexp {^VLNV\s*=~\s*"?([^"]+)"?$} $filter -> v]} {
            lappend pats $v
        } else {
            ::standin::fail "get_ipdefs: filter '$filter' not understood by the stand-in"
        }
    }
    foreach v $::vv::catalog {
        foreach pat $pats {
            if {[string match $pat $v]} {
                lappend out $v
            }
        }
    }
    return [lsort -unique $out]
}

proc update_ip_catalog {args} {
    ::standin::record update_ip_catalog {*}$args
    ::standin::opts update_ip_catalog {-rebuild 0 -scan_changes 0 -quiet 0} $args
    set want [file normalize [::standin::cfg hls_ip_repo]]
    foreach r [dict get $::vv::project ip_repo_paths] {
        if {[file normalize $r] eq $want && [file isdirectory $want]} {
            if {[::standin::cfg hls_vlnv] ni $::vv::catalog} {
                lappend ::vv::catalog [::standin::cfg hls_vlnv]
            }
        }
    }
}

proc get_property {args} {
    ::standin::record get_property {*}$args
    set o [::standin::opts get_property {-quiet 0} $args]
    lassign [dict get $o ""] name obj
    set name [string tolower $name]
    if {[string match project:* $obj]} {
        switch -- $name {
            part          { return [dict get $::vv::project part] }
            directory     { return [dict get $::vv::project dir] }
            name          { return [dict get $::vv::project name] }
            board_part    { return [dict get $::vv::project board_part] }
            ip_repo_paths { return [dict get $::vv::project ip_repo_paths] }
        }
    } elseif {[string match run:* $obj]} {
        set r [string range $obj 4 end]
        switch -- $name {
            progress  { return [dict get $::vv::runs $r progress] }
            status    { return [dict get $::vv::runs $r status] }
            directory { return [dict get $::vv::runs $r dir] }
        }
    }
    ::standin::fail "get_property $name of '$obj' is not modelled"
}

proc set_property {args} {
    ::standin::record set_property {*}$args
    set o [::standin::opts set_property {-dict 1 -quiet 0 -name 1 -value 1 -objects 1} $args]
    set pos [dict get $o ""]
    if {[dict exists $o -dict]} {
        set d [dict get $o -dict]
        set objs [lindex $pos 0]
        if {[llength $d] % 2} {
            ::standin::fail "set_property -dict with an odd-length list"
        }
    } else {
        lassign $pos name value objs
        set d [list $name $value]
    }
    if {[llength $objs] == 0} {
        ::standin::fail "set_property [lindex $d 0] on no object (an empty get_bd_cells?)"
    }
    foreach obj $objs {
        foreach {k v} $d {
            ::vv::set_one $obj $k $v
        }
    }
}

proc ::vv::set_one {obj k v} {
    if {[string match project:* $obj]} {
        switch -- [string tolower $k] {
            board_part {
                set bps [::standin::cfg board_parts]
                if {![dict exists $bps $v]} {
                    ::standin::fail "board_part $v is not installed (installed: [dict keys $bps])"
                }
                dict set ::vv::project board_part $v
                dict set ::vv::project part [dict get $bps $v]
            }
            board_connections {
                if {[dict get $::vv::project board_part] eq ""} {
                    ::standin::fail "board_connections set before board_part"
                }
                dict set ::vv::project board_connections $v
            }
            ip_repo_paths {
                foreach r $v {
                    if {![file isdirectory $r]} {
                        ::standin::fail "ip_repo_paths: $r is not a directory"
                    }
                }
                dict set ::vv::project ip_repo_paths $v
            }
            default { ::standin::fail "project property $k is not modelled" }
        }
        return
    }
    if {[string match fileset:* $obj]} {
        if {[string tolower $k] ne "top"} {
            ::standin::fail "fileset property $k is not modelled"
        }
        dict set ::vv::project top $v
        return
    }
    # a block-design cell
    if {![dict exists $::vv::cells $obj]} {
        ::standin::fail "set_property $k on '$obj', which is not a cell that was created"
    }
    if {![string match CONFIG.* $k]} {
        ::standin::fail "set_property $k on cell $obj: only CONFIG.* is modelled"
    }
    set key [string range $k 7 end]
    set kind [dict get $::vv::cells $obj kind]
    if {$key ni [::vv::known_props $kind]} {
        ::standin::fail "cell $obj ($kind) has no property CONFIG.$key"
    }
    if {$kind eq "zynq_ultra_ps_e" && [string match PSU__CRL_APB__PL*_REF_CTRL__FREQMHZ $key]
            && [::vv::is_on $obj PSU__OVERRIDE__BASIC_CLOCK 0]} {
        lappend ::vv::ignored "$obj: CONFIG.$key $v ignored (PSU__OVERRIDE__BASIC_CLOCK is 1)"
        return
    }
    dict set ::vv::cells $obj config $key $v
}

# ------------------------------------------------------------------ block design
proc create_bd_design {args} {
    ::standin::record create_bd_design {*}$args
    set name [lindex $args end]
    if {$::vv::project eq ""} {
        ::standin::fail "create_bd_design without a project"
    }
    set ::vv::bd $name
    return $name
}

proc current_bd_design {args} {
    ::standin::record current_bd_design {*}$args
    return $::vv::bd
}

proc startgroup {args} { ::standin::record startgroup {*}$args }
proc endgroup {args} { ::standin::record endgroup {*}$args }

proc create_bd_cell {args} {
    ::standin::record create_bd_cell {*}$args
    ::vv::need_bd create_bd_cell
    set o [::standin::opts create_bd_cell {-type 1 -vlnv 1 -reference 1} $args]
    set name [lindex [dict get $o ""] 0]
    if {[dict get $o -type] ne "ip" || ![dict exists $o -vlnv]} {
        ::standin::fail "create_bd_cell: only -type ip -vlnv is modelled"
    }
    set vlnv [dict get $o -vlnv]
    if {$vlnv ni $::vv::catalog} {
        ::standin::fail "create_bd_cell: $vlnv is not in the IP catalog"
    }
    if {[dict exists $::vv::cells $name]} {
        ::standin::fail "create_bd_cell: a cell named $name exists already"
    }
    dict set ::vv::cells $name [dict create vlnv $vlnv kind [::vv::kind_of $vlnv] config {}]
    ::vv::tick
    return $name
}

proc get_bd_cells {args} {
    ::standin::record get_bd_cells {*}$args
    set o [::standin::opts get_bd_cells {-quiet 0 -hierarchical 0} $args]
    set out {}
    foreach n [dict get $o ""] {
        set n [::vv::strip $n]
        if {[dict exists $::vv::cells $n]} {
            lappend out $n
        } elseif {![dict exists $o -quiet]} {
            ::standin::fail "get_bd_cells: no cell $n"
        }
    }
    return $out
}

proc ::vv::get_pins {cmd want args} {
    set o [::standin::opts $cmd {-quiet 0} $args]
    set out {}
    foreach path [dict get $o ""] {
        set path [::vv::strip $path]
        set e [::vv::pin_entry $path]
        if {$e eq "" || [lindex $e 0] ne $want} {
            if {[dict exists $o -quiet]} {
                continue
            }
            set cell [lindex [split $path /] 0]
            if {![dict exists $::vv::cells $cell]} {
                ::standin::fail "$cmd $path: cell $cell was not created"
            }
            set have {}
            dict for {n pe} [::vv::pins $cell] {
                if {[lindex $pe 0] eq $want} {
                    lappend have $n
                }
            }
            ::standin::fail "$cmd $path: [dict get $::vv::cells $cell kind] cell $cell has no such $want pin (has: [lsort $have])"
        }
        lappend out "$want:$path"
    }
    return $out
}

proc get_bd_pins {args} {
    ::standin::record get_bd_pins {*}$args
    return [::vv::get_pins get_bd_pins pin {*}$args]
}

proc get_bd_intf_pins {args} {
    ::standin::record get_bd_intf_pins {*}$args
    return [::vv::get_pins get_bd_intf_pins intf {*}$args]
}

proc apply_bd_automation {args} {
    ::standin::record apply_bd_automation {*}$args
    set o [::standin::opts apply_bd_automation {-rule 1 -config 1 -dict 1} $args]
    set cells [lindex [dict get $o ""] 0]
    if {[llength $cells] != 1} {
        ::standin::fail "apply_bd_automation on [llength $cells] objects"
    }
    set cell [lindex $cells 0]
    set kind [dict get $::vv::cells $cell kind]
    set rule [dict get $o -rule]
    if {$rule ne "xilinx.com:bd_rule:$kind"} {
        ::standin::fail "apply_bd_automation: rule $rule does not apply to a $kind cell"
    }
    set c [dict get $o -config]
    if {[llength $c] % 2} {
        ::standin::fail "apply_bd_automation -config is not key/value pairs"
    }
    if {[dict exists $c apply_board_preset] && [dict get $c apply_board_preset] eq "1"} {
        if {[dict get $::vv::project board_part] eq ""} {
            ::standin::fail "apply_board_preset without a board_part"
        }
        set ::vv::preset_applied 1
        if {$kind eq "zynq_ultra_ps_e"} {
            # the ZCU102 / ZCU104 / Ultra96 presets turn both FPD masters on
            dict set ::vv::cells $cell config PSU__USE__M_AXI_GP0 1
            dict set ::vv::cells $cell config PSU__USE__M_AXI_GP1 1
            if {[::standin::cfg preset_clock_override 1]} {
                dict set ::vv::cells $cell config PSU__OVERRIDE__BASIC_CLOCK 1
                dict set ::vv::cells $cell config PSU__CRL_APB__PL0_REF_CTRL__FREQMHZ 100
            }
        }
    }
    if {[dict exists $c make_external]} {
        foreach i [split [dict get $c make_external] ,] {
            set i [string trim $i]
            if {[::vv::pin_entry $cell/$i] eq ""} {
                ::standin::fail "apply_bd_automation make_external: $cell has no interface $i"
            }
            dict set ::vv::intf $cell/$i external
        }
    }
}

proc ::vv::bus_of {e} {
    set k [lindex $e 1]
    if {$k in {aximm axilite}} {
        return aximm
    }
    return $k
}

proc connect_bd_intf_net {args} {
    ::standin::record connect_bd_intf_net {*}$args
    ::vv::need_bd connect_bd_intf_net
    set o [::standin::opts connect_bd_intf_net {-intf_net 1 -boundary_type 1} $args]
    set objs [dict get $o ""]
    if {[llength $objs] != 2} {
        ::standin::fail "connect_bd_intf_net needs exactly two interface pins, got [llength $objs]: $objs"
    }
    set ends {}
    foreach obj $objs {
        if {![string match intf:* $obj]} {
            ::standin::fail "connect_bd_intf_net: '$obj' is not an interface pin (use get_bd_intf_pins)"
        }
        set path [string range $obj 5 end]
        set e [::vv::pin_entry $path]
        if {$e eq ""} {
            ::standin::fail "connect_bd_intf_net: $path does not exist (any more)"
        }
        if {[dict exists $::vv::intf $path]} {
            ::standin::fail "connect_bd_intf_net: $path is connected already (to [dict get $::vv::intf $path])"
        }
        lappend ends $path $e
    }
    lassign $ends pa ea pb eb
    if {[::vv::bus_of $ea] ne [::vv::bus_of $eb]} {
        ::standin::fail "connect_bd_intf_net: $pa ([lindex $ea 1]) and $pb ([lindex $eb 1]) are different bus types"
    }
    if {[lsort [list [lindex $ea 2] [lindex $eb 2]]] ne {master slave}} {
        ::standin::fail "connect_bd_intf_net: $pa and $pb are both [lindex $ea 2]s"
    }
    dict set ::vv::intf $pa $pb
    dict set ::vv::intf $pb $pa
    set ::vv::last_connect [::vv::tick]
}

proc connect_bd_net {args} {
    ::standin::record connect_bd_net {*}$args
    ::vv::need_bd connect_bd_net
    set o [::standin::opts connect_bd_net {-net 1} $args]
    set objs [dict get $o ""]
    if {[llength $objs] < 2} {
        ::standin::fail "connect_bd_net needs at least two pins, got: $objs"
    }
    set paths {}
    foreach obj $objs {
        if {![string match pin:* $obj]} {
            ::standin::fail "connect_bd_net: '$obj' is not a pin (use get_bd_pins)"
        }
        lappend paths [string range $obj 4 end]
    }
    # merge with any net these pins are on already
    set merged $paths
    set keep {}
    foreach n $::vv::nets {
        set hit 0
        foreach p $paths {
            if {$p in $n} {
                set hit 1
            }
        }
        if {$hit} {
            set merged [concat $merged $n]
        } else {
            lappend keep $n
        }
    }
    set merged [lsort -unique $merged]
    set drivers {}
    set kinds {}
    foreach p $merged {
        set e [::vv::pin_entry $p]
        if {[lindex $e 2] eq "O"} {
            lappend drivers $p
        }
        lappend kinds [lindex $e 1]
    }
    if {[llength $drivers] != 1} {
        ::standin::fail "connect_bd_net: net {$merged} has [llength $drivers] drivers ($drivers)"
    }
    set dk [lindex [::vv::pin_entry [lindex $drivers 0]] 1]
    foreach p $merged {
        set k [lindex [::vv::pin_entry $p] 1]
        if {$k ne $dk && !($k eq "data")} {
            ::standin::fail "connect_bd_net: $p ($k) driven by [lindex $drivers 0] ($dk)"
        }
    }
    lappend keep $merged
    set ::vv::nets $keep
    set ::vv::last_connect [::vv::tick]
}

proc assign_bd_address {args} {
    ::standin::record assign_bd_address {*}$args
    ::vv::need_bd assign_bd_address
    set ::vv::last_assign [::vv::tick]
}

proc ::vv::on_net {path} {
    foreach n $::vv::nets {
        if {$path in $n} {
            return 1
        }
    }
    return 0
}

proc validate_bd_design {args} {
    ::standin::record validate_bd_design {*}$args
    ::vv::need_bd validate_bd_design
    set errs {}
    if {$::vv::last_assign < $::vv::last_connect} {
        lappend errs "assign_bd_address was not run after the last connection"
    }
    # every required pin connected, everything connected still exists
    dict for {cell c} $::vv::cells {
        foreach r [::vv::required $cell] {
            set e [::vv::pin_entry $cell/$r]
            if {[lindex $e 0] eq "intf"} {
                if {![dict exists $::vv::intf $cell/$r]} {
                    lappend errs "interface $cell/$r is not connected"
                }
            } elseif {![::vv::on_net $cell/$r]} {
                lappend errs "pin $cell/$r is not connected"
            }
        }
    }
    dict for {p peer} $::vv::intf {
        if {[::vv::pin_entry $p] eq ""} {
            lappend errs "interface $p was connected but no longer exists"
        }
    }
    foreach n $::vv::nets {
        foreach p $n {
            if {[::vv::pin_entry $p] eq ""} {
                lappend errs "pin $p was connected but no longer exists"
            }
        }
    }
    # stream widths must agree end to end
    dict for {p peer} $::vv::intf {
        if {$peer eq "external"} {
            continue
        }
        set a [::vv::pin_entry $p]
        set b [::vv::pin_entry $peer]
        if {[lindex $a 1] eq "axis" && [lindex $a 3] != [lindex $b 3]} {
            lappend errs "stream $p is [lindex $a 3] bits wide but $peer is [lindex $b 3]"
        }
        # AXI4 (burst) masters cannot talk straight to an AXI4-Lite slave
        if {[lindex $a 1] eq "axilite" && [lindex $b 1] eq "aximm" && [lindex $b 2] eq "master"} {
            set bc [lindex [split $peer /] 0]
            if {[dict get $::vv::cells $bc kind] ni {axi_interconnect smartconnect}} {
                lappend errs "AXI4 master $peer drives AXI4-Lite slave $p without an interconnect"
            }
        }
    }
    # design rules hlsgen promises
    dict for {cell c} $::vv::cells {
        switch -- [dict get $c kind] {
            axi_dma {
                if {[::vv::cfgval $cell c_include_sg 1] ne "0"} {
                    lappend errs "$cell: DMA not in simple mode (c_include_sg != 0)"
                }
                set lw [::vv::cfgval $cell c_sg_length_width 14]
                if {$lw < 23 || $lw > 26} {
                    lappend errs "$cell: buffer length register is $lw bits (want 23..26)"
                }
                foreach {s m} {c_m_axis_mm2s_tdata_width c_m_axi_mm2s_data_width
                               c_s_axis_s2mm_tdata_width c_m_axi_s2mm_data_width} {
                    set sw [::vv::cfgval $cell $s 32]
                    if {$sw ni {8 16 32 64 128 256 512 1024}} {
                        lappend errs "$cell: $s=$sw is not a DMA stream width"
                    }
                    if {[::vv::cfgval $cell $m 32] < $sw} {
                        lappend errs "$cell: $m narrower than $s"
                    }
                }
            }
            processing_system7 {
                foreach n {0 1 2 3} {
                    set w [::vv::cfgval $cell PCW_S_AXI_HP${n}_DATA_WIDTH 64]
                    if {$w ni {32 64}} {
                        lappend errs "$cell: HP$n data width $w (32 or 64)"
                    }
                }
                ::vv::check_clock $cell PCW_FPGA0_PERIPHERAL_FREQMHZ errs
                foreach i {DDR FIXED_IO} {
                    if {![dict exists $::vv::intf $cell/$i]} {
                        lappend errs "$cell/$i not made external"
                    }
                }
            }
            zynq_ultra_ps_e {
                foreach n {0 1 2 3 4 5 6} {
                    set w [::vv::cfgval $cell PSU__SAXIGP${n}__DATA_WIDTH 128]
                    if {$w ni {32 64 128}} {
                        lappend errs "$cell: S_AXI_GP$n data width $w (32, 64 or 128)"
                    }
                }
                ::vv::check_clock $cell PSU__CRL_APB__PL0_REF_CTRL__FREQMHZ errs
            }
        }
    }
    if {[llength $errs] > 0} {
        foreach e $errs {
            ::standin::note "validate_bd_design: $e"
        }
        return -code error "STANDIN VIOLATION: validate_bd_design failed: [join $errs {; }]"
    }
    set ::vv::validated 1
    return ""
}

proc ::vv::check_clock {cell key errsVar} {
    upvar $errsVar errs
    set want [::standin::cfg pl_clock_mhz]
    set have [::vv::cfgval $cell $key ""]
    if {$have eq "" || abs($have - $want) > 1e-6} {
        lappend errs "$cell: $key is '$have', want $want MHz[join [concat {""} $::vv::ignored] {; }]"
    }
}

proc save_bd_design {args} {
    ::standin::record save_bd_design {*}$args
}

proc regenerate_bd_layout {args} {
    ::standin::record regenerate_bd_layout {*}$args
}

# ------------------------------------------------------------------ files, wrapper, runs
proc ::vv::gen_sub {} {
    # Vivado 2020.2 moved generated files from <name>.srcs to <name>.gen
    set v [::standin::cfg vivado_version 2020.1]
    if {[package vcompare $v 2020.2] >= 0} {
        return gen
    }
    return srcs
}

proc ::vv::bd_dir {sub} {
    set name [dict get $::vv::project name]
    return [file join [dict get $::vv::project dir] $name.$sub sources_1 bd $::vv::bd]
}

proc get_files {args} {
    ::standin::record get_files {*}$args
    set o [::standin::opts get_files {-quiet 0 -norecurse 0 -of_objects 1} $args]
    set pat [lindex [dict get $o ""] 0]
    if {$::vv::bd ne "" && [string match $pat $::vv::bd.bd]} {
        return [file join [::vv::bd_dir srcs] $::vv::bd.bd]
    }
    foreach f [dict get $::vv::project files] {
        if {[string match $pat [file tail $f]]} {
            return $f
        }
    }
    ::standin::fail "get_files $pat: no such file in the project"
}

proc make_wrapper {args} {
    ::standin::record make_wrapper {*}$args
    set o [::standin::opts make_wrapper {-files 1 -top 0 -force 0 -fileset 1 -import 0} $args]
    if {[dict get $o -files] ne [file join [::vv::bd_dir srcs] $::vv::bd.bd]} {
        ::standin::fail "make_wrapper -files [dict get $o -files]: not the block design file"
    }
    if {!$::vv::validated} {
        ::standin::fail "make_wrapper before a successful validate_bd_design"
    }
    set w [file join [::vv::bd_dir [::vv::gen_sub]] hdl ${::vv::bd}_wrapper.v]
    set ::vv::wrapper $w
    return $w
}

proc add_files {args} {
    ::standin::record add_files {*}$args
    set o [::standin::opts add_files {-norecurse 0 -fileset 1 -quiet 0} $args]
    foreach f [dict get $o ""] {
        if {$f eq ""} {
            ::standin::fail "add_files with an empty file name"
        }
        dict lappend ::vv::project files $f
    }
}

proc update_compile_order {args} {
    ::standin::record update_compile_order {*}$args
}

proc get_runs {args} {
    ::standin::record get_runs {*}$args
    set r [lindex $args end]
    if {![dict exists $::vv::runs $r]} {
        ::standin::fail "get_runs: no run $r"
    }
    return "run:$r"
}

proc launch_runs {args} {
    ::standin::record launch_runs {*}$args
    set o [::standin::opts launch_runs {-to_step 1 -jobs 1 -quiet 0} $args]
    set run [lindex [dict get $o ""] 0]
    if {$run ne "impl_1"} {
        ::standin::fail "launch_runs $run: expected impl_1"
    }
    if {[dict get $o -to_step] ne "write_bitstream"} {
        ::standin::fail "launch_runs without -to_step write_bitstream"
    }
    if {![string is integer -strict [dict get $o -jobs]] || [dict get $o -jobs] < 1} {
        ::standin::fail "launch_runs -jobs [dict get $o -jobs]"
    }
    if {!$::vv::validated} {
        ::standin::fail "launch_runs before validate_bd_design"
    }
    if {$::vv::wrapper eq "" || $::vv::wrapper ni [dict get $::vv::project files]} {
        ::standin::fail "launch_runs before the HDL wrapper was added to the project"
    }
    set top [dict get $::vv::project top]
    if {$top ne "${::vv::bd}_wrapper"} {
        ::standin::fail "launch_runs with top '$top', not the block design wrapper"
    }
    set ::vv::launched 1
    set fail [::standin::cfg fail_run ""]
    foreach r {synth_1 impl_1} {
        set dir [dict get $::vv::runs $r dir]
        file mkdir $dir
        set f [open [file join $dir runme.log] w]
        puts $f "stand-in log of $r"
        close $f
        if {$r eq $fail} {
            dict set ::vv::runs $r progress 0%
            dict set ::vv::runs $r status "[expr {$r eq {synth_1} ? {synth_design} : {route_design}}] ERROR"
            if {$r eq "synth_1"} {
                dict set ::vv::runs impl_1 status "Not started"
                file mkdir [dict get $::vv::runs impl_1 dir]
            }
            return
        }
        dict set ::vv::runs $r progress 100%
        dict set ::vv::runs $r status [expr {$r eq {synth_1} ? {synth_design Complete!} : {write_bitstream Complete!}}]
    }
    set impl [dict get $::vv::runs impl_1 dir]
    set f [open [file join $impl $top.bit] w]
    puts $f "stand-in bitstream"
    close $f
    set hh [file join [::vv::bd_dir [::vv::gen_sub]] hw_handoff]
    file mkdir $hh
    set f [open [file join $hh $::vv::bd.hwh] w]
    puts $f "<stand-in hwh/>"
    close $f
}

proc wait_on_run {args} {
    ::standin::record wait_on_run {*}$args
    if {!$::vv::launched} {
        ::standin::fail "wait_on_run before launch_runs"
    }
}

proc wait_on_runs {args} {
    ::standin::record wait_on_runs {*}$args
    if {!$::vv::launched} {
        ::standin::fail "wait_on_runs before launch_runs"
    }
}

# UG835: wait_on_runs came in 2021.2, which lists wait_on_run as removed
if {[package vcompare [::standin::cfg vivado_version 2020.1] 2021.2] >= 0} {
    rename wait_on_run {}
} else {
    rename wait_on_runs {}
}

proc write_hw_platform {args} {
    ::standin::record write_hw_platform {*}$args
    # UG835: write_hw_platform [-fixed] [-force] [-include_bit] ... [<file>] (file is positional)
    set o [::standin::opts write_hw_platform {-fixed 0 -include_bit 0 -force 0 -include_sim_content 0
        -minimal 0 -hw 0 -hw_emu 0 -quiet 0 -verbose 0} $args]
    if {[dict get $::vv::runs impl_1 progress] ne "100%"} {
        ::standin::fail "write_hw_platform -include_bit without a bitstream"
    }
    set file [lindex [dict get $o ""] 0]
    if {[llength [dict get $o ""]] != 1 || [file extension $file] ne ".xsa"} {
        ::standin::fail "write_hw_platform wants one .xsa file name, got: [dict get $o {}]"
    }
    set f [open $file w]
    puts $f "stand-in xsa"
    close $f
}

# ------------------------------------------------------------------ final checks
proc ::standin::final_checks {} {
    if {$::vv::project eq ""} {
        ::standin::note "no project was created"
        return
    }
    if {[dict get $::vv::project part] ne [::standin::cfg part]} {
        ::standin::note "project part [dict get $::vv::project part] != board file part [::standin::cfg part]"
    }
    if {[dict exists $::standin_cfg board_part] && [dict get $::vv::project board_part] ne [::standin::cfg board_part]} {
        ::standin::note "project board_part '[dict get $::vv::project board_part]' != board file's [::standin::cfg board_part]"
    }
    if {!$::vv::validated} {
        ::standin::note "validate_bd_design never passed"
    }
}
