"""Turn names from a user's model into safe, unique identifiers.

Identifiers of the generated project never come from names (see ``hlsgen.escape`` for
where names do appear, escaped); whatever the model calls a layer (``input``, ``out``, ``../x``, ``class``, quotes,
unicode), the sanitized name is a plain ASCII identifier that is not a C++ keyword
and is unique within the model.
"""
from __future__ import annotations

import re
import unicodedata

CPP_RESERVED = frozenset(
    """alignas alignof and and_eq asm auto bitand bitor bool break case catch char char8_t char16_t
    char32_t class compl concept const consteval constexpr constinit const_cast continue co_await
    co_return co_yield decltype default delete do double dynamic_cast else enum explicit export extern
    false float for friend goto if inline int long mutable namespace new noexcept not not_eq nullptr
    operator or or_eq private protected public register reinterpret_cast requires return short signed
    sizeof static static_assert static_cast struct switch template this thread_local throw true try
    typedef typeid typename union unsigned using virtual void volatile wchar_t while xor xor_eq
    main nnet hls std ap_int ap_uint ap_fixed ap_ufixed NULL""".split()
)

MAX_LEN = 48


def sanitize(name: str, taken: set | None = None, fallback: str = "layer") -> str:
    """A C/C++ identifier for ``name``, unique among ``taken`` (which is updated)."""
    text = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode()
    text = re.sub(r"[^A-Za-z0-9_]+", "_", text).strip("_")
    text = re.sub(r"_+", "_", text)[:MAX_LEN] or fallback
    if text[0].isdigit():
        text = f"{fallback}_{text}"
    if text in CPP_RESERVED or text.startswith("__") or re.match(r"_[A-Z]", text):
        text = f"{text}_"
    if taken is not None:
        base, n = text, 2
        while text.lower() in {t.lower() for t in taken}:
            text = f"{base}_{n}"
            n += 1
        taken.add(text)
    return text

