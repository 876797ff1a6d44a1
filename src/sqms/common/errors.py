"""Errors raised by the service and selector layers.

Services never raise HTTP errors: they raise a DomainError with a stable code, and the API's
exception handler and the views' form helper turn it into problem+json or form errors, once each.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class FieldError:
    """One problem with one input: `loc` names the field (or row and field), `msg` says what."""

    loc: list[str | int]
    msg: str


@dataclass
class DomainError(Exception):
    """A business rule refused the operation; nothing was changed."""

    code: str
    message: str
    errors: list[FieldError] = field(default_factory=list)
    status: int = 422

    def __str__(self) -> str:
        return self.message


class NotFound(DomainError):
    """The record does not exist *for this user*: out-of-scope records look absent, not forbidden,
    so that guessing ids tells an outsider nothing."""

    def __init__(self, message: str = "Not found.") -> None:
        super().__init__(code="not_found", message=message, status=404)


class PermissionDenied(DomainError):
    """The user can see the record but may not do this to it."""

    def __init__(self, message: str = "You do not have permission to do this.") -> None:
        super().__init__(code="permission_denied", message=message, status=403)


def field_error(field_name: str, message: str, code: str = "invalid") -> DomainError:
    return DomainError(
        code=code, message=message, errors=[FieldError(loc=[field_name], msg=message)]
    )
