"""Tracking codes (``layan.cases.codes``): ``PREFIX-XXXXXX`` in Crockford base32."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from layan.cases.codes import ALPHABET, CODE_RE, LENGTH, new_code, normalize_code

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def test_alphabet_is_crockford_base32_without_i_l_o_u():
    assert len(ALPHABET) == 32
    assert len(set(ALPHABET)) == 32
    assert not set("ILOU") & set(ALPHABET)


@pytest.mark.parametrize("prefix", ["KK", "KTP", "AKTA"])
def test_new_code_has_the_prefix_a_dash_and_six_crockford_characters(prefix):
    for _ in range(200):
        code = new_code(prefix)
        assert CODE_RE.fullmatch(code), code
        head, body = code.split("-")
        assert head == prefix
        assert len(body) == LENGTH
        assert not set("ILOU") & set(body)


def test_new_codes_differ():
    assert len({new_code("KK") for _ in range(200)}) > 190


@pytest.mark.parametrize(
    "typed",
    [
        "KK-7X3K9M",
        "kk-7x3k9m",
        "Kk-7X3k9m",
        "kk 7x3k9m",
        "KK7X3K9M",
        "kk7x3k9m",
        "  kk-7x3k9m  ",
        "kk_7x3k9m",
        "kk.7x3k9m",
        "kk  7x3k9m",
        "-kk-7x3k9m-",
        "kk-7x3k9m.",
    ],
)
def test_normalize_code_accepts_case_spaces_and_a_missing_dash(typed):
    assert normalize_code(typed) == "KK-7X3K9M"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("kk-o12345", "KK-012345"),  # o -> 0
        ("kk-O12345", "KK-012345"),
        ("kk-i12345", "KK-112345"),  # i -> 1
        ("kk-l12345", "KK-112345"),  # l -> 1
        ("KK-IL0O1A", "KK-11001A"),
        ("ktpoil234", "KTP-011234"),
    ],
)
def test_normalize_code_maps_look_alikes_in_the_body(typed, expected):
    assert normalize_code(typed) == expected


def test_normalize_code_leaves_the_prefix_letters_alone():
    assert normalize_code("lo-123456") == "LO-123456"


@pytest.mark.parametrize(
    "typed",
    [
        "KK-U12345",  # U is not in the alphabet and has no look-alike
        "kk-7x3k9u",
        "KK-12345",  # body too short
        "KK-1234567",  # body too long
        "K-123456",  # prefix too short
        "KKKKK-123456",  # prefix too long
        "12-123456",  # prefix not letters
        "K1-123456",
        "KK-12345!",
        "",
        "   ",
        None,
    ],
)
def test_normalize_code_refuses_what_cannot_be_a_code(typed):
    assert normalize_code(typed) is None


@pytest.mark.parametrize("typed", ["kk - 7x3k9m", "KK -7X3K9M", "KK- 7X3K9M"])
def test_normalize_code_accepts_spaces_around_the_dash(typed):
    assert normalize_code(typed) == "KK-7X3K9M"


codes = st.builds(
    lambda prefix, body: f"{prefix}-{body}",
    st.text(alphabet=LETTERS, min_size=2, max_size=4),
    st.text(alphabet=ALPHABET, min_size=LENGTH, max_size=LENGTH),
)


@settings(max_examples=300)
@given(codes)
def test_any_code_comes_back_from_lowercase_and_without_the_dash(code):
    assert CODE_RE.fullmatch(code)
    assert normalize_code(code) == code
    assert normalize_code(code.lower()) == code
    assert normalize_code(code.replace("-", "")) == code
    assert normalize_code(code.lower().replace("-", "")) == code
    assert normalize_code(code.replace("-", " ")) == code


@settings(max_examples=300)
@given(st.text(alphabet=LETTERS, min_size=2, max_size=4))
def test_any_generated_code_normalizes_to_itself(prefix):
    code = new_code(prefix)
    assert normalize_code(code.lower()) == code
    assert normalize_code(code.replace("-", "")) == code
