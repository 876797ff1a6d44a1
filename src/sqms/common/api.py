"""API plumbing shared by every app's router: authentication, problem+json errors, pagination and
Idempotency-Key handling.

Errors follow RFC 9457 (application/problem+json) with an `errors` list of {loc, msg}, so a
client can show each message beside its field.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import IntegrityError, transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, NinjaAPI, Schema, Status
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.pagination import PaginationBase
from ninja.parser import Parser
from ninja.security import APIKeyCookie, HttpBearer
from pydantic import BaseModel

from sqms.common import rows
from sqms.common.errors import DomainError, FieldError
from sqms.common.models import IdempotencyRecord
from sqms.common.paging import Window
from sqms.common.tokens import token_authenticate

log = logging.getLogger(__name__)
PROBLEM = "application/problem+json"


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = token_authenticate(token)
        if user is not None:
            request.user = user
        return user


class Session(APIKeyCookie):
    """The browser's session, with Django's CSRF check on unsafe methods."""

    param_name = settings.SESSION_COOKIE_NAME

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_active:
            return user
        return None


class UnparsableBody(Exception):
    """The request body is not JSON; `where` says where the parser gave up."""

    def __init__(self, where: str) -> None:
        super().__init__(where)
        self.where = where


class JsonBody(Parser):
    """ninja's JSON parser, failing with UnparsableBody (ninja wraps any failure as an English
    400 without details; the handler below turns this one into a translated problem)."""

    def parse_body(self, request: HttpRequest) -> Any:
        try:
            return json.loads(request.body)
        except UnicodeDecodeError as e:
            raise UnparsableBody(_("byte %(pos)d is not UTF-8") % {"pos": e.start + 1}) from e
        except json.JSONDecodeError as e:
            raise UnparsableBody(
                _("%(error)s at line %(line)d, column %(column)d")
                % {"error": _json_reason(e.msg), "line": e.lineno, "column": e.colno}
            ) from e


def _json_reason(msg: str) -> str:
    # The json module's reasons, in the user's language where we know them.
    reasons = {
        "Expecting value": _("a value was expected"),
        "Expecting ',' delimiter": _("a comma was expected"),
        "Expecting ':' delimiter": _("a colon was expected"),
        "Expecting property name enclosed in double quotes": _(
            "a name in double quotes was expected"
        ),
        "Unterminated string starting at": _("a string is not closed"),
        "Extra data": _("there is more after the JSON value"),
        "Invalid control character at": _("a string holds a control character"),
        "Invalid \\escape": _("a string holds an invalid escape"),
    }
    return str(reasons.get(msg, msg))


def problem(
    status: int,
    title: str,
    detail: str = "",
    errors: list[FieldError] | None = None,
    type_: str = "about:blank",
) -> HttpResponse:
    body: dict[str, Any] = {"type": type_, "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body["errors"] = [{"loc": e.loc, "msg": e.msg} for e in (errors or [])]
    return HttpResponse(json.dumps(body, ensure_ascii=False), status=status, content_type=PROBLEM)


def _loc(raw: Any) -> list[str | int]:
    # ninja reports e.g. ("body", "payload", "name"): the client wants ("body", "name").
    loc = [p for p in raw if p != "payload"]
    return loc


def install_handlers(api: NinjaAPI) -> None:
    @api.exception_handler(DomainError)
    def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
        titles = {404: _("Not found"), 403: _("Forbidden"), 409: _("Conflict")}
        return problem(
            exc.status,
            str(titles.get(exc.status, _("The request cannot be carried out"))),
            detail=exc.message,
            errors=exc.errors,
            type_=f"urn:sqms:error:{exc.code}",
        )

    @api.exception_handler(ValidationError)
    def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        errors = [
            FieldError(loc=_loc(e.get("loc", [])), msg=str(e.get("msg", ""))) for e in exc.errors
        ]
        return problem(
            422,
            _("Invalid input"),
            detail=_("Some fields are not valid; see errors."),
            errors=errors,
            type_="urn:sqms:error:validation",
        )

    @api.exception_handler(AuthenticationError)
    def auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        resp = problem(
            401,
            _("Authentication required"),
            detail=_("Send a valid token as 'Authorization: Bearer …' or log in."),
        )
        resp["WWW-Authenticate"] = "Bearer"
        return resp

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        if isinstance(exc.__cause__, UnparsableBody):
            return problem(
                400,
                _("The request body is not valid JSON"),
                detail=_("Send the fields as one JSON object; see errors."),
                errors=[FieldError(loc=["body"], msg=exc.__cause__.where)],
                type_="urn:sqms:error:unparsable_body",
            )
        return problem(exc.status_code, str(exc.message))

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return problem(404, _("Not found"))

    @api.exception_handler(DjangoPermissionDenied)
    def forbidden(request: HttpRequest, exc: DjangoPermissionDenied) -> HttpResponse:
        return problem(403, _("Forbidden"), detail=str(exc) or "")

    @api.exception_handler(Exception)
    def server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
        log.exception("API error on %s %s", request.method, request.path)
        return problem(500, _("Server error"), detail=_("The error has been logged."))


def _page_rows(queryset: Any, offset: int, size: int) -> list[Any]:
    ids = list(queryset.values_list("pk", flat=True)[offset : offset + size])
    return list(queryset.filter(pk__in=ids)) if ids else []


def page_of(
    queryset: Any, page: int, page_size: int, *, exact_count: bool = False
) -> dict[str, Any]:
    """One page of a queryset as {count, count_exact, page, page_size, items} (items are model
    rows), for endpoints over big tables that shape each row themselves. The count stops at
    SQMS_LIST_COUNT_CAP unless `exact_count`: beyond it `count` is the cap and `count_exact`
    false (see sqms.common.paging)."""
    size = min(page_size, settings.SQMS_API_PAGE_MAX)
    offset = (page - 1) * size
    window = Window(queryset, offset, size, exact=exact_count)
    return {
        "count": window.cap if window.capped else window.counted,
        "count_exact": not window.capped,
        "page": page,
        "page_size": size,
        "items": window.rows(),
    }


class Page(PaginationBase):
    """Page-number pagination: ?page=1&page_size=50 (at most SQMS_API_PAGE_MAX), answering
    {count, page, page_size, items}."""

    class Input(Schema):
        page: int = Field(1, ge=1)
        page_size: int = Field(50, ge=1, le=500)

    class Output(Schema):
        count: int
        page: int
        page_size: int
        items: list[Any]

    items_attribute = "items"

    def paginate_queryset(self, queryset: Any, pagination: Input, **params: Any) -> dict[str, Any]:
        size = min(pagination.page_size, settings.SQMS_API_PAGE_MAX)
        offset = (pagination.page - 1) * size
        return {
            "count": queryset.count(),
            "page": pagination.page,
            "page_size": size,
            # Ids first, then the rows: a deep OFFSET then skips bare ids, not joined rows.
            "items": _page_rows(queryset, offset, size),
        }


def _payload_digest(request: HttpRequest, payload: Any) -> str:
    # The validated body in the schema's field order (pydantic's own serializer): the same
    # request sent again digests the same, whatever its key order or spacing.
    if isinstance(payload, BaseModel):
        body = payload.model_dump_json().encode()
    else:
        body = json.dumps(payload, sort_keys=True, default=str).encode()
    return hashlib.sha256(request.path.encode() + b"\n" + body).hexdigest()


@dataclass(frozen=True)
class Serialized:
    """What `create` may return to `idempotent` instead of the object: the answer serialised by
    `out` already (an endpoint that could do it before the transaction)."""

    body: str


def idempotent(
    request: HttpRequest,
    payload: Any,
    create: Callable[[], Any],
    out: type[Schema],
    status: int = 201,
) -> Status[Any] | HttpResponse:
    """Run `create` once per Idempotency-Key. A retry with the same key and body replays the stored
    answer and creates nothing; the same key with another body is refused. The record is written
    with the creation, in its transaction, so a failed creation leaves no record behind and an
    acknowledged one always has its record. The answer is serialised once, stored, and sent as
    stored, the first time and on every replay.

    The key is looked up before the transaction (on SQLite it holds the write lock): two requests
    racing with one key both create, the second's record then collides with the first's, its
    transaction rolls back whole, and it replays the first's answer."""
    key = request.headers.get("Idempotency-Key", "").strip()

    def answer() -> str:
        created = create()
        if isinstance(created, Serialized):
            return created.body
        return out.from_orm(created).model_dump_json(by_alias=True)

    if not key:
        created = create()
        if isinstance(created, Serialized):
            return HttpResponse(created.body, status=status, content_type="application/json")
        return Status(status, out.from_orm(created))
    if len(key) > 200:
        raise DomainError(
            code="invalid_idempotency_key",
            message=_("Idempotency-Key is longer than 200 characters."),
            errors=[
                FieldError(loc=["header", "Idempotency-Key"], msg=_("At most 200 characters."))
            ],
        )
    digest = _payload_digest(request, payload)
    user = request.user
    horizon = timezone.now() - dt.timedelta(hours=settings.SQMS_IDEMPOTENCY_HOURS)
    existing = rows.get_by(IdempotencyRecord, user_id=user.pk, key=key)
    expired = existing is not None and existing.created_at < horizon
    if existing is not None and not expired:
        return _replay(existing, digest, status)
    try:
        with transaction.atomic(), rows.batch():
            if expired:
                # The worker purges expired keys hourly; one met here is free again.
                IdempotencyRecord.objects.filter(pk=existing.pk).delete()  # type: ignore[union-attr]
            body = answer()
            rows.insert(
                IdempotencyRecord(
                    user=user,
                    key=key,
                    request_digest=digest,
                    method=request.method or "POST",
                    path=request.path,
                    status=status,
                    body=body,
                )
            )
    except IntegrityError:
        winner = IdempotencyRecord.objects.filter(user=user, key=key).first()
        if winner is None:
            raise  # not the key: another constraint of the creation itself
        return _replay(winner, digest, status)
    return HttpResponse(body, status=status, content_type="application/json")


def _replay(record: IdempotencyRecord, digest: str, status: int) -> HttpResponse:
    if record.request_digest != digest:
        raise DomainError(
            code="idempotency_key_reused",
            status=422,
            message=_("This Idempotency-Key was already used for a different request."),
        )
    return HttpResponse(
        record.body, status=record.status or status, content_type="application/json"
    )
