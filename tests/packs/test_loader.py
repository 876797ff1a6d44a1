"""Industry packs: `sqms pack list` and `sqms pack load`, the retail-chain pack's rules as
loaded, and broken packs refused whole, with the place of each mistake named and nothing
changed."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.core.management import CommandError, call_command
from django.utils import translation

from sqms.common.errors import DomainError
from sqms.common.models import AuditEntry
from sqms.complaints.models import Category, ComplaintRules, SlaPolicy
from sqms.org import services as org_services
from sqms.org.models import UnitKind
from sqms.packs.loader import PACK_DIR, pack_list, pack_load

RETAIL = PACK_DIR / "retail-chain.yaml"
LIMIT_MSG = (
    "Write a time limit as AMOUNT UNIT, with UNIT one of working_hours, working_days, "
    "calendar_hours, calendar_days."
)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def retail() -> dict[str, Any]:
    return yaml.safe_load(RETAIL.read_text(encoding="utf-8"))


def write(tmp_path: Path, data: Any, name: str = "custom.yaml") -> Path:
    path = tmp_path / name
    text = data if isinstance(data, str) else yaml.safe_dump(data, allow_unicode=True)
    path.write_text(text, encoding="utf-8")
    return path


def rules_state() -> dict[str, Any]:
    """Everything a pack load could change."""
    return {
        "categories": list(
            Category.objects.order_by("code").values_list(
                "code",
                "parent__code",
                "name_zh",
                "name_en",
                "route_to_id",
                "counts_against_staff",
                "order",
                "is_active",
            )
        ),
        "policies": sorted(
            SlaPolicy.objects.values_list(
                "channel",
                "urgency",
                "first_response_amount",
                "first_response_unit",
                "update_amount",
                "update_unit",
                "resolution_amount",
                "resolution_unit",
                "follow_up_required",
            ),
            key=str,
        ),
        "rules": list(ComplaintRules.objects.values()),
        "audit": AuditEntry.objects.count(),
    }


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("pack", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


# --- Listing --------------------------------------------------------------------------------


def test_pack_list(db):
    out, _err = run("list")
    lines = out.splitlines()
    assert (
        "retail-chain             Retail chain — Chain stores with a service desk, a suggestion "
        "box and a head-office hotline; monthly registers due on the 13th."
    ) in lines
    assert len(lines) == len(list(PACK_DIR.glob("*.yaml")))
    assert [p.name for p in pack_list()][: len(lines)] == [line.split()[0] for line in lines]


def test_pack_list_in_chinese(db):
    with translation.override("zh-hans"):
        assert [(p.name, p.title) for p in pack_list() if p.name == "retail-chain"] == [
            ("retail-chain", "连锁零售")
        ]


# --- Loading the retail-chain pack ----------------------------------------------------------


def test_load_the_retail_chain_pack(db):
    out, err = run("load", "retail-chain")
    assert out == "loaded retail-chain\n"
    # No purchasing department here: product and price complaints stay with their store (the
    # other sections' warnings about this empty organisation are their apps' tests' business).
    assert [line for line in err.splitlines() if line.startswith("Category")] == [
        "Category merchandise: unit D-PUR does not exist here; complaints stay with their store.",
        "Category price: unit D-PUR does not exist here; complaints stay with their store.",
    ]
    tree = {c.code: (c.parent.code if c.parent else None) for c in Category.objects.all()}
    assert tree == {
        "service": None,
        "service-speed": "service",
        "service-error": "service",
        "service-procedure": "service",
        "attitude": None,
        "attitude-rude": "attitude",
        "attitude-ignore": "attitude",
        "environment": None,
        "environment-clean": "environment",
        "environment-facility": "environment",
        "merchandise": None,
        "price": None,
        "other": None,
    }
    assert list(
        Category.objects.filter(counts_against_staff=False).values_list("code", flat=True)
    ) == ["merchandise", "price", "other"]
    assert Category.objects.filter(route_to__isnull=False).count() == 0
    policies = {
        (p.channel, p.urgency): (
            p.first_response_amount,
            p.first_response_unit,
            p.update_amount,
            p.update_unit,
            p.resolution_amount,
            p.resolution_unit,
        )
        for p in SlaPolicy.objects.all()
    }
    D = Decimal
    assert policies == {
        ("desk", None): (None, "", D(4), "working_hours", D(12), "calendar_hours"),
        ("slip", None): (D(2), "working_days", None, "", D(7), "calendar_days"),
        ("hotline", None): (D(4), "working_hours", D(1), "working_days", D(3), "working_days"),
        ("hotline", 3): (D(1), "working_hours", D(4), "working_hours", D(1), "working_days"),
        ("web", None): (D(1), "working_days", D(1), "working_days", D(3), "working_days"),
        ("api", None): (D(1), "working_days", None, "", D(3), "working_days"),
        ("email", None): (D(2), "working_days", None, "", D(7), "calendar_days"),
    }
    rules = ComplaintRules.objects.get()
    assert (
        rules.escalation_answer_amount,
        rules.escalation_answer_unit,
        rules.escalation_step_hours,
        rules.warn_share,
        rules.register_due_day,
        rules.pack,
    ) == (D(12), "calendar_hours", D(12), D("0.25"), 13, "retail-chain")
    entry = AuditEntry.objects.get(action="complaints.config_apply")
    assert (entry.actor, entry.target_type, entry.target_id) == (None, "complaints.rules", "1")
    assert entry.after["pack"] == "retail-chain"
    assert entry.after["policies"] == 7


def test_with_a_purchasing_department_product_complaints_are_routed_there(db):
    hq = org_services.unit_create(
        actor=None, code="HQ", name="总部", kind=UnitKind.COMPANY, parent=None
    )
    pur = org_services.unit_create(
        actor=None, code="D-PUR", name="采购部", kind=UnitKind.DEPARTMENT, parent=hq
    )
    _out, err = run("load", "retail-chain")
    assert err == ""
    routed = dict(Category.objects.filter(route_to__isnull=False).values_list("code", "route_to"))
    assert routed == {"merchandise": pur.pk, "price": pur.pk}


def test_loading_again_changes_nothing_but_the_audit_log(db):
    pack_load("retail-chain")
    before = rules_state()
    pack_load("retail-chain")
    after = rules_state()
    # One entry per section applied: complaints and surveys.
    assert after["audit"] == before["audit"] + 2
    assert {**after, "audit": 0} == {**before, "audit": 0}


def test_a_category_the_pack_drops_is_deactivated_not_deleted(db, tmp_path):
    pack_load("retail-chain")
    data = retail()
    data["complaints"]["categories"] = [
        c for c in data["complaints"]["categories"] if c["code"] != "other"
    ]
    pack_load(str(write(tmp_path, data)))
    assert Category.objects.get(code="other").is_active is False
    assert Category.objects.filter(is_active=True).count() == 12


def test_load_from_a_file_path(db, tmp_path):
    data = retail()
    data["name"] = "my-chain"
    data["complaints"]["rules"]["register_due_day"] = 10
    out, _err = run("load", str(write(tmp_path, data)))
    assert out.endswith("loaded " + str(tmp_path / "custom.yaml") + "\n")
    rules = ComplaintRules.objects.get()
    assert (rules.pack, rules.register_due_day) == ("my-chain", 10)


def test_an_unknown_pack_is_refused(db):
    before = rules_state()
    with pytest.raises(CommandError) as exc:
        run("load", "airline")
    assert str(exc.value).startswith("No pack named airline. Known packs: ")
    assert "retail-chain" in str(exc.value)
    assert rules_state() == before


# --- Broken packs ---------------------------------------------------------------------------


def _policy(data: dict[str, Any], channel: str) -> dict[str, Any]:
    return next(p for p in data["complaints"]["policies"] if p["channel"] == channel)


def bad_unit(data: dict[str, Any]) -> None:
    _policy(data, "slip")["resolution"] = "12 fortnights"


def duplicate_code(data: dict[str, Any]) -> None:
    data["complaints"]["categories"][1]["children"].append(
        {"code": "service-speed", "zh": "结账慢", "en": "Slow"}
    )


def unknown_channel(data: dict[str, Any]) -> None:
    _policy(data, "web")["channel"] = "fax"


def due_day_40(data: dict[str, Any]) -> None:
    data["complaints"]["rules"]["register_due_day"] = 40


def half_a_day(data: dict[str, Any]) -> None:
    _policy(data, "desk")["update"] = "1.5 working_days"


def several(data: dict[str, Any]) -> None:
    bad_unit(data)
    due_day_40(data)
    data["complaints"]["categories"][0]["en"] = ""
    data["complaints"]["policies"][2]["urgency"] = 9


BROKEN = [
    pytest.param(bad_unit, [(["complaints", "policies", 1, "resolution"], LIMIT_MSG)], id="unit"),
    pytest.param(
        duplicate_code,
        [
            (
                ["complaints", "categories", 1, "children", 2, "code"],
                "Category service-speed appears twice.",
            )
        ],
        id="duplicate-code",
    ),
    pytest.param(
        unknown_channel,
        [(["complaints", "policies", 4, "channel"], "Unknown channel fax.")],
        id="channel",
    ),
    pytest.param(
        due_day_40,
        [(["complaints", "rules", "register_due_day"], "Must be between 1 and 28.")],
        id="register-due-day",
    ),
    pytest.param(
        half_a_day,
        [(["complaints", "policies", 0, "update"], "days must be a whole number, got 1.5")],
        id="half-a-working-day",
    ),
    pytest.param(
        several,
        [
            (["complaints", "categories", 0, "en"], "A name is required."),
            (["complaints", "policies", 1, "resolution"], LIMIT_MSG),
            (["complaints", "policies", 2, "urgency"], "Urgency is 1, 2 or 3."),
            (["complaints", "rules", "register_due_day"], "Must be between 1 and 28."),
        ],
        id="every-mistake-at-once",
    ),
]


@pytest.mark.parametrize(("breakage", "expected"), BROKEN)
def test_a_broken_pack_is_refused_whole(db, tmp_path, breakage, expected):
    pack_load("retail-chain")
    before = rules_state()
    data = retail()
    breakage(data)
    path = write(tmp_path, data)
    with pytest.raises(DomainError) as exc:
        pack_load(str(path))
    assert exc.value.code == "invalid_pack"
    assert exc.value.message == "The pack has errors; nothing was loaded."
    assert [(e.loc, e.msg) for e in exc.value.errors] == expected
    assert rules_state() == before


@pytest.mark.parametrize(("breakage", "expected"), BROKEN[:4])
def test_the_command_names_the_place_of_each_mistake(db, tmp_path, breakage, expected):
    before = rules_state()
    data = retail()
    breakage(data)
    with pytest.raises(CommandError) as exc:
        run("load", str(write(tmp_path, data)))
    assert str(exc.value).splitlines() == ["The pack has errors; nothing was loaded."] + [
        f"  {'.'.join(str(p) for p in loc)}: {msg}" for loc, msg in expected
    ]
    assert rules_state() == before


def test_yaml_that_does_not_parse_names_the_line(db, tmp_path):
    pack_load("retail-chain")
    before = rules_state()
    text = RETAIL.read_text(encoding="utf-8").replace(
        "    - channel: web\n", "    - channel: web\n  broken: [unclosed\n"
    )
    path = write(tmp_path, text, "broken.yaml")
    line = text.splitlines().index("  broken: [unclosed") + 1
    with pytest.raises(CommandError) as exc:
        run("load", str(path))
    # The parser notices the unclosed list on the line after it.
    assert str(exc.value) == f"broken.yaml is not valid YAML (line {line + 1})."
    assert rules_state() == before


@pytest.mark.parametrize("text", ["- just\n- a list\n", "complaints: {}\n", "name: ''\n"])
def test_a_pack_needs_a_name(db, tmp_path, text):
    before = rules_state()
    with pytest.raises(DomainError) as exc:
        pack_load(str(write(tmp_path, text, "nameless.yaml")))
    assert exc.value.message == "nameless.yaml must be a mapping with a name."
    assert [(e.loc, e.msg) for e in exc.value.errors] == [(["name"], "A pack needs a name.")]
    assert rules_state() == before


@pytest.mark.parametrize(
    ("complaints", "loc"),
    [
        ({"categories": {"code": "x"}}, ["complaints", "categories"]),
        ({"policies": "desk 12 hours"}, ["complaints", "policies"]),
        ({"categories": ["service"]}, ["complaints", "categories", 0]),
        ({"categories": [{"code": "Bad Code", "zh": "坏", "en": "Bad"}]}, None),
    ],
)
def test_sections_of_the_wrong_shape_are_named(db, tmp_path, complaints, loc):
    before = rules_state()
    with pytest.raises(DomainError) as exc:
        pack_load(str(write(tmp_path, {"name": "odd", "complaints": complaints})))
    expected = loc or ["complaints", "categories", 0, "code"]
    assert [e.loc for e in exc.value.errors] == [expected]
    assert rules_state() == before


def test_a_section_no_app_takes_is_refused_by_name(db, tmp_path):
    # A misspelt section ("complaint:") would otherwise be ignored without a word.
    before = rules_state()
    data = retail()
    data["complaint"] = data.pop("complaints")
    with pytest.raises(DomainError) as exc:
        pack_load(str(write(tmp_path, data, "typo.yaml")))
    assert exc.value.message == "typo.yaml has sections SQMS does not know: complaint."
    assert [(e.loc, e.msg) for e in exc.value.errors] == [(["complaint"], "Unknown section.")]
    assert rules_state() == before
