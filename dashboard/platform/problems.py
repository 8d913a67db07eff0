"""RFC 9457 problem details: every API error is application/problem+json."""

from http import HTTPStatus

from django.http import JsonResponse

PROBLEM_CONTENT_TYPE = "application/problem+json"


def problem(
    status: int,
    detail: str,
    *,
    title: str | None = None,
    type_: str = "about:blank",
    **extra: object,
) -> JsonResponse:
    from config import request_context

    body = {
        "type": type_,
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        **extra,
    }
    request_id = request_context.current_request_id()
    if request_id:
        body["request_id"] = request_id
    return JsonResponse(body, status=status, content_type=PROBLEM_CONTENT_TYPE)
