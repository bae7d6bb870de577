"""ui.i18n: one catalogue, English complete, Kannada and Hindi wherever members read."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import ui.i18n as i18n
from chitnode.errors import CODES
from ui.i18n import LANGS, error_text, language_name, placeholders, t

SCREEN_AREAS = ("meeting", "foreman", "member", "auction")  # their keys start "<area>."
ERROR_AREAS = ("errors", "errors_staff")  # their keys are "error.<code>"
# The same text in every language on purpose: a name, or a layout of placeholders only.
SAME_IN_EVERY_LANGUAGE = frozenset({"app.name"})
SCRIPTS = {"kn": re.compile("[\u0c80-\u0cff]"), "hi": re.compile("[\u0900-\u097f]")}


def _entries() -> list[tuple[str, str, dict[str, str]]]:
    return [
        (area, key, texts)
        for area, module in i18n.MODULES.items()
        for key, texts in module.STRINGS.items()
    ]


def test_every_area_module_is_merged_and_declares_its_audience() -> None:
    here = Path(i18n.__file__).parent
    files = {p.stem for p in here.glob("*.py") if p.stem != "__init__"}
    assert files == set(i18n.AREAS), "add the module's name to AREAS in ui/i18n/__init__.py"
    for area, module in i18n.MODULES.items():
        assert isinstance(module.MEMBER_FACING, bool), area
        assert isinstance(module.STRINGS, dict), area


def test_every_key_has_english_and_only_known_languages() -> None:
    for area, key, texts in _entries():
        assert texts.get("en", "").strip(), (area, key)
        assert set(texts) <= set(LANGS), (area, key, set(texts) - set(LANGS))
        for lang, text in texts.items():
            assert text == text.strip() and text, (key, lang)


def test_member_facing_keys_have_kannada_and_hindi_in_their_script() -> None:
    for area, key, texts in _entries():
        if not i18n.MODULES[area].MEMBER_FACING:
            continue
        for lang, script in SCRIPTS.items():
            assert texts.get(lang), f"{area}: {key} lacks {lang}"
            letters = re.sub(r"\{\w*\}", "", texts[lang])
            english_only = re.search("[A-Za-z]", letters) and not script.search(letters)
            assert key in SAME_IN_EVERY_LANGUAGE or not english_only, (key, lang, texts[lang])


def test_translations_use_the_english_placeholders() -> None:
    for _, key, texts in _entries():
        wanted = placeholders(texts["en"])
        for lang, text in texts.items():
            assert placeholders(text) == wanted, (key, lang, text)


def test_no_key_is_defined_twice_and_merge_refuses_one() -> None:
    assert len(i18n.CATALOGUE) == len(_entries())
    with pytest.raises(ValueError, match=r"'x\.y' is defined in a and b"):
        i18n.merge({"a": {"x.y": {"en": "one"}}, "b": {"x.y": {"en": "two"}}})


def test_area_keys_carry_their_area_s_prefix() -> None:
    for area, key, _ in _entries():
        if area in SCREEN_AREAS:
            assert key.startswith(f"{area}."), (area, key)
        if area in ERROR_AREAS:
            assert key.startswith(i18n.ERROR_PREFIX), (area, key)


def test_every_error_code_has_a_sentence_in_english() -> None:
    missing = [c for c in CODES if i18n.ERROR_PREFIX + c not in i18n.CATALOGUE]
    # A sentence may come before its code lands in CODES (helpers commit apart); never after.
    assert missing == [], "write a sentence for these in ui/i18n/errors.py or errors_staff.py"
    for code in CODES:
        sentence = error_text("en", code)
        assert code not in sentence and sentence.endswith((".", "!")), (code, sentence)


@pytest.mark.parametrize(
    "code", ["bid_below_minimum", "bid_above_cap", "insufficient_funds", "bad_pin", "locked_out"]
)
def test_codes_members_meet_are_said_in_their_language(code: str) -> None:
    said = {lang: error_text(lang, code) for lang in LANGS}
    assert len(set(said.values())) == len(LANGS)
    assert SCRIPTS["kn"].search(said["kn"]) and SCRIPTS["hi"].search(said["hi"])


def test_an_unknown_code_still_gets_a_sentence_naming_it() -> None:
    assert "no_such_code" in error_text("en", "no_such_code")
    assert "no_such_code" in error_text("kn", "no_such_code")


def test_t_falls_back_to_english_formats_and_refuses_an_unknown_key() -> None:
    assert t("kn", "action.back") == "ಹಿಂದೆ"
    assert t("kn", "error.bad_unlock") == t("en", "error.bad_unlock")  # staff text: English
    assert t("fr", "action.back") == "Back"
    assert t("en", "net.waiting", count=3) == "3 waiting to send"
    with pytest.raises(KeyError):
        t("en", "no.such.key")
    with pytest.raises(KeyError):
        t("en", "net.waiting")  # its {count} was not given


def test_language_names_are_in_their_own_script() -> None:
    assert [language_name(lang) for lang in LANGS] == ["English", "ಕನ್ನಡ", "हिन्दी"]
    with pytest.raises(KeyError):
        language_name("fr")
