"""hlsgen.escape: each language's escaping, checked by that language's own tool."""
from __future__ import annotations

import ast
import shutil
import subprocess

import pytest

from conftest import needs_gxx
from hlsgen import escape
from hlsgen.backends.templating import TEMPLATES, render_string

NASTY = ['plain', 'a"b', "a'b", "back\\slash\\", "tri??/ ??=", "*/ /* //", "new\nline\r\n", "tab\tvt\v\x00nul",
         "[exec x] $y {z} ;", "}{", "{", "名前 é \u2028", "$(shell x) #c", "`tick` ``two``", "<b>&amp;</b> | x",
         "\x1b[31m", "", " lead space", "x" * 500]


@needs_gxx
def test_c_str_round_trips_through_the_compiler(tmp_path):
    src = ["#include <stdio.h>", "int main(void) {"]
    for s in NASTY:
        src.append(f"    fputs({escape.c_str(s)}, stdout); fputc(0, stdout);")
    src.append("    return 0; }")
    (tmp_path / "s.c").write_text("\n".join(src))
    r = subprocess.run(["gcc", "-std=c99", "-trigraphs", "-Wall", "-Werror", "-o", str(tmp_path / "s"),
                        str(tmp_path / "s.c")], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    out = subprocess.run([str(tmp_path / "s")], capture_output=True).stdout.split(b"\0")[:-1]
    # a NUL inside a C string ends it, as in every C API
    assert [o.decode() for o in out] == [s.encode().split(b"\0")[0].decode() for s in NASTY]


@needs_gxx
def test_c_text_is_inert_in_comments_strings_and_error_directives(tmp_path):
    lines = ["int ok(void);"]
    for s in NASTY:
        t = escape.c_text(s)
        assert "\n" not in t and "\\" not in t and "*/" not in t and "??" not in t
        lines += [f"// {t}", f"/* {t} */", f'static const char *s{len(lines)} = "{t}";',
                  f"#if 0\n#error {t}\n#endif"]
    lines.append("int ok(void) { return 0; }")
    (tmp_path / "t.c").write_text("\n".join(lines) + "\n")
    r = subprocess.run(["gcc", "-std=c99", "-trigraphs", "-Wall", "-Wcomment", "-Wtrigraphs", "-Werror",
                        "-Wno-unused-variable", "-c", "-o", "/dev/null", str(tmp_path / "t.c")],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


@pytest.mark.skipif(shutil.which("tclsh") is None, reason="tclsh not installed")
def test_tcl_word_round_trips_and_tcl_text_is_inert(tmp_path):
    words = [escape.tcl_word(s) for s in NASTY]
    script = "set out {}\n" + "".join(f"lappend out {w}\n" for w in words)
    script += "proc p {} {\n" + "".join(f"    # {escape.tcl_text(s)}\n" for s in NASTY) + "    return 1\n}\n"
    script += "".join(f'set q "{escape.tcl_text(s)}"\n' for s in NASTY)
    script += ("set f [open out.bin wb]\nfconfigure $f -encoding utf-8\n"
               "foreach w $out { puts -nonewline $f \"$w\\x1f\" }\nclose $f\nputs [p]\n")
    (tmp_path / "t.tcl").write_text(script, encoding="utf-8")
    r = subprocess.run(["tclsh", "t.tcl"], cwd=tmp_path, capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout.strip() == "1", r.stderr
    got = (tmp_path / "out.bin").read_bytes().decode("utf-8").split("\x1f")[:-1]
    assert got == [s.replace("\x00", "\u0000") for s in NASTY]


def test_python_literal_and_text():
    for s in NASTY:
        assert ast.literal_eval(escape.py_str(s)) == s
        src = f'"""{escape.py_text(s)}"""\n# {escape.py_text(s)}\nx = 1\n'
        tree = ast.parse(src)
        assert len(tree.body) == 2


def test_markdown_text_and_code_spans():
    for s in NASTY:
        t, c = escape.md_text(s), escape.md_code(s)
        for out in (t, c):
            assert "\n" not in out and "\r" not in out
        assert "<b>" not in t and "](" not in t.replace("\\]", "")
    assert escape.md_text("axi_master io_parallel") == "axi_master io_parallel"  # no emphasis inside words
    assert escape.md_text("_x_ *y*") == "\\_x\\_ \\*y\\*"
    assert escape.md_text("1. item") == "1\\. item" and escape.md_text("# h") == "\\# h"
    assert escape.md_code("ap_fixed<16,6>") == "`ap_fixed<16,6>`"
    assert escape.md_code("a`b") == "``a`b``" and escape.md_code("x|y") == "`x\\|y`"


def test_makefile_text():
    assert escape.make_text("$(shell x) #c \\") == "$$(shell x) \\#c /"


def test_language_of_every_template():
    for t in TEMPLATES.rglob("*.j2"):
        escape.language_of(t.name)  # raises for an unknown kind of file
    assert escape.language_of("firmware/defines.h.j2") == "cpp"
    assert escape.language_of("drivers/c/Makefile.j2") == "makefile"
    with pytest.raises(ValueError, match="no output language"):
        escape.language_of("x.weird")


def test_templates_escape_every_printed_value():
    tpl = "// {{ name }}\n{{ code }}\n{{ shape }} {{ n }}\n"
    out = render_string(tpl, name="a\n#include <x>", code=escape.Code("int x;\nint y;"), shape=[2, 3], n=4)
    assert out == "// a?#include <x>\nint x;\nint y;\n[2, 3] 4\n"
    assert isinstance(out, escape.Code)
    assert render_string("# {{ n }}", lang="tcl", n="[exec x]") == "# (exec x)"
    assert render_string("{{ n | tcl }}", lang="tcl", n="a b") == "{a b}"


def test_no_template_uses_macros_or_block_sets():
    """A macro's or a captured block's result is a plain string, which the escaping would
    treat as text: templates use includes and Python-built Code instead."""
    for t in TEMPLATES.rglob("*.j2"):
        text = t.read_text()
        assert "{% macro" not in text and "{% call" not in text, t
        for line in text.splitlines():
            if line.strip().startswith("{% set") and "=" not in line:
                pytest.fail(f"{t}: block set {line!r}")


def test_toml_str_holds_any_text_exactly():
    import tomllib

    for v in ['plain', 'a"b\\c', 'x\n[tool.evil]\ny = 1', '\x00\x1f\x7f\u2028', 'é😀', '"""', "'''"]:
        t = escape.toml_str(v)
        assert isinstance(t, escape.Code) and t.isascii() and "\n" not in t
        assert tomllib.loads(f"k = {t}\n{t} = 2") == {"k": v, v: 2}
    assert tomllib.loads(f"k = {escape.toml_str('a' + chr(0xD800))}")["k"] == "a\ufffd"  # no scalar value: replaced
    assert escape.language_of("pyproject.toml.j2") == "toml"
    assert escape.md_text("a" + chr(0xDC00)) == "a\ufffd"
