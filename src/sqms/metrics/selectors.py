"""Scoped reads of KPIs and measurements: those who manage KPIs or see evaluation results read
the measurements of the units in their subtrees; a guessed id elsewhere is not found."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from sqms.common.errors import NotFound
from sqms.metrics.models import Kpi, Measurement
from sqms.org.roles import Cap
from sqms.org.selectors import AnyUser, access_for

READ_CAPS = (Cap.METRICS_MANAGE, Cap.EVALUATION_VIEW)


def metrics_visible(user: AnyUser) -> bool:
    access = access_for(user)
    return any(access.any_cap(c) for c in READ_CAPS)


def _scope(user: AnyUser) -> Q:
    access = access_for(user)
    if access.superuser:
        return Q()
    q = Q(pk__in=[])
    for cap in READ_CAPS:
        for p in access.prefixes(cap):
            q |= Q(unit__path__startswith=p)
    return q


def kpi_list_for_user(user: AnyUser) -> QuerySet[Kpi]:
    if not metrics_visible(user):
        return Kpi.objects.none()
    return (
        Kpi.objects.filter(is_active=True)
        .annotate(
            measured=Count(
                "measurements", filter=Q(measurements__in=measurement_queryset_for_user(user))
            )
        )
        .order_by("code")
    )


def kpi_get_for_user(user: AnyUser, code: str) -> Kpi:
    kpi = Kpi.objects.filter(code=code).first() if metrics_visible(user) else None
    if kpi is None:
        raise NotFound(_("KPI not found."))
    return kpi


def measurement_queryset_for_user(user: AnyUser) -> QuerySet[Measurement]:
    return Measurement.objects.filter(_scope(user))


def measurement_list_for_user(user: AnyUser, kpi: Kpi) -> QuerySet[Measurement]:
    return (
        measurement_queryset_for_user(user)
        .filter(kpi=kpi)
        .select_related("unit", "staff")
        .order_by("-period_start", "unit__path", "staff__employee_no")
    )
