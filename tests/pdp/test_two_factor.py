"""Two-factor sign-in: heads of office, administrators and signers enrol an authenticator and
then type its code; operators are not asked; wrong codes are refused and throttled; the admin is
guarded too; the API's bearer tokens are not affected."""

from __future__ import annotations

import time

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from layan.api.models import ApiToken
from layan.console import two_factor
from layan.offices.models import Role
from tests.factories import SIMPLE_SOP, staff

ENROL = "/console/two-factor/enrol/"
VERIFY = "/console/two-factor/verify/"
HOME = "/console/"


@pytest.fixture(autouse=True)
def required(settings):
    settings.LAYAN_REQUIRE_2FA = True
    return settings


def code_for(device: TOTPDevice, *, step: int = 0) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + step * device.step
    return f"{totp.token():0{device.digits}d}"


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def fresh_attempt(device: TOTPDevice) -> None:
    """Forget the last used time step and the throttling (as if a while had passed)."""
    TOTPDevice.objects.filter(pk=device.pk).update(
        last_t=-1, throttling_failure_count=0, throttling_failure_timestamp=None
    )


def test_a_head_of_office_enrols_then_verifies(office):
    kadis = staff(office, "kadis")
    client = Client()
    form = {"username": kadis.username, "password": "x-pass-123"}
    response = client.post("/console/login/", form)
    assert response.status_code == 302

    response = client.get(HOME)
    assert response.status_code == 302 and response["Location"] == f"{ENROL}?next=%2Fconsole%2F"
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert b"<svg" in page.content and page.context["secret"]
    device = TOTPDevice.objects.get(user=kadis)
    assert not device.confirmed

    assert client.post(ENROL, {"code": "000000", "next": HOME}).status_code == 400
    fresh_attempt(device)
    response = client.post(ENROL, {"code": code_for(device), "next": HOME})
    assert response.status_code == 302 and response["Location"] == HOME
    assert TOTPDevice.objects.get(pk=device.pk).confirmed
    assert client.get(HOME).status_code == 200

    # the next sign-in asks for the code of the enrolled app
    other = signed_in(kadis)
    response = other.get("/console/register/")
    assert response["Location"] == f"{VERIFY}?next=%2Fconsole%2Fregister%2F"
    assert other.get(ENROL)["Location"] == VERIFY
    fresh_attempt(device)
    response = other.post(VERIFY, {"code": code_for(device), "next": "/console/register/"})
    assert response.status_code == 302 and response["Location"] == "/console/register/"
    assert other.get(HOME).status_code == 200


def test_a_wrong_code_is_refused_and_throttled(office):
    kadis = staff(office, "kadis")
    device = TOTPDevice.objects.create(user=kadis, name="Layan", confirmed=True)
    client = signed_in(kadis)

    assert client.post(VERIFY, {"code": "123456"}).status_code == 400
    assert client.post(VERIFY, {"code": "not a code"}).status_code in (400, 429)
    # right away, even the right code waits (django-otp's exponential back-off)
    assert client.post(VERIFY, {"code": code_for(device)}).status_code == 429
    assert client.get(HOME).status_code == 302
    fresh_attempt(device)
    assert client.post(VERIFY, {"code": code_for(device)}).status_code == 302
    assert client.get(HOME).status_code == 200


def test_an_operator_is_not_asked(office):
    operator = staff(office, "operator")
    client = signed_in(operator)
    assert client.get(HOME).status_code == 200
    assert not TOTPDevice.objects.filter(user=operator).exists()


def test_who_is_asked(office, make_office):
    assert two_factor.requires_two_factor(staff(office, "kadis"))
    Role.objects.create(office=office, code="admin", name="Administrator")
    assert two_factor.requires_two_factor(staff(office, "admin"))
    assert not two_factor.requires_two_factor(staff(office, "kasi"))
    assert not two_factor.requires_two_factor(staff(office, "operator"))
    # where the Kasi signs the documents, the Kasi is asked too
    signing = make_office(
        "signing",
        sop_text=SIMPLE_SOP.replace(
            "    activity: Kasi memverifikasi\n    role: kasi\n",
            "    activity: Kasi memverifikasi\n    role: kasi\n    document: sign\n",
        ),
    )
    assert two_factor.requires_two_factor(staff(signing, "kasi"))
    User = get_user_model()
    assert two_factor.requires_two_factor(User.objects.create_superuser("root", "", "x-pass-123"))


def test_the_admin_is_guarded_too(db):
    root = get_user_model().objects.create_superuser("root", "", "x-pass-123")
    client = signed_in(root)
    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith(ENROL)
    assert client.get("/admin/offices/office/").status_code == 302
    client.get(ENROL)
    device = TOTPDevice.objects.get(user=root)
    fresh_attempt(device)
    assert client.post(ENROL, {"code": code_for(device)}).status_code == 302
    assert client.get("/admin/").status_code == 200


def test_htmx_requests_are_told_where_to_go(office):
    client = signed_in(staff(office, "kadis"))
    response = client.get(HOME, headers={"HX-Request": "true"})
    assert response.status_code == 204 and response["HX-Redirect"] == ENROL


def test_api_tokens_are_not_affected(office):
    kadis = staff(office, "kadis")
    _token, raw = ApiToken.issue(kadis, "integration")
    response = Client().get("/api/v1/cases", headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 200


def test_switched_off_nobody_is_asked(office, settings):
    settings.LAYAN_REQUIRE_2FA = False
    assert signed_in(staff(office, "kadis")).get(HOME).status_code == 200


def test_an_outside_next_address_is_ignored(office):
    kadis = staff(office, "kadis")
    device = TOTPDevice.objects.create(user=kadis, name="Layan", confirmed=True)
    client = signed_in(kadis)
    response = client.post(VERIFY, {"code": code_for(device), "next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == HOME
