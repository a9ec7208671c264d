"""Meta error codes (FACTS.md §3.2) map to the right typed error, kind and retry decision."""

from __future__ import annotations

import pytest

from niaga.channels.whatsapp import errors as E

# code, HTTP status from Meta's table, expected class, retryable
TABLE: list[tuple[int, int, type[E.GraphError], bool]] = [
    (0, 401, E.AuthError, False),
    (1, 400, E.InvalidRequestError, False),
    (2, 503, E.TransientGraphError, True),
    (3, 500, E.GraphPermissionError, False),
    (4, 400, E.RateLimitError, True),
    (10, 403, E.GraphPermissionError, False),
    (33, 400, E.GraphPermissionError, False),
    (100, 400, E.InvalidRequestError, False),
    (190, 401, E.AuthError, False),
    (200, 403, E.GraphPermissionError, False),
    (250, 403, E.GraphPermissionError, False),
    (299, 403, E.GraphPermissionError, False),
    (368, 403, E.PolicyError, False),
    (80007, 400, E.RateLimitError, True),
    (130429, 400, E.RateLimitError, True),
    (130472, 400, E.RecipientError, False),
    (130497, 403, E.PolicyError, False),
    (131000, 500, E.TransientGraphError, True),
    (131005, 403, E.GraphPermissionError, False),
    (131008, 400, E.InvalidRequestError, False),
    (131009, 400, E.InvalidRequestError, False),
    (131016, 500, E.TransientGraphError, True),
    (131021, 400, E.RecipientError, False),
    (131026, 400, E.RecipientError, False),
    (131031, 403, E.PolicyError, False),
    (131037, 400, E.GraphPermissionError, False),
    (131042, 400, E.GraphPermissionError, False),
    (131045, 500, E.GraphPermissionError, False),
    (131047, 400, E.WindowClosedError, False),
    (131048, 400, E.PolicyError, False),
    (131049, 400, E.RecipientError, False),
    (131050, 400, E.RecipientError, False),
    (131051, 400, E.InvalidRequestError, False),
    (131052, 400, E.InvalidRequestError, False),
    (131053, 400, E.InvalidRequestError, False),
    (131056, 400, E.PairRateLimitError, True),
    (131057, 500, E.TransientGraphError, True),
    (132000, 400, E.TemplateError, False),
    (132001, 404, E.TemplateError, False),
    (132005, 400, E.TemplateError, False),
    (132007, 400, E.TemplateError, False),
    (132012, 400, E.TemplateError, False),
    (132015, 400, E.TemplateError, False),
    (132016, 400, E.TemplateError, False),
    (132068, 400, E.TemplateError, False),
    (132069, 400, E.RateLimitError, True),
    (133000, 500, E.GraphPermissionError, False),
    (133004, 503, E.TransientGraphError, True),
    (133005, 400, E.GraphPermissionError, False),
    (133006, 400, E.GraphPermissionError, False),
    (133008, 400, E.GraphPermissionError, False),
    (133009, 400, E.GraphPermissionError, False),
    (133010, 400, E.GraphPermissionError, False),
    (133015, 400, E.TransientGraphError, True),
    (133016, 400, E.RateLimitError, True),
    (134011, 400, E.GraphPermissionError, False),
    (135000, 400, E.InvalidRequestError, False),
    # pywa extras
    (131062, 400, E.RecipientError, False),
    (131063, 400, E.GraphPermissionError, False),
    (131064, 400, E.PolicyError, False),
]


def meta_body(code: int, message: str = "msg", details: str | None = "details") -> dict:
    error: dict = {
        "message": message,
        "type": "OAuthException",
        "code": code,
        "fbtrace_id": "AbCdEf",
    }
    if details is not None:
        error["error_data"] = {"messaging_product": "whatsapp", "details": details}
    return {"error": error}


@pytest.mark.parametrize(("code", "status", "cls", "retryable"), TABLE)
def test_every_fact_sheet_code_maps(
    code: int, status: int, cls: type[E.GraphError], retryable: bool
) -> None:
    err = E.error_from_response(status, meta_body(code))
    assert type(err) is cls
    assert err.kind == cls.kind and err.kind in E.KINDS
    assert err.retryable is retryable
    assert err.code == code and err.http_status == status
    # The webhook path (no HTTP status) agrees for known codes.
    hooked = E.error_from_info(code, title="t", message="m", details="d")
    assert type(hooked) is cls and hooked.retryable is retryable


def test_kinds_of_the_subclasses() -> None:
    assert {c.kind for c in E.GraphError.__subclasses__()} == set(E.KINDS) - {"unknown"}


def test_fields_of_a_meta_error_body() -> None:
    payload = {
        "error": {
            "message": "(#130429) Rate limit hit",
            "type": "OAuthException",
            "code": 130429,
            "error_data": {"messaging_product": "whatsapp", "details": "Cloud API throughput"},
            "error_subcode": 2494055,
            "fbtrace_id": "Az8or2yhqkZfEZ-_4Qn_Bam",
        }
    }
    err = E.error_from_response(400, payload)
    assert isinstance(err, E.RateLimitError)
    assert err.message == "(#130429) Rate limit hit"
    assert err.details == "Cloud API throughput"
    assert err.fbtrace_id == "Az8or2yhqkZfEZ-_4Qn_Bam"
    assert err.error_type == "OAuthException"
    assert err.subcode == 2494055
    assert err.retry_after is not None and 0 < err.retry_after <= 10
    assert "130429" in str(err) and "Cloud API throughput" in str(err)
    assert isinstance(err, Exception)


@pytest.mark.parametrize(
    ("code", "minimum", "retryable"),
    [
        (131056, 6.0, True),
        (130429, 1.0, True),
        (80007, 1.0, True),
        (4, 1.0, True),
        (133015, 300.0, True),
        (131057, 60.0, True),
        (131049, 24 * 3600.0, False),
    ],
)
def test_retry_after_hints(code: int, minimum: float, retryable: bool) -> None:
    err = E.error_from_info(code, "t")
    assert err.retry_after is not None and err.retry_after >= minimum
    assert err.retryable is retryable


def test_unknown_codes_follow_the_http_status() -> None:
    assert E.error_from_response(500, meta_body(999999)).retryable
    assert E.error_from_response(503, meta_body(999999)).kind == "transient"
    assert not E.error_from_response(400, meta_body(999999)).retryable
    assert E.error_from_response(400, meta_body(999999)).kind == "unknown"
    assert E.error_from_response(429, meta_body(999999)).kind == "rate_limit"
    assert E.error_from_response(401, meta_body(999999)).kind == "auth"
    assert E.error_from_response(403, meta_body(999999)).kind == "permission"
    # Webhook errors with an unknown code: not retryable, unless Meta says transient.
    assert not E.error_from_info(999999, "x").retryable
    body = meta_body(999999)
    body["error"]["is_transient"] = True
    assert E.error_from_response(400, body).retryable


def test_code_1_is_transient_only_with_a_server_error() -> None:
    assert not E.error_from_response(400, meta_body(1)).retryable
    err = E.error_from_response(500, meta_body(1))
    assert err.retryable and err.kind == "transient"


def test_responses_without_a_meta_body() -> None:
    err = E.error_from_response(502, None)
    assert err.code == E.NO_CODE and err.retryable and err.kind == "transient"
    err = E.error_from_response(404, {"detail": "Not Found"})
    assert err.code == E.NO_CODE and not err.retryable and err.http_status == 404


def test_template_creation_subcodes() -> None:
    body = meta_body(100, "Invalid parameter")
    body["error"]["error_subcode"] = 2388299
    err = E.error_from_response(400, body)
    assert isinstance(err, E.TemplateError) and err.code == 100 and err.subcode == 2388299


def test_webhook_failed_status_error() -> None:
    # statuses[].errors[] of a failed status, as parse.py hands it over.
    err = E.error_from_info(
        131047,
        title="Re-engagement message",
        message="Re-engagement message",
        details="Message failed to send because more than 24 hours have passed.",
    )
    assert isinstance(err, E.WindowClosedError)
    assert err.http_status is None and not err.retryable
    assert err.details and "24 hours" in err.details
    assert E.error_from_info(131026, title="Message undeliverable").message == (
        "Message undeliverable"
    )


def test_transport_error() -> None:
    err = E.GraphTransportError("timed out", maybe_delivered=True)
    assert err.maybe_delivered and str(err) == "timed out"
    assert not isinstance(err, E.GraphError)
    assert not E.GraphTransportError("refused", maybe_delivered=False).maybe_delivered
