"""The app's one string catalogue: `t(lang, key, **kw)` and the kernel's codes in words.

The catalogue is made of area modules (common words, errors, one per group of screens),
merged at import. Each area module holds

    STRINGS: dict[str, dict[str, str]]   # key -> {lang: text}; "en" always, {name} placeholders
    MEMBER_FACING: bool                  # True: members read it, so kn and hi are required

and adding an area is adding its name to `AREAS`. A key defined in two areas stops the
import: two texts for one key is a bug nobody would see until the wrong one showed.
A missing key raises KeyError (a bug the tests must catch, not a blank on a phone);
a missing translation falls back to English.
"""

from __future__ import annotations

import importlib
import string
from collections.abc import Mapping
from types import ModuleType

LANGS = ("en", "kn", "hi")  # English, Kannada, Hindi: the languages of the member screens
FALLBACK_LANG = "en"  # complete: every key has it
AREAS = (
    "common",
    "login",
    "errors",
    "errors_staff",
    "meeting",
    "foreman",
    "member",
    "auction",
    "office",
    "auditor",
    "admin",
    "reports",
    "hq",
    "keys",
)
ERROR_PREFIX = "error."  # error_text(lang, code) reads the key "error.<code>"
# Each language named in its own script, as the first screen offers it (UX.md rule 9).
_LANGUAGE_NAMES = {"en": "English", "kn": "ಕನ್ನಡ", "hi": "हिन्दी"}

Catalogue = dict[str, dict[str, str]]


def merge(areas: Mapping[str, Mapping[str, dict[str, str]]]) -> tuple[Catalogue, dict[str, str]]:
    """One catalogue from the areas' STRINGS, and each key's area; ValueError on a key twice."""
    catalogue: Catalogue = {}
    area_of: dict[str, str] = {}
    for area, strings in areas.items():
        for key, texts in strings.items():
            if key in area_of:
                raise ValueError(f"catalogue key {key!r} is defined in {area_of[key]} and {area}")
            area_of[key] = area
            catalogue[key] = texts
    return catalogue, area_of


MODULES: dict[str, ModuleType] = {
    area: importlib.import_module(f"{__name__}.{area}") for area in AREAS
}
CATALOGUE, AREA_OF = merge({area: m.STRINGS for area, m in MODULES.items()})


def placeholders(text: str) -> frozenset[str]:
    """The {names} a text formats: a translation must use the same ones as the English."""
    return frozenset(name for _, name, _, _ in string.Formatter().parse(text) if name)


def t(lang: str, key: str, **kw: object) -> str:
    """The text of `key` in `lang` (English when not translated), formatted with `kw`.

    Raises KeyError for a key no area defines, or a placeholder `kw` does not give.
    """
    texts = CATALOGUE[key]
    text = texts.get(lang) or texts[FALLBACK_LANG]
    return text.format(**kw)


def error_text(lang: str, code: str) -> str:
    """A plain sentence for a refusal's code; an unknown code still gets one, naming it."""
    key = ERROR_PREFIX + code
    if key in CATALOGUE:
        return t(lang, key)
    return t(lang, "error.unknown_code", code=code)


def language_name(lang: str) -> str:
    """The language's name in its own script ("ಕನ್ನಡ"); KeyError for one the app lacks."""
    return _LANGUAGE_NAMES[lang]
