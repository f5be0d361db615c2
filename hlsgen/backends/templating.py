"""Rendering moved to :mod:`hlsgen.templating` (the lowering uses it too); this name stays for old imports."""
from ..templating import LANG_VAR, TEMPLATES, environment, render, render_string  # noqa: F401
