# Recording stand-ins: shared part.
#
# A test writes a driver that sets ::standin_cfg (a dict), sources this file and one of
# vivado.tcl / hls.tcl, then sources the generated script.  Every stand-in command records
# its call; a rule broken (a pin that does not exist, a wrong part ...) is recorded as a
# violation and raised as a Tcl error, so the script stops where a real tool would.
# At exit the log is written to [dict get $::standin_cfg log], one record per line, fields
# separated by \x1f (newlines inside a field written as \x1e):
#   CALL <command> <args...> | VIOLATION <message> | ERROR <message> | EXIT <code>
# and the process exits non-zero if there was any violation.

namespace eval ::standin {
    variable calls {}
    variable violations {}
    variable errors {}
    variable finished 0
}

proc ::standin::cfg {key {default __none__}} {
    if {[dict exists $::standin_cfg $key]} {
        return [dict get $::standin_cfg $key]
    }
    if {$default eq "__none__"} {
        error "standin: missing configuration key '$key'"
    }
    return $default
}

proc ::standin::record {args} {
    lappend ::standin::calls $args
}

# Record a violation and stop the script like a real tool error would.
proc ::standin::fail {msg} {
    lappend ::standin::violations $msg
    return -code error "STANDIN VIOLATION: $msg"
}

# Record a violation but carry on (for checks made at the end).
proc ::standin::note {msg} {
    lappend ::standin::violations $msg
}

# Parse "-flag value" / "-switch" options.  spec: dict flag -> 1 (takes a value) or 0.
# Returns a dict with the given options and key "" holding the positional arguments.
proc ::standin::opts {cmd spec arglist} {
    set out [dict create]
    set pos {}
    set n [llength $arglist]
    for {set i 0} {$i < $n} {incr i} {
        set a [lindex $arglist $i]
        if {[string match -* $a] && ![string is double -strict $a]} {
            if {![dict exists $spec $a]} {
                ::standin::fail "$cmd: unknown option $a (known: [dict keys $spec])"
            }
            if {[dict get $spec $a]} {
                incr i
                if {$i >= $n} {
                    ::standin::fail "$cmd: option $a needs a value"
                }
                dict set out $a [lindex $arglist $i]
            } else {
                dict set out $a 1
            }
        } else {
            lappend pos $a
        }
    }
    dict set out "" $pos
    return $out
}

proc ::standin::put {f fields} {
    set out {}
    foreach x $fields {
        lappend out [string map [list \n \x1e] $x]
    }
    puts $f [join $out \x1f]
}

proc ::standin::write_log {code} {
    set path [::standin::cfg log ""]
    if {$path eq ""} {
        return
    }
    set f [open $path w]
    fconfigure $f -encoding utf-8
    foreach c $::standin::calls {
        ::standin::put $f [linsert $c 0 CALL]
    }
    foreach v $::standin::violations {
        ::standin::put $f [list VIOLATION $v]
    }
    foreach e $::standin::errors {
        ::standin::put $f [list ERROR $e]
    }
    ::standin::put $f [list EXIT $code]
    close $f
}

rename exit ::standin::real_exit

proc exit {{code 0}} {
    ::standin::record exit $code
    ::standin::finish $code
}

# Called by exit (from the script or from the driver).
proc ::standin::finish {code} {
    if {$::standin::finished} {
        ::standin::real_exit $code
    }
    set ::standin::finished 1
    if {$code == 0 && [llength [info commands ::standin::final_checks]] > 0} {
        if {[catch {::standin::final_checks} msg]} {
            lappend ::standin::errors "final checks: $msg"
        }
    }
    if {[llength $::standin::violations] > 0 && $code == 0} {
        set code 3
    }
    ::standin::write_log $code
    foreach v $::standin::violations {
        puts stderr "STANDIN VIOLATION: $v"
    }
    ::standin::real_exit $code
}

# Driver helper: source the generated script, turning a Tcl error into exit 1.
proc ::standin::run_script {path} {
    if {[catch {uplevel #0 [list source $path]} msg opts]} {
        lappend ::standin::errors $msg
        puts stderr "SCRIPT ERROR: $msg"
        exit 1
    }
    exit 0
}
