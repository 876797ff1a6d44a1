# Indexes that every write paid for and no read used (session 7).

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from sqms.common.schema import drop_indexes


class Migration(migrations.Migration):
    dependencies = [
        ("common", "0008_audit_lanes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="idempotencyrecord",
                    name="user",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                migrations.AlterField(
                    model_name="notification",
                    name="user",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="notifications",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            database_operations=[
                drop_indexes(
                    [
                        (
                            "common_idempotencyrecord_user_id_2def651a",
                            "common_idempotencyrecord",
                            "user_id",
                        ),
                        ("common_notification_user_id_b851b5a2", "common_notification", "user_id"),
                    ]
                )
            ],
        ),
        # A unique column: SQLite rebuilds the audit table once to drop it.
        migrations.AlterField(
            model_name="auditentry",
            name="hash",
            field=models.CharField(max_length=64),
        ),
    ]
