"""The API answers what its OpenAPI document says, for inputs nobody wrote by hand.

schemathesis reads ``/api/openapi.json`` and, for every operation, generates requests from the
documented parameters and bodies (valid ones and invalid ones, a bounded number of each), sends
them in-process through the WSGI application with an officer's token, and checks every answer:
never a server error, a status code the document lists, the documented content type, and a body
that matches the documented schema. Path parameters are the seeded office, service and request,
so generated requests reach the handlers rather than stopping at "not found".
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from layan.api.models import ApiToken

pytestmark = pytest.mark.django_db

# Examples per operation and mode: bounded, so the whole document runs in about a minute.
EXAMPLES = {GenerationMode.POSITIVE: 10, GenerationMode.NEGATIVE: 5}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def wsgi_in_test_transaction():
    """The WSGI application, called in-process, keeping the test's database connection: like
    Django's test client, the handler must not close connections at the end of each request
    (on PostgreSQL that would end the test's transaction)."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def seeded_api(db):
    from django.contrib.auth import get_user_model

    from layan.demo.loader import create_demo_staff, create_demo_teams, load_presets
    from tests.documents.conftest import new_case

    load_presets()
    create_demo_staff("demo-pass-123")
    create_demo_teams("demo-pass-123")
    case = new_case("waykanan", "kk-baru")
    user = get_user_model().objects.get(username="waykanan.semua")
    bearer = ApiToken.issue(user, "schemathesis")[1]
    path = {"office": "waykanan", "code": case.code, "service": "kk-baru"}
    return bearer, path


def run_operation(operation, mode, bearer, path) -> None:
    """Every generated request of ``operation`` in ``mode`` passes the checks (raises if not)."""
    fixed = {
        p.name: path[p.name] for p in operation.path_parameters if p.name in path
    }  # the rest stay generated

    @settings(
        max_examples=EXAMPLES[mode],
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode, path_parameters=fixed or None))
    def check(case):
        case.call_and_validate(headers={"Authorization": f"Bearer {bearer}"}, checks=CHECKS)

    check()


def test_api_never_answers_a_server_error_or_an_undocumented_response(
    seeded_api, wsgi_in_test_transaction
):
    bearer, path = seeded_api
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", wsgi_in_test_transaction)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 30  # the whole document, not an empty or unreadable one
    failures = []
    for operation in operations:
        for mode in EXAMPLES:
            try:
                run_operation(operation, mode, bearer, path)
            except Unsatisfiable:
                # Nothing of this operation can be made invalid (no body, no free parameter).
                assert mode is GenerationMode.NEGATIVE
            except Exception as exc:  # noqa: BLE001 (collect every operation's failure)
                failures.append(f"{operation.label} [{mode.value}]: {exc}")
    assert not failures, "\n\n".join(failures)
