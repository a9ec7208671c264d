"""Schemathesis over every ``/api/v1`` operation: generated valid and invalid requests, a fixed
seed and a bounded number of cases per operation, so it runs in ``make test``: 0 server errors.

The operations are driven with Hypothesis directly (``as_strategy``) rather than through
Schemathesis' pytest plugin, whose parametrisation does not work with this pytest.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from niaga.core.db import transaction
from niaga.security.tokens import do_create_token
from tests.conftest import LiveServer

CASES_PER_OPERATION = 30


@pytest.mark.slow
def test_no_api_operation_answers_with_a_server_error(niaga: LiveServer, factory: Any) -> None:
    with transaction(factory) as s:
        _, secret = do_create_token(s, name="fuzz", role="owner")
    headers = {"Authorization": f"Bearer {secret}"}
    schema = schemathesis.openapi.from_url(f"{niaga.url}/openapi.json").include(
        path_regex=r"^/api/v1/"
    )
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @settings(
            max_examples=CASES_PER_OPERATION,
            derandomize=True,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def call(case: Any) -> None:
            response = case.call(base_url=niaga.url, headers=headers, timeout=30)
            if response.status_code >= 500:
                failures.append(
                    f"{case.method} {case.formatted_path} {case.query or ''} "
                    f"→ {response.status_code}: {response.text[:300]}"
                )

        call()
    assert operations >= 30, operations
    assert failures == [], "\n".join(failures[:20])
