"""The HTTP client of the bridge protocol against the bridge stand-in, through a real HTTP server
on loopback (pytest-django's ``live_server``): every operation gives what the local registry
gives, errors come back as the same errors, and a bridge that does not answer is
``RegistryUnavailable``."""

from __future__ import annotations

import socket
from datetime import date

import httpx
import pytest
from django.contrib.auth import get_user_model

from layan.core.errors import Conflict, Invalid, NotFound
from layan.registry.backend import FamilyData, LocalRegistry, PersonData
from layan.registry.dedup import Person
from layan.registry.models import NikSerial, RegistryChange, Resident
from layan.registry.remote import RegistryUnavailable, RemoteRegistry
from layan.registry.services import find_duplicates, get_backend, rules_of

pytestmark = pytest.mark.django_db(transaction=True)
KK = "1808011201150003"


@pytest.fixture
def remote(live_server, settings):
    settings.LAYAN_REGISTRY_TOKEN = "bridge-secret"
    client = RemoteRegistry(f"{live_server.url}/registry", token="bridge-secret")
    yield client
    client.client.close()


@pytest.fixture
def budi_family():
    member = PersonData(nik="1808011708900001", name="BUDI SANTOSO", birth_date=date(1990, 8, 17),
                        sex="L", relation="kepala", mother_name="SUMARNI")  # fmt: skip
    wife = PersonData(nik="1808015203920002", name="SITI AMINAH", birth_date=date(1992, 3, 12),
                      sex="P", relation="istri", mother_name="PAINEM")  # fmt: skip
    LocalRegistry().register_family(
        FamilyData(kk_number=KK, head_nik=member.nik, address="JL. MERDEKA", rt="002",
                   village="SUMBER JAYA", members=(member, wife)),
        region="18.08",
    )  # fmt: skip


def test_look_ups_give_what_the_local_registry_gives(remote, budi_family):
    local = LocalRegistry()
    assert remote.by_nik("1808011708900001") == local.by_nik("1808011708900001")
    assert remote.by_nik("1808019999990001") is None
    assert remote.by_kk(KK) == local.by_kk(KK)
    assert remote.by_kk("1808019999990001") is None
    found = remote.search("Budi Santoso", date(1990, 8, 17))
    assert [p.nik for p in found] == ["1808011708900001"]
    assert found == local.search("Budi Santoso", date(1990, 8, 17))


def test_candidates_and_the_duplicate_check_over_http(remote, budi_family):
    rules = rules_of(None)
    again = Person(name="H. Boedi Santoso", nik="1808011708900009", birth_date=date(1990, 8, 17),
                   sex="L", mother_name="Sumarni")  # fmt: skip
    keys = rules.search_keys(again)
    assert remote.candidates(keys) == LocalRegistry().candidates(keys)
    over_http = find_duplicates(again, rules, remote)
    assert over_http == find_duplicates(again, rules, LocalRegistry())
    assert over_http[0].rule == "same_person_other_nik"


def test_registering_a_family_over_http(remote, budi_family):
    officer = get_user_model().objects.create_user("operator.siak", password="x")
    child = PersonData(nik="1808010101200003", name="RAFA PRATAMA", birth_date=date(2020, 1, 1),
                       sex="L", relation="anak", mother_name="SITI AMINAH")  # fmt: skip
    family = remote.register_family(
        FamilyData(kk_number=KK, head_nik="1808011708900001", address="DUSUN SUKAMAJU",
                   members=(child,)),
        region="18.08", case_code="KK-7", by=officer,
    )  # fmt: skip
    assert family.address == "DUSUN SUKAMAJU" and len(family.members) == 3
    created = RegistryChange.objects.get(kind="created", resident__nik="1808010101200003")
    assert created.case_code == "KK-7" and created.by == officer
    new = remote.register_family(
        FamilyData(kk_number="1808010302160001", head_nik="1808014505800004",
                   members=(PersonData(nik="1808014505800004", name="SRI WAHYUNI",
                                       birth_date=date(1980, 5, 5), sex="P",
                                       relation="kepala"),)),
        region="18.08",
    )  # fmt: skip
    assert new.kk_number == "1808010302160001" and new.head_nik == "1808014505800004"


def test_a_child_with_and_without_a_nik_over_http(remote, budi_family):
    with_nik = remote.add_child(
        KK, PersonData(nik="1808014405230001", name="AQILA", birth_date=date(2023, 5, 4),
                       sex="P"),
        region="18.08", district="18.08.01", case_code="LHR-1",
    )  # fmt: skip
    assert with_nik.nik == "1808014405230001" and with_nik.kk_number == KK
    without = remote.add_child(
        KK, PersonData(name="NAILA", birth_date=date(2026, 11, 20), sex="P"),
        region="18.08", district="18.08.01",
    )  # fmt: skip
    assert without.nik == "1808016011260001" and without.relation == "anak"
    assert Resident.objects.get(nik=without.nik).family.kk_number == KK


def test_a_death_a_move_and_a_new_nik_over_http(remote, budi_family):
    dead = remote.record_death("1808015203920002", date(2026, 11, 1), case_code="MATI-1")
    assert dead.status == "deceased"
    assert Resident.objects.get(nik="1808015203920002").died_on == date(2026, 11, 1)
    moved = remote.record_move_out(["1808011708900001"], "KOTA METRO", case_code="PINDAH-1")
    assert [p.status for p in moved] == ["moved"]
    issued = remote.issue_nik(
        PersonData(name="BAYU", birth_date=date(1990, 8, 17), sex="L"), region="18.08",
        district="18.08.01",
    )  # fmt: skip
    assert issued.nik == "1808011708900002" and issued.name == "BAYU"


def test_the_registrys_errors_come_back_as_the_same_errors(remote, budi_family):
    with pytest.raises(NotFound) as unknown_family:
        remote.add_child("1808019999990001", PersonData(name="X", birth_date=date(2020, 1, 1),
                                                        sex="L"),
                         region="18.08", district="18.08.01")  # fmt: skip
    assert unknown_family.value.code == "family_unknown"
    with pytest.raises(NotFound) as unknown_resident:
        remote.record_death("1808019999990001", None)
    assert unknown_resident.value.code == "resident_unknown"
    with pytest.raises(Invalid) as bad_kk:
        remote.register_family(FamilyData(kk_number="123"), region="18.08")
    assert bad_kk.value.code == "kk_invalid"
    NikSerial.objects.create(prefix="180801170890", last=9999)
    with pytest.raises(Conflict) as exhausted:
        remote.issue_nik(PersonData(name="BAYU", birth_date=date(1990, 8, 17), sex="L"),
                         region="18.08", district="18.08.01")  # fmt: skip
    assert exhausted.value.code == "nik_exhausted"


def test_the_protocol_refuses_what_it_does_not_know(live_server, settings):
    settings.LAYAN_REGISTRY_TOKEN = "bridge-secret"
    base = f"{live_server.url}/registry"
    auth = {"Authorization": "Bearer bridge-secret"}
    with httpx.Client(timeout=10) as client:
        unknown = client.post(f"{base}/changes", json={"op": "drop_all", "args": {}}, headers=auth)
        assert unknown.status_code == 422 and unknown.json()["code"] == "bad_op"
        broken = client.post(f"{base}/search", content=b"{", headers=auth)
        assert broken.status_code == 400 and broken.json()["code"] == "bad_json"
        missing = client.post(f"{base}/search", json={"name": "x"}, headers=auth)
        assert missing.status_code == 400 and missing.json()["code"] == "bad_request"
        wrong_method = client.get(f"{base}/candidates", headers=auth)
        assert wrong_method.status_code == 405
        anonymous = client.get(f"{base}/residents/1808011708900001")
        assert anonymous.status_code == 401 and anonymous.json()["code"] == "unauthorized"


def test_a_wrong_token_and_a_bridge_that_is_down_are_unavailable(live_server, settings):
    settings.LAYAN_REGISTRY_TOKEN = "bridge-secret"
    wrong = RemoteRegistry(f"{live_server.url}/registry", token="guess")
    with pytest.raises(RegistryUnavailable) as refused:
        wrong.by_nik("1808011708900001")
    assert refused.value.code == "unauthorized"
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    down = RemoteRegistry(f"http://127.0.0.1:{port}/registry", token="x")
    with pytest.raises(RegistryUnavailable) as unavailable:
        down.by_nik("1808011708900001")
    assert unavailable.value.code == "registry_unavailable"
    with pytest.raises(RegistryUnavailable):
        down.record_death("1808011708900001", None)


def test_without_a_token_the_stand_in_is_open_and_the_setting_picks_the_bridge(
    live_server, settings, budi_family
):
    settings.LAYAN_REGISTRY_TOKEN = ""
    settings.LAYAN_REGISTRY = f"{live_server.url}/registry"
    backend = get_backend()
    assert isinstance(backend, RemoteRegistry)
    assert backend.by_nik("1808011708900001").name == "BUDI SANTOSO"
