"""Input of the public survey pages (no login): the answers of a rendered questionnaire read
back from the POST, the printed-card code, and the spam guards — a honeypot field and a signed
stamp issued with each rendered page (it names the campaign and unit, must be at least
SQMS_PUBLIC_MIN_SECONDS and at most a day old, and is good for one submission, so a double tap
records one response). The per-address rate limit is the view's. The service validates the
answers themselves."""

from __future__ import annotations

import secrets
import time
from typing import Any

from django import forms
from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.http import QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sqms.surveys.instruments import Item, Spec, text

HONEYPOT = "website"
STAMP_FIELD = "stamp"
STAMP_SALT = "sqms.surveys.answer"
STAMP_MAX_AGE = 24 * 3600
_SPENT = "sqms:survey-stamp:"


class StampError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def stamp_issue(scope: str) -> str:
    return signing.dumps(
        {"s": scope, "n": secrets.token_urlsafe(12), "t": round(time.time(), 3)}, salt=STAMP_SALT
    )


def stamp_read(value: str, scope: str) -> str:
    """The stamp's one-time key, if it is good for a submission here now."""
    try:
        data = signing.loads(value or "", salt=STAMP_SALT, max_age=STAMP_MAX_AGE)
    except signing.SignatureExpired:
        raise StampError(_("The page was open for more than a day. Send it again.")) from None
    except signing.BadSignature:
        raise StampError(_("The page could not be verified. Send it again.")) from None
    if not isinstance(data, dict) or data.get("s") != scope:
        raise StampError(_("The page could not be verified. Send it again."))
    if time.time() - float(data["t"]) < settings.SQMS_PUBLIC_MIN_SECONDS:
        raise StampError(_("The answers were sent too quickly. Check them and send them again."))
    return str(data["n"])


def stamp_claim(key: str) -> bool:
    """Mark the stamp used; False when it already was (the same page sent twice)."""
    return bool(cache.add(_SPENT + key, "", timeout=STAMP_MAX_AGE))


def stamp_release(key: str) -> None:
    """A submission that failed validation may be corrected and sent again with its stamp."""
    cache.delete(_SPENT + key)


def answers_from_post(spec: Spec, post: QueryDict) -> dict[str, Any]:
    """The raw answers of the rendered form, by item code (multiple choices as lists)."""
    raw: dict[str, Any] = {}
    for item in spec.items:
        if item.type == "multiple":
            values = post.getlist(item.code)
            if values:
                raw[item.code] = values
        else:
            value = post.get(item.code, "")
            if value != "":
                raw[item.code] = value
    return raw


def questions_for_page(spec: Spec, lang: str, values: dict[str, Any]) -> list[dict[str, Any]]:
    """The questions as the answer page renders them, with the answers given so far."""
    by_code = spec.by_code
    out = []
    for q in spec.data["questions"]:
        qtype = q["type"]
        entry: dict[str, Any] = {
            "code": q["code"],
            "type": qtype,
            "text": text(q, lang),
            "required": q.get("required", qtype != "text"),
            "low": text(q.get("low"), lang),
            "high": text(q.get("high"), lang),
        }
        if qtype in ("likert", "matrix"):
            levels = q.get("levels")
            entry["points"] = [
                {"value": v, "label": text(levels[v - 1], lang) if levels else str(v)}
                for v in range(1, int(q.get("points", 5)) + 1)
            ]
            entry["labelled"] = bool(levels)
        if qtype == "nps":
            entry["points"] = [{"value": v, "label": str(v)} for v in range(0, 11)]
        if qtype in ("single", "multiple"):
            chosen = values.get(q["code"])
            chosen_list = chosen if isinstance(chosen, list) else [chosen]
            entry["options"] = [
                {"code": o["code"], "label": text(o, lang), "checked": o["code"] in chosen_list}
                for o in q["options"]
            ]
        if qtype in ("matrix", "allocation"):
            entry["rows"] = [
                {"code": r["code"], "text": text(r, lang), "value": _str(values.get(r["code"]))}
                for r in q["rows"]
            ]
            entry["total"] = q.get("total", 100)
        else:
            item: Item = by_code[q["code"]]
            entry["value"] = _str(values.get(item.code))
        out.append(entry)
    return out


def _str(value: Any) -> str:
    return "" if value is None or isinstance(value, list) else str(value)


class CardCodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("The code on your card"),
        max_length=20,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
