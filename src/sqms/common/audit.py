"""The tamper-evident audit log: recording writes and verifying the chain.

Every service-layer write calls `audit_record` inside its own transaction, so the entry exists if
and only if the change does. The log is AUDIT_LANES hash chains side by side: a writer locks the
head of the first chain nobody else holds (PostgreSQL's SKIP LOCKED) and appends there, so
concurrent transactions append in parallel instead of all waiting for one row, and no chain ever
forks. On SQLite, where writers take turns anyway, everything goes on chain 1.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import connection, models, transaction
from django.utils import timezone

from sqms.common import rows
from sqms.common.models import AUDIT_LANES, AuditChainHead, AuditEntry

GENESIS = "0" * 64


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    return value


def snapshot(obj: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """The named fields of `obj` as JSON-ready values (foreign keys as their ids)."""
    data: dict[str, Any] = {}
    for name in fields:
        field = obj._meta.get_field(name)
        attname = getattr(field, "attname", name)
        data[name] = _jsonable(getattr(obj, attname))
    return data


def _entry_digest(
    *,
    seq: int,
    at: dt.datetime,
    actor_id: int | None,
    actor_label: str,
    action: str,
    target_type: str,
    target_id: str,
    target_label: str,
    before: Any,
    after: Any,
    note: str,
    prev_hash: str,
) -> str:
    payload = json.dumps(
        {
            "seq": seq,
            "at": at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
            "actor": actor_id,
            "actor_label": actor_label,
            "action": action,
            "target_type": target_type,
            "target_id": target_id,
            "target_label": target_label,
            "before": before,
            "after": after,
            "note": note,
            "prev": prev_hash,
        },
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def audit_record(
    *,
    actor: AbstractBaseUser | AnonymousUser | None,
    action: str,
    target: models.Model | None = None,
    target_type: str = "",
    target_id: str = "",
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    note: str = "",
) -> AuditEntry:
    """Append one entry to the chain; must run inside the caller's transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_record must be called inside the service's transaction")
    head = _lock_a_head()
    user = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    if target is not None:
        target_type = target._meta.label_lower
        target_id = str(target.pk)
        target_label = str(target)[:300]
    else:
        target_label = ""
    before_j = _jsonable(before) if before is not None else None
    after_j = _jsonable(after) if after is not None else None
    now = timezone.now()
    # JSON round trip: the hash must cover exactly what the database will give back.
    before_j = json.loads(json.dumps(before_j)) if before_j is not None else None
    after_j = json.loads(json.dumps(after_j)) if after_j is not None else None
    seq = head.seq + 1
    actor_label = user.get_username() if user is not None else "system"
    digest = _entry_digest(
        seq=seq,
        at=now,
        actor_id=user.pk if user is not None else None,
        actor_label=actor_label,
        action=action,
        target_type=target_type,
        target_id=target_id,
        target_label=target_label,
        before=before_j,
        after=after_j,
        note=note,
        prev_hash=head.hash,
    )
    entry = AuditEntry(
        lane=head.pk,
        seq=seq,
        at=now,
        actor=user,
        actor_label=actor_label,
        action=action,
        target_type=target_type,
        target_id=target_id,
        target_label=target_label,
        before=before_j,
        after=after_j,
        note=note,
        prev_hash=head.hash,
        hash=digest,
    )
    rows.insert(entry)
    head.seq = seq
    head.hash = digest
    rows.update(head, ["seq", "hash"])
    return entry


def _lock_a_head() -> AuditChainHead:
    heads = AuditChainHead.objects.select_for_update
    if connection.features.has_select_for_update_skip_locked:
        # Compiled once; in a batch it goes with the rows written before it (one round trip).
        free = rows.first(
            "audit-free-head",
            lambda: heads(skip_locked=True).filter(id__lte=AUDIT_LANES).order_by("id"),
        )
        if free is not None:
            return free
        # Every chain is held: wait for one of them.
        lane = random.randint(1, AUDIT_LANES)
    else:
        lane = 1
    head = rows.get_by(AuditChainHead, for_update=True, id=lane)
    if head is None:  # the migration creates the heads; a flushed test database has none
        head, _ = heads().get_or_create(id=lane)
    return head


@dataclass(frozen=True)
class ChainProblem:
    seq: int
    problem: str
    lane: int = 1

    def __str__(self) -> str:
        where = f"entry #{self.seq}" if self.lane == 1 else f"chain {self.lane}, entry #{self.seq}"
        return f"{where}: {self.problem}"


def audit_verify(batch_size: int = 5000) -> tuple[int, list[ChainProblem]]:
    """Walk each chain in order; return the number of entries checked and every problem found:
    a changed entry (hash mismatch), a removed or inserted one (gap or broken link), or a cut-off
    tail (the chain's head does not match its last entry)."""
    problems: list[ChainProblem] = []
    checked = 0
    ends: dict[int, tuple[int, str]] = {}  # lane -> (last seq, last hash)
    lane, expected_seq, prev_hash = 0, 1, GENESIS
    qs = AuditEntry.objects.order_by("lane", "seq").values_list(
        "lane",
        "seq",
        "at",
        "actor_id",
        "actor_label",
        "action",
        "target_type",
        "target_id",
        "target_label",
        "before",
        "after",
        "note",
        "prev_hash",
        "hash",
    )
    for row in qs.iterator(chunk_size=batch_size):
        (
            row_lane,
            seq,
            at,
            actor_id,
            actor_label,
            action,
            target_type,
            target_id,
            target_label,
            before,
            after,
            note,
            stored_prev,
            stored_hash,
        ) = row
        if row_lane != lane:  # the next chain starts from the beginning
            lane, expected_seq, prev_hash = row_lane, 1, GENESIS
        checked += 1
        if seq != expected_seq:
            problems.append(
                ChainProblem(seq, f"entries {expected_seq}..{seq - 1} are missing", lane)
                if seq > expected_seq
                else ChainProblem(seq, "sequence number repeated or out of order", lane)
            )
        if stored_prev != prev_hash:
            problems.append(ChainProblem(seq, "link to the previous entry is broken", lane))
        digest = _entry_digest(
            seq=seq,
            at=at,
            actor_id=actor_id,
            actor_label=actor_label,
            action=action,
            target_type=target_type,
            target_id=target_id,
            target_label=target_label,
            before=before,
            after=after,
            note=note,
            prev_hash=stored_prev,
        )
        if digest != stored_hash:
            problems.append(
                ChainProblem(seq, "content does not match its hash (entry was changed)", lane)
            )
        prev_hash = stored_hash
        expected_seq = seq + 1
        ends[lane] = (seq, stored_hash)
    for head in AuditChainHead.objects.order_by("id"):
        last_seq, last_hash = ends.pop(head.pk, (0, GENESIS))
        if head.seq != last_seq or head.hash != last_hash:
            problems.append(
                ChainProblem(
                    head.seq, f"the newest entries after #{last_seq} were removed", head.pk
                )
                if head.seq > last_seq
                else ChainProblem(last_seq, "chain head does not match the last entry", head.pk)
            )
    for lane, (last_seq, _hash) in sorted(ends.items()):
        problems.append(ChainProblem(last_seq, "this chain has no head", lane))
    return checked, problems


def personal_data_view_record(
    *, actor: AbstractBaseUser, target: models.Model, fields: list[str]
) -> None:
    """Log that `actor` saw `fields` of `target` unmasked: every such view leaves a trace."""
    with transaction.atomic():
        audit_record(
            actor=actor, action="personal_data.view", target=target, after={"fields": fields}
        )
