"""The audit log: every service write leaves an entry, and the hash chain shows tampering."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from sqms.common.audit import audit_record, audit_verify
from sqms.common.models import AuditChainHead, AuditEntry
from sqms.org import services


def test_service_writes_are_recorded_with_before_and_after(org, people):
    services.unit_move(actor=people.admin, unit=org.s2, new_parent=org.r2)
    entry = AuditEntry.objects.order_by("-seq").first()
    assert entry.action == "org.unit.move"
    assert entry.actor == people.admin
    assert entry.actor_label == "admin"
    assert entry.target_type == "org.orgunit"
    assert entry.target_id == str(org.s2.pk)
    assert entry.before["parent"] == org.r1.pk
    assert entry.after["parent"] == org.r2.pk


def test_chain_is_intact_after_many_writes(org, people):
    checked, problems = audit_verify()
    assert problems == []
    assert checked == AuditEntry.objects.count()
    head = AuditChainHead.objects.get(pk=1)  # one writer at a time: all on the first chain
    last = AuditEntry.objects.order_by("-seq").first()
    assert (head.seq, head.hash) == (last.seq, last.hash)
    seqs = list(AuditEntry.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1))


def test_changed_entry_is_detected(org):
    victim = AuditEntry.objects.get(action="org.staff.create", target_id=str(org.cashier_staff.pk))
    AuditEntry.objects.filter(pk=victim.pk).update(after={**victim.after, "name": "somebody else"})
    _checked, problems = audit_verify()
    assert [(p.seq, "changed" in p.problem) for p in problems] == [(victim.seq, True)]


def test_removed_entry_in_the_middle_is_detected(org):
    victim = AuditEntry.objects.order_by("seq")[3]
    victim.delete()
    _checked, problems = audit_verify()
    assert problems[0].seq == victim.seq + 1
    assert "missing" in problems[0].problem


def test_removed_newest_entry_is_detected(org):
    AuditEntry.objects.order_by("-seq").first().delete()
    _checked, problems = audit_verify()
    assert len(problems) == 1
    assert "removed" in problems[0].problem


def test_rewritten_hash_is_detected_by_the_next_link(org):
    # Recomputing an entry's own hash after changing it still breaks the next entry's link.
    victim = AuditEntry.objects.order_by("seq")[2]
    AuditEntry.objects.filter(pk=victim.pk).update(note="edited", hash="f" * 64)
    _checked, problems = audit_verify()
    assert {p.seq for p in problems} == {victim.seq, victim.seq + 1}


def test_verify_command_exit_status(org):
    call_command("audit", "verify")
    with connection.cursor() as cur:
        cur.execute("UPDATE common_auditentry SET note = 'x' WHERE seq = 1")
    with pytest.raises(CommandError, match="NOT intact"):
        call_command("audit", "verify")


def test_a_cut_off_second_chain_is_reported(org):
    # Chain 2 as a concurrent writer on PostgreSQL would have left it, then its head removed.
    AuditChainHead.objects.filter(pk=2).update(seq=1, hash="a" * 64)
    _checked, problems = audit_verify()
    assert [(p.lane, p.seq, "removed" in p.problem) for p in problems] == [(2, 1, True)]
    assert str(problems[0]) == "chain 2, entry #1: the newest entries after #0 were removed"


def test_audit_record_refuses_to_run_outside_a_transaction(transactional_db):
    with pytest.raises(RuntimeError, match="inside the service's transaction"):
        audit_record(actor=None, action="x", target_type="t", target_id="1")
