"""Jinja2 rendering shared by the lowering, the backends, the drivers and the estimate: strict
(an undefined name is an error), and escaping every printed value for the language of the
file being written.

Every ``{{ ... }}`` goes through :func:`hlsgen.escape.escape` with the language of the
template (from its file name, see :func:`hlsgen.escape.language_of`): text is escaped,
:class:`hlsgen.escape.Code` (what hlsgen generated itself) is printed as is.  The
rendered result is ``Code`` too, so a rendered fragment can be placed in another
template of the same language.

Every template sees the C-simulation ABI as the global ``abi`` (:mod:`hlsgen.csim.abi`:
entry-point and macro names, version, device-info layout), so the bridge and the ctypes
side cannot disagree.
"""
from __future__ import annotations

import functools
from pathlib import Path

import jinja2

from .csim import abi
from .escape import FILTERS, Code, escape, language_of

TEMPLATES = Path(__file__).resolve().parent / "templates"

LANG_VAR = "_hlsgen_lang"


@jinja2.pass_context
def _finalize(context, value):
    return escape(value, context.get(LANG_VAR) or "cpp")


@functools.lru_cache(maxsize=None)
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
        finalize=_finalize,
    )
    env.filters.update(FILTERS)
    env.globals["abi"] = abi.template_values()
    return env


def render(template: str, **context) -> Code:
    """Render the template file ``template`` (a path relative to ``hlsgen/templates``),
    escaping for the language its name gives (``defines.h.j2``: C++)."""
    context[LANG_VAR] = language_of(template)
    return Code(environment().get_template(template).render(**context))


@functools.lru_cache(maxsize=None)
def _compiled(source: str) -> jinja2.Template:
    return environment().from_string(source)


def render_string(source: str, lang: str = "cpp", **context) -> Code:
    """Render a template fragment (a layer's C++ config or call) for a file of ``lang``."""
    context[LANG_VAR] = lang
    return Code(_compiled(source).render(**context))
