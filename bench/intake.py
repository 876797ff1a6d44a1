"""What the intake load sends: distinct valid complaints for SQMS's API, the same bodies for
the framework floor, and tickets for django-helpdesk's public form and REST API. Each maker
returns a `bench.load` action: (connection, client index, request number, random stream) ->
(status, body)."""

from __future__ import annotations

import base64
import http.client
import json
import random
import re
import urllib.parse
from collections.abc import Callable
from http.cookies import SimpleCookie
from typing import Any

from bench.generate import _name, _phone

INTAKE_PATH = "/api/v1/complaints"
FLOOR_PATH = "/floor/"
CHANNELS = ["desk", "hotline", "slip", "web", "api", "email"]
WHAT = [
    "结账排队太久，收银台只开了两个",
    "收银员态度冷淡，找零时把钱扔在台上",
    "买的酸奶回家发现已经过期三天",
    "促销标签和结账价格不一致，多收了十二元",
    "卫生间没有纸，地面很脏",
    "导购员一直推销办卡，拒绝后很不耐烦",
    "会员积分没有累计上",
    "停车场出口收费员不给开发票",
]
CSRF_RE = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')


def complaint_body(rng: random.Random, intake: dict[str, Any]) -> dict[str, Any]:
    """A distinct, valid complaint as a hotline system would post it."""
    store, employee = rng.choice(intake["stores"])
    body: dict[str, Any] = {
        "channel": rng.choice(CHANNELS),
        "unit": store,
        "description": f"{rng.choice(WHAT)}（第{rng.randrange(1, 10**6)}号）",
        "complainant_name": _name(rng),
        "complainant_phone": _phone(rng),
        "category": rng.choice(intake["categories"]),
        "urgency": rng.choice((1, 2, 2, 2, 3)),
    }
    if employee and rng.random() < 0.3:
        body["staff"] = employee
    return body


def _post(
    conn: http.client.HTTPConnection, path: str, body: bytes, headers: dict[str, str]
) -> tuple[int, bytes, http.client.HTTPResponse]:
    conn.request("POST", path, body=body, headers=headers)
    resp = conn.getresponse()
    return resp.status, resp.read(), resp


def sqms_intake(intake: dict[str, Any], tag: str) -> Callable[..., tuple[int, bytes]]:
    """POST /api/v1/complaints with the client's own token and a fresh Idempotency-Key."""
    tokens = intake["tokens"]

    def action(
        conn: http.client.HTTPConnection, index: int, seq: int, rng: random.Random
    ) -> tuple[int, bytes]:
        body = json.dumps(complaint_body(rng, intake), ensure_ascii=False).encode()
        headers = {
            "Authorization": f"Bearer {tokens[index % len(tokens)]}",
            "Content-Type": "application/json",
            "Idempotency-Key": f"{tag}-{index}-{seq}",
        }
        status, data, _resp = _post(conn, INTAKE_PATH, body, headers)
        return status, data

    return action


def floor_intake(intake: dict[str, Any]) -> Callable[..., tuple[int, bytes]]:
    """POST /floor/ with the same bodies, no auth."""

    def action(
        conn: http.client.HTTPConnection, index: int, seq: int, rng: random.Random
    ) -> tuple[int, bytes]:
        body = json.dumps(complaint_body(rng, intake), ensure_ascii=False).encode()
        status, data, _r = _post(conn, FLOOR_PATH, body, {"Content-Type": "application/json"})
        return status, data

    return action


def _ticket(rng: random.Random, intake: dict[str, Any]) -> dict[str, str]:
    c = complaint_body(rng, intake)
    return {
        "title": f"{c['unit']} {c['category']}",
        "body": c["description"],
        "submitter_email": f"c{rng.randrange(10**9)}@example.cn",
    }


def helpdesk_form(queue_id: int, intake: dict[str, Any]) -> Callable[..., tuple[int, bytes]]:
    """GET the public form (CSRF token and cookie), POST it; its 302 to the new ticket's page
    (not followed) is success, reported as 201; a form re-shown with errors as 422."""
    jars: dict[int, SimpleCookie] = {}

    def action(
        conn: http.client.HTTPConnection, index: int, seq: int, rng: random.Random
    ) -> tuple[int, bytes]:
        jar = jars.setdefault(index, SimpleCookie())

        def cookie() -> dict[str, str]:
            return {"Cookie": "; ".join(f"{k}={m.value}" for k, m in jar.items())} if jar else {}

        conn.request("GET", "/tickets/submit/", headers=cookie())
        resp = conn.getresponse()
        page = resp.read()
        for raw in resp.headers.get_all("Set-Cookie") or []:
            jar.load(raw)
        found = CSRF_RE.search(page)
        if resp.status != 200 or not found:
            return resp.status if resp.status != 200 else 599, page[:300]
        t = _ticket(rng, intake)
        form = urllib.parse.urlencode(
            {
                "csrfmiddlewaretoken": found.group(1).decode(),
                "queue": str(queue_id),
                "priority": "3",
                "due_date": "",
                **t,
            }
        ).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded", **cookie()}
        status, data, r = _post(conn, "/tickets/submit/", form, headers)
        if status == 302 and "/view/?ticket=" in (r.headers.get("Location") or ""):
            return 201, data
        return (422 if status == 200 else status), data[:300]

    return action


def helpdesk_api(
    queue_id: int, intake: dict[str, Any], authorization: str
) -> Callable[..., tuple[int, bytes]]:
    """POST /api/tickets/ (DRF) with the given Authorization header."""

    def action(
        conn: http.client.HTTPConnection, index: int, seq: int, rng: random.Random
    ) -> tuple[int, bytes]:
        t = _ticket(rng, intake)
        payload = {
            "queue": queue_id,
            "title": t["title"],
            "description": t["body"],
            "submitter_email": t["submitter_email"],
            "priority": 3,
        }
        headers = {"Authorization": authorization, "Content-Type": "application/json"}
        status, data, _r = _post(conn, "/api/tickets/", json.dumps(payload).encode(), headers)
        return status, data

    return action


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
