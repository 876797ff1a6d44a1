"""Staff pages of the surveys module: campaigns (list, new, detail with its links, QR codes,
cards and quotas), instruments (list, preview, new version in YAML) and the sample-size
calculator. Thin: parse, call one selector or service, render."""

from __future__ import annotations

import io
from typing import Any

import segno
import yaml
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from sqms.common.errors import DomainError, NotFound, PermissionDenied
from sqms.common.forms import form_errors
from sqms.common.http import scoped
from sqms.core import survey_stats as ss
from sqms.org.models import OrgUnit
from sqms.org.roles import Cap
from sqms.org.selectors import access_for, can, unit_get_for_user
from sqms.surveys import selectors, services
from sqms.surveys.configuration import shipped_instrument
from sqms.surveys.forms import CampaignForm, CardsForm, InstrumentForm, SampleSizeForm
from sqms.surveys.instruments import spec_parse, text
from sqms.surveys.models import Audience, Campaign, CampaignStatus
from sqms.surveys.public_forms import questions_for_page

T = "surveys/"
CARD_PAGE = 60


def _require(request: HttpRequest, cap: str) -> None:
    if not can(request.user, cap):
        raise PermissionDenied()


def _lang() -> str:
    return "zh" if (get_language() or "zh").startswith("zh") else "en"


def _base() -> str:
    return str(settings.SQMS_BASE_URL).rstrip("/")


def open_url(campaign: Campaign, unit: OrgUnit) -> str:
    return _base() + reverse("surveys-public:open", args=[campaign.public_key, unit.code])


def _qr_svg(url: str) -> str:
    # Level M survives a scuffed card; segno writes the SVG from the URL's bits alone.
    qr = segno.make(url, error="m", micro=False)
    return mark_safe(qr.svg_inline(scale=1, border=2, omitsize=True, svgclass="qr", lineclass=None))  # noqa: S308


# --- Campaigns ------------------------------------------------------------------------------


@scoped
@require_GET
def campaign_list(request: HttpRequest) -> HttpResponse:
    _require(request, Cap.SURVEY_VIEW)
    status = request.GET.get("status", "")
    status = status if status in CampaignStatus.values else ""
    campaigns = list(selectors.campaign_list_for_user(request.user, status=status)[:200])
    return render(
        request,
        T + "campaign_list.html",
        {
            "campaigns": campaigns,
            "status": status,
            "statuses": CampaignStatus.choices,
            "can_manage": can(request.user, Cap.SURVEY_MANAGE),
        },
    )


@scoped
@require_http_methods(["GET", "POST"])
def campaign_new(request: HttpRequest) -> HttpResponse:
    _require(request, Cap.SURVEY_MANAGE)
    defaults = services.survey_defaults()
    initial = {
        "satisfaction_definition": defaults.satisfaction_definition,
        "ipa_crosshair": defaults.ipa_crosshair,
        "weighting": defaults.weighting,
        "min_group": defaults.min_group,
        "reminder_days": ", ".join(str(d) for d in defaults.reminder_days),
    }
    form = CampaignForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            campaign = services.campaign_create(actor=request.user, data=form.data_for_service())  # type: ignore[arg-type]
        except DomainError as exc:
            form_errors(form, exc)
        else:
            messages.success(request, _("Survey created as a draft. Open it when it is ready."))
            return redirect("surveys:detail", campaign_id=campaign.pk)
    return render(request, T + "campaign_new.html", {"form": form})


@scoped
@require_GET
def campaign_detail(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = selectors.campaign_get_for_user(request.user, campaign_id)
    access = access_for(request.user)
    counts = selectors.response_counts(campaign)
    units = list(
        OrgUnit.objects.filter(path__startswith=campaign.unit.path, is_active=True).order_by("path")
    )
    if not access.superuser:
        prefixes = access.prefixes(Cap.SURVEY_VIEW)
        units = [u for u in units if any(u.path.startswith(p) for p in prefixes)]
    quotas = {int(k): v for k, v in campaign.quotas.items()}
    rows = []
    for u in units:
        got = sum(n for pk, n in counts.items() if pk == u.pk)
        subtotal = sum(n for pk, n in counts.items() if pk in _subtree_ids(u, units))
        rows.append(
            {
                "unit": u,
                "own": got,
                "total": subtotal,
                "quota": quotas.get(u.pk),
                "url": open_url(campaign, u),
            }
        )
    invitations = selectors.invitations_for_user(request.user, campaign)
    context = {
        "campaign": campaign,
        "rows": rows,
        "n_responses": sum(counts.values()),
        "n_invited": invitations.count(),
        "n_answered": invitations.filter(responded=True).count(),
        "can_manage": access.covers(Cap.SURVEY_MANAGE, campaign.unit.path),
        "can_results": selectors.campaign_queryset_for_user(request.user, Cap.SURVEY_RESULTS)
        .filter(pk=campaign.pk)
        .exists(),
        "cards_form": CardsForm(user=request.user, campaign=campaign),
        "staff_audience": campaign.audience in (Audience.STAFF, Audience.INTERNAL),
        "title": text(campaign.instrument.spec["title"], _lang()),
    }
    return render(request, T + "campaign_detail.html", context)


def _subtree_ids(unit: OrgUnit, units: list[OrgUnit]) -> set[int]:
    return {u.pk for u in units if u.path.startswith(unit.path)}


def _managed(request: HttpRequest, campaign_id: int) -> Campaign:
    return selectors.campaign_get_for_user(request.user, campaign_id, Cap.SURVEY_MANAGE)


@scoped
@require_POST
def campaign_action(request: HttpRequest, campaign_id: int, action: str) -> HttpResponse:
    campaign = _managed(request, campaign_id)
    try:
        if action == "open":
            services.campaign_open(actor=request.user, campaign=campaign)  # type: ignore[arg-type]
            messages.success(request, _("The survey is open."))
        elif action == "close":
            services.campaign_close(actor=request.user, campaign=campaign)  # type: ignore[arg-type]
            messages.success(request, _("The survey is closed."))
        elif action == "invite-staff":
            made = services.invitations_create(
                actor=request.user,  # type: ignore[arg-type]
                campaign=campaign,
                specs=services.staff_invitation_specs(campaign),
            )
            messages.success(request, _("%(n)d invitations created.") % {"n": len(made)})
        elif action == "quotas":
            quotas = {}
            for key, value in request.POST.items():
                if key.startswith("quota-") and key[6:].isdigit():
                    quotas[int(key[6:])] = (
                        int(value) if value.strip().isdigit() else (0 if not value.strip() else -1)
                    )
            services.campaign_set_quotas(actor=request.user, campaign=campaign, quotas=quotas)  # type: ignore[arg-type]
            messages.success(request, _("Quotas saved."))
        else:
            raise NotFound()
    except DomainError as exc:
        if isinstance(exc, NotFound | PermissionDenied):
            raise
        details = "; ".join(e.msg for e in exc.errors)
        messages.error(request, f"{exc.message} {details}".strip())
    return redirect("surveys:detail", campaign_id=campaign.pk)


@scoped
@require_POST
def campaign_cards_new(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = _managed(request, campaign_id)
    form = CardsForm(request.POST, user=request.user, campaign=campaign)
    if form.is_valid():
        d = form.cleaned_data
        spec = services.InvitationSpec(
            unit=d["unit"], subject_staff=d["staff"], source_ref=d["source_ref"] or ""
        )
        try:
            made = services.invitations_create(
                actor=request.user, campaign=campaign, specs=[spec] * d["count"]
            )  # type: ignore[arg-type]
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("%(n)d cards created.") % {"n": len(made)})
            return redirect(reverse("surveys:cards", args=[campaign.pk]) + f"?unit={d['unit'].pk}")
    else:
        messages.error(
            request,
            "; ".join(
                f"{form.fields[k].label}: {' '.join(v)}" if k in form.fields else " ".join(v)
                for k, v in form.errors.items()
            ),
        )
    return redirect("surveys:detail", campaign_id=campaign.pk)


@scoped
@require_GET
def campaign_cards(request: HttpRequest, campaign_id: int) -> HttpResponse:
    """Printable cards: each with its QR code and the code to type, unanswered ones only."""
    campaign = selectors.campaign_get_for_user(request.user, campaign_id)
    qs = (
        selectors.invitations_for_user(request.user, campaign)
        .filter(responded=False)
        .order_by("-pk")
    )
    unit = request.GET.get("unit", "")
    if unit.isdigit():
        qs = qs.filter(unit_id=int(unit))
    cards = []
    for inv in qs[:CARD_PAGE]:
        url = _base() + reverse("surveys-public:invitation", args=[inv.token]) + "?via=card"
        cards.append({"inv": inv, "qr": _qr_svg(url), "code": f"{inv.code[:5]} {inv.code[5:]}"})
    code_url = _base() + reverse("surveys-public:code")
    return render(
        request,
        T + "campaign_cards.html",
        {
            "campaign": campaign,
            "cards": cards,
            "code_url": code_url,
            "title": text(campaign.instrument.spec["title"], _lang()),
        },
    )


@scoped
@require_GET
def campaign_poster(request: HttpRequest, campaign_id: int, unit_id: int) -> HttpResponse:
    """A unit's QR poster for the campaign's open link (PNG with ?format=png)."""
    campaign = selectors.campaign_get_for_user(request.user, campaign_id)
    unit = unit_get_for_user(request.user, unit_id, Cap.SURVEY_VIEW)
    if not unit.path.startswith(campaign.unit.path):
        raise NotFound(_("Unit not found."))
    url = open_url(campaign, unit)
    if request.GET.get("format") == "png":
        out = io.BytesIO()
        segno.make(url, error="m", micro=False).save(out, kind="png", scale=20, border=4)
        response = HttpResponse(out.getvalue(), content_type="image/png")
        response["Content-Disposition"] = (
            f'attachment; filename="survey-{campaign.pk}-{unit.code}.png"'
        )
        return response
    return render(
        request,
        T + "campaign_poster.html",
        {
            "campaign": campaign,
            "unit": unit,
            "url": url,
            "qr_svg": _qr_svg(url),
            "title": text(campaign.instrument.spec["title"], _lang()),
        },
    )


# --- Instruments ----------------------------------------------------------------------------


@scoped
@require_GET
def instrument_list(request: HttpRequest) -> HttpResponse:
    _require(request, Cap.SURVEY_VIEW)
    return render(
        request,
        T + "instrument_list.html",
        {
            "instruments": list(selectors.instrument_list()),
            "can_manage": can(request.user, Cap.SURVEY_MANAGE),
        },
    )


@scoped
@require_GET
def instrument_detail(request: HttpRequest, instrument_id: int) -> HttpResponse:
    instrument = selectors.instrument_get_for_user(request.user, instrument_id)
    spec = spec_parse(instrument.spec)
    lang = request.GET.get("lang") if request.GET.get("lang") in ("zh", "en") else _lang()
    return render(
        request,
        T + "instrument_detail.html",
        {
            "instrument": instrument,
            "questions": questions_for_page(spec, lang, {}),
            "dimensions": [{"code": d["code"], "label": text(d, lang)} for d in spec.dimensions],
            "lang": lang,
            "title": text(spec.data["title"], lang),
            "can_manage": can(request.user, Cap.SURVEY_MANAGE),
        },
    )


def _next_version_yaml(request: HttpRequest) -> str:
    base = request.GET.get("from", "")
    if base.isdigit():
        instrument = selectors.instrument_get_for_user(request.user, int(base))
        data = dict(instrument.spec)
        latest = selectors.instrument_list().filter(code=instrument.code).first()
        data["version"] = (latest.version if latest else instrument.version) + 1
    else:
        data = shipped_instrument("opinion-card") | {
            "code": "my-survey",
            "version": 1,
            "kind": "custom",
        }
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)


@scoped
@require_http_methods(["GET", "POST"])
def instrument_new(request: HttpRequest) -> HttpResponse:
    _require(request, Cap.SURVEY_MANAGE)
    if request.method == "POST":
        form = InstrumentForm(request.POST)
        errors: list[Any] = []
        if form.is_valid():
            try:
                instrument, created = services.instrument_create(
                    actor=request.user,
                    data=form.cleaned_data["definition"],
                    source="upload",  # type: ignore[arg-type]
                )
            except DomainError as exc:
                errors = exc.errors
                form.add_error(None, exc.message)
            else:
                if created:
                    messages.success(request, _("Instrument saved."))
                else:
                    messages.info(request, _("This version was already saved; nothing changed."))
                return redirect("surveys:instrument", instrument_id=instrument.pk)
        return render(
            request,
            T + "instrument_new.html",
            {"form": form, "errors": errors},
            status=422 if errors or form.errors else 200,
        )
    form = InstrumentForm(initial={"definition": _next_version_yaml(request)})
    return render(request, T + "instrument_new.html", {"form": form, "errors": []})


# --- Sample size ----------------------------------------------------------------------------


@scoped
@require_GET
def sample_size(request: HttpRequest) -> HttpResponse:
    _require(request, Cap.SURVEY_VIEW)
    form = SampleSizeForm(request.GET or None)
    result: dict[str, Any] | None = None
    if form.is_bound and form.is_valid():
        d = form.cleaned_data
        strata = d["strata"]
        population = d["population"] or (sum(s for _n, s, _sd in strata) if strata else None)
        n = ss.cochran_sample_size(
            d["margin"] / 100, float(d["confidence"]), d["proportion"] / 100, population
        )
        alloc = {}
        if strata:
            sizes = {name: size for name, size, _sd in strata}
            sds = {name: sd for name, _s, sd in strata if sd is not None} or None
            alloc = ss.stratified_allocation(n, sizes, sds)  # type: ignore[arg-type]
        result = {
            "n": n,
            "n0": ss.cochran_sample_size(
                d["margin"] / 100, float(d["confidence"]), d["proportion"] / 100
            ),
            "population": population,
            "allocation": [{"name": k, "size": sizes[k], "n": v} for k, v in alloc.items()]
            if alloc
            else [],
            "method": "neyman" if strata and strata[0][2] is not None else "proportional",
        }
    return render(request, T + "sample_size.html", {"form": form, "result": result})


urlpatterns: list[URLPattern] = [
    path("", campaign_list, name="list"),
    path("new/", campaign_new, name="new"),
    path("<int:campaign_id>/", campaign_detail, name="detail"),
    path("<int:campaign_id>/do/<slug:action>/", campaign_action, name="action"),
    path("<int:campaign_id>/cards/", campaign_cards, name="cards"),
    path("<int:campaign_id>/cards/new/", campaign_cards_new, name="cards-new"),
    path("<int:campaign_id>/poster/<int:unit_id>/", campaign_poster, name="poster"),
    path("instruments/", instrument_list, name="instruments"),
    path("instruments/new/", instrument_new, name="instrument-new"),
    path("instruments/<int:instrument_id>/", instrument_detail, name="instrument"),
    path("sample-size/", sample_size, name="sample-size"),
]
