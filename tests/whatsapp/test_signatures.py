"""``X-Hub-Signature-256`` (``layan.whatsapp.signatures``): only Meta's exact signature passes.

Upper-case hex is accepted on purpose: a hex digest is case-insensitive, so it is the same value.
"""

from __future__ import annotations

import hashlib
import hmac

from hypothesis import assume, given
from hypothesis import strategies as st

from layan.whatsapp.signatures import sign, verify

SECRET = "app-secret-123"
BODY = b'{"object":"whatsapp_business_account","entry":[]}'


def test_sign_is_sha256_prefixed_hex_hmac_of_the_raw_body():
    expected = hmac.new(SECRET.encode(), BODY, hashlib.sha256).hexdigest()
    assert sign(BODY, SECRET) == "sha256=" + expected
    assert len(sign(BODY, SECRET)) == len("sha256=") + 64


def test_round_trip_verifies():
    assert verify(BODY, sign(BODY, SECRET), SECRET) is True


def test_known_vector():
    # RFC 4231 test case 2 (key "Jefe"), as Meta would format it.
    body = b"what do ya want for nothing?"
    header = "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    assert sign(body, "Jefe") == header
    assert verify(body, header, "Jefe")


def test_missing_header_is_refused():
    assert verify(BODY, None, SECRET) is False


def test_empty_header_is_refused():
    assert verify(BODY, "", SECRET) is False
    assert verify(BODY, "sha256=", SECRET) is False


def test_non_hex_digest_is_refused():
    good = sign(BODY, SECRET)
    assert verify(BODY, good[:-1] + "g", SECRET) is False
    assert verify(BODY, "sha256=" + "z" * 64, SECRET) is False


def test_non_ascii_digest_is_refused_without_error():
    assert verify(BODY, "sha256=" + "é" * 64, SECRET) is False
    assert verify(BODY, "sha256=" + "٣" * 64, SECRET) is False  # Arabic-Indic digits are not hex


def test_wrong_length_is_refused():
    good = sign(BODY, SECRET)
    assert verify(BODY, good[:-2], SECRET) is False
    assert verify(BODY, good + "00", SECRET) is False


def test_other_secret_is_refused():
    assert verify(BODY, sign(BODY, "another-secret"), SECRET) is False


def test_tampered_body_one_byte_changed_is_refused():
    header = sign(BODY, SECRET)
    tampered = bytearray(BODY)
    tampered[10] ^= 0x01
    assert verify(bytes(tampered), header, SECRET) is False


def test_header_without_sha256_prefix_is_refused():
    digest = sign(BODY, SECRET).removeprefix("sha256=")
    assert verify(BODY, digest, SECRET) is False
    assert verify(BODY, "sha1=" + digest, SECRET) is False
    assert verify(BODY, "SHA256=" + digest, SECRET) is False


def test_uppercase_hex_is_accepted_because_hex_is_case_insensitive():
    digest = sign(BODY, SECRET).removeprefix("sha256=")
    assert verify(BODY, "sha256=" + digest.upper(), SECRET) is True


def test_empty_secret_is_refused_even_with_a_matching_signature():
    # An unconfigured app secret must not turn every forged request into a valid one.
    assert verify(BODY, sign(BODY, ""), "") is False


def test_non_bytes_body_or_header_is_refused_without_error():
    header = sign(BODY, SECRET)
    assert verify(BODY.decode(), header, SECRET) is False
    assert verify(None, header, SECRET) is False
    assert verify(BODY, header.encode(), SECRET) is False


def test_bytearray_and_memoryview_bodies_are_accepted():
    header = sign(BODY, SECRET)
    assert verify(bytearray(BODY), header, SECRET)
    assert verify(memoryview(BODY), header, SECRET)


@given(body=st.binary(max_size=2048), secret=st.text(min_size=1, max_size=64))
def test_property_sign_then_verify_holds(body, secret):
    assert verify(body, sign(body, secret), secret)


@given(
    body=st.binary(max_size=512),
    other=st.binary(max_size=512),
    secret=st.text(min_size=1, max_size=64),
)
def test_property_signature_does_not_verify_another_body(body, other, secret):
    assume(body != other)
    assert not verify(other, sign(body, secret), secret)


@given(header=st.one_of(st.none(), st.text(max_size=80)), secret=st.text(max_size=16))
def test_property_verify_never_raises(header, secret):
    assert verify(BODY, header, secret) in (True, False)
