"""Jinja2 rendering shared by the backends: strict (an undefined name is an error)."""
from __future__ import annotations

import functools
from pathlib import Path

import jinja2

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


@functools.lru_cache(maxsize=None)
def environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )


def render(template: str, **context) -> str:
    """Render the template file ``template`` (a path relative to ``hlsgen/templates``)."""
    return environment().get_template(template).render(**context)


@functools.lru_cache(maxsize=None)
def _compiled(source: str) -> jinja2.Template:
    return environment().from_string(source)


def render_string(source: str, **context) -> str:
    return _compiled(source).render(**context)
