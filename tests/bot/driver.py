"""Drives a resident and officers through a whole request, from the service data alone.

The resident answers whatever the bot asks (read from the conversation's state, which names the
field being asked); officers act through the JSON API with their own tokens, each as the role the
SOP gives the step.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from django.contrib.auth import get_user_model
from django.test import Client

from layan.api.models import ApiToken
from layan.cases.models import Case
from layan.offices.catalogue import question_choices
from layan.offices.models import Requirement, Service
from layan.whatsapp.models import Conversation
from tests.bot.harness import Resident
from tests.filling import data_for
from tests.signing import document_work

PRESETS = Path(__file__).resolve().parents[2] / "layan" / "offices" / "presets"
NIK = "1808014501150001"  # Way Kanan region, born 5 January 2015, a girl (day + 40)


def seed_services() -> list[tuple[str, str, str]]:
    """(office, service, phone number id) for every service a seed office offers on WhatsApp."""
    found = []
    for path in sorted(PRESETS.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        seen = set()
        for channel in data.get("channels") or []:
            for code in channel.get("services") or []:
                if code not in seen:
                    seen.add(code)
                    found.append((data["code"], code, str(channel["phone_number_id"])))
    return found


def state(resident: Resident) -> dict:
    conversation = Conversation.objects.get(
        channel=resident.channel, identity__wa_id=resident.wa_id
    )
    return conversation.state or {}


def answer_choice(question: dict) -> str:
    """The option most likely to bring in conditional requirements (so they are exercised)."""
    return f"q:{question_choices(question)[0][0]}"


def apply(resident: Resident, service: Service, *, on_behalf_phone: str | None = None) -> Case:
    """Apply for ``service`` from the menu to the confirmation; returns the created request."""
    resident.says("menu")
    rows = [o for r in resident.last for o, _t in r.options]
    if f"svc:{service.code}" not in rows:
        resident.taps("menu:services")
    resident.taps(f"svc:{service.code}")
    resident.taps(f"apply:{service.code}")
    for _turn in range(60):
        field = state(resident).get("field")
        if state(resident).get("flow") != "apply":
            break
        if field == "who":
            resident.taps("f:other" if on_behalf_phone else "f:self")
        elif field == "name":
            resident.says("Budi Santoso")
        elif field == "nik":
            resident.says(NIK)
        elif field.startswith("q:"):
            question = next(q for q in service.questions if q["code"] == field[2:])
            if question["kind"] == "choice":
                resident.taps(answer_choice(question), number=1)
            elif question["kind"] == "number":
                resident.says(str(max(question.get("min", 0), 7)))
            elif question["kind"] == "date":
                resident.says("17-08-2020")
            else:
                resident.says("Jl. Merdeka No. 1, Blambangan Umpu")
        elif field.startswith("r:"):
            requirement = service.requirements.get(code=field[2:])
            if requirement.kind == Requirement.Kind.NIK:
                resident.says(NIK)
            elif requirement.kind == Requirement.Kind.TEXT:
                resident.says("Nama ibu di akta kelahiran anak saya salah tulis.")
            else:
                resident.sends_photo()
                resident.taps("f:next")
        elif field == "phone":
            resident.says(on_behalf_phone)
        elif field == "related":
            resident.taps("f:skip")
        elif field == "confirm":
            resident.taps("f:send")
        else:  # pragma: no cover - a field this driver does not know
            raise AssertionError(f"unknown field {field}")
    else:  # pragma: no cover
        raise AssertionError("the application did not finish")
    return Case.objects.filter(service=service).latest("created_at")


class Officers:
    """Staff acting through the API, one demo user per role (``<office>.<role>``)."""

    def __init__(self):
        self.client = Client()
        self.tokens: dict[str, str] = {}

    def token(self, username: str) -> str:
        if username not in self.tokens:
            user = get_user_model().objects.get(username=username)
            _row, raw = ApiToken.issue(user, "test")
            self.tokens[username] = raw
        return self.tokens[username]

    def post(self, username: str, path: str, payload: dict) -> dict:
        response = self.client.post(
            path,
            data=json.dumps(payload),
            content_type="application/json",
            headers={"Authorization": f"Bearer {self.token(username)}"},
        )
        assert response.status_code == 200, response.content
        return response.json()

    def get(self, username: str, path: str) -> dict:
        response = self.client.get(
            path, headers={"Authorization": f"Bearer {self.token(username)}"}
        )
        assert response.status_code == 200, response.content
        return response.json()

    def user_for(self, case: Case) -> str:
        definition = case.sop_version.parsed
        return f"{case.office.code}.{definition.acting_role(case.step)}"

    def act(self, case: Case, action: str, note: str = "", data: dict | None = None) -> Case:
        self.post(
            self.user_for(case),
            f"/api/v1/cases/{case.code}/actions",
            {"action": action, "note": note, "data": data or {}},
        )
        return Case.objects.get(pk=case.pk)

    def forward(self, case: Case) -> Case:
        """Move the request one step on (complete or approve), or record the applicant's step."""
        step = case.step
        if case.status == "waiting_applicant":
            self.post(
                self.user_for(case), f"/api/v1/cases/{case.code}/actions", {"action": "complete"}
            )
            return Case.objects.get(pk=case.pk)
        user = get_user_model().objects.get(username=self.user_for(case))
        if document_work(case, user):  # signing moved the step on
            return Case.objects.get(pk=case.pk)
        case = Case.objects.get(pk=case.pk)
        forward = next(a for a in step.actions if a.kind in ("complete", "approve"))
        return self.act(case, forward.id, note="Sudah sesuai", data=data_for(case, forward.kind))
