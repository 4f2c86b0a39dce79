"""The published API answers every generated request without a server error (schemathesis over the OpenAPI schema).

Every operation of /api/v1/openapi.json gets positive and negative examples (valid and invalid parameters and
bodies), sent in-process as the administrator and as an enterprise account (the widest and the narrowest scope).
Hypothesis runs derandomized with a bounded number of examples, so the run is repeatable and takes seconds.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.schemas import APIOperation, BaseSchema
from sqlalchemy.orm import Session

from ecoloop.app import create_app
from ecoloop.db.base import utcnow
from ecoloop.identity.service import create_api_token
from ecoloop.settings import Settings
from tests.factories import World

EXAMPLES = 20
MODES = (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE)


@pytest.fixture
def api_schema(app_settings: Settings) -> Iterator[BaseSchema]:
    """The app's OpenAPI schema; requests go to the app in-process."""
    app = create_app(app_settings)
    yield schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    app.state.engine.dispose()


def server_errors(operation: APIOperation, mode: schemathesis.GenerationMode, headers: dict[str, str]) -> list[str]:
    """The generated requests of `operation` that got a 5xx answer."""
    found: list[str] = []

    @given(operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck)
    )
    def run(case: schemathesis.Case) -> None:
        response = case.call(headers=headers)
        if response.status_code >= 500:
            found.append(
                f"{case.method} {case.formatted_path} {case.query} {str(case.body)[:120]} -> {response.status_code}"
            )

    try:
        run()
    except Unsatisfiable:
        # An operation without parameters or body has no invalid request to generate.
        assert mode is schemathesis.GenerationMode.NEGATIVE, operation.label
    return found


@pytest.mark.parametrize("user", ["admin", "enterprise_a"])
def test_no_generated_request_makes_a_server_error(
    api_schema: BaseSchema, app_db: Session, app_world: World, user: str
) -> None:
    _token, raw = create_api_token(app_db, app_world.users[user], "fuzz", utcnow())
    app_db.commit()
    headers = {"Authorization": f"Bearer {raw}"}
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 19
    errors = [error for operation in operations for mode in MODES for error in server_errors(operation, mode, headers)]
    assert errors == []
