"""The unit picker of the complaint pages' filters."""

from __future__ import annotations

import html

from django.utils.safestring import SafeString, mark_safe

from sqms.common.memo import memo
from sqms.org.models import OrgUnit, UnitKind
from sqms.org.roles import Cap
from sqms.org.selectors import AnyUser, access_for, unit_queryset_for_user

PICKER_KINDS = [UnitKind.REGION, UnitKind.STORE, UnitKind.DEPARTMENT, UnitKind.BACK_OFFICE]
PICKER_LIMIT = 500


def unit_options(user: AnyUser, selected: OrgUnit | None) -> SafeString:
    """The unit picker's options, built here rather than in the template: a head-office user
    has hundreds, and a template loop over model instances was most of the page's time."""
    access = access_for(user)
    # Everyone with the same subtrees sees the same units: remembered per process under the
    # configuration revision (sqms.common.memo), which a changed unit draws anew.
    scope = "*" if access.superuser else tuple(access.prefixes(Cap.COMPLAINT_VIEW))
    rows = list(
        memo(
            "complaint-unit-picker",
            scope,
            lambda: list(
                unit_queryset_for_user(user, Cap.COMPLAINT_VIEW)
                .filter(is_active=True, kind__in=PICKER_KINDS)
                .order_by("path")
                .values_list("pk", "code", "name")[:PICKER_LIMIT]
            ),
        )
    )
    if selected is not None and all(pk != selected.pk for pk, _c, _n in rows):
        rows.insert(0, (selected.pk, selected.code, selected.name))
    chosen = selected.pk if selected is not None else None
    # The standard library's escape (Django's escape() is the same, with a lazy-string wrapper
    # that costs more than the escaping itself here).
    return mark_safe(  # noqa: S308 - every value is escaped or an int
        "".join(
            f'<option value="{int(pk)}"{" selected" if pk == chosen else ""}>'
            f"{html.escape(code)} {html.escape(name)}</option>"
            for pk, code, name in rows
        )
    )
