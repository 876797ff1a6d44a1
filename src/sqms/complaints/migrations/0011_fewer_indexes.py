# Indexes that every intake paid for and no read used (session 7): the foreign keys' own
# indexes where a Meta index begins with the same column or nothing looks rows up by it, and
# two Meta indexes that the others cover.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from sqms.common.schema import drop_indexes


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0010_complaint_fewer_indexes"),
        ("org", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(model_name="complaint", name="complaints__respons_d7b217_idx"),
        migrations.RemoveIndex(model_name="complaint", name="complaints__status_3d841a_idx"),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="complaint",
                    name="created_by",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                migrations.AlterField(
                    model_name="complaintevent",
                    name="actor",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                migrations.AlterField(
                    model_name="complaintevent",
                    name="complaint",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="events",
                        to="complaints.complaint",
                    ),
                ),
                migrations.AlterField(
                    model_name="slaclock",
                    name="complaint",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="clocks",
                        to="complaints.complaint",
                    ),
                ),
                migrations.AlterField(
                    model_name="slaclock",
                    name="owner_unit",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="org.orgunit",
                    ),
                ),
            ],
            database_operations=[
                drop_indexes(
                    [
                        (
                            "complaints_complaint_created_by_id_974948e4",
                            "complaints_complaint",
                            "created_by_id",
                        ),
                        (
                            "complaints_complaintevent_actor_id_c0807bed",
                            "complaints_complaintevent",
                            "actor_id",
                        ),
                        (
                            "complaints_complaintevent_complaint_id_a1a34219",
                            "complaints_complaintevent",
                            "complaint_id",
                        ),
                        (
                            "complaints_slaclock_complaint_id_700b9b67",
                            "complaints_slaclock",
                            "complaint_id",
                        ),
                        (
                            "complaints_slaclock_owner_unit_id_15951d9b",
                            "complaints_slaclock",
                            "owner_unit_id",
                        ),
                    ]
                )
            ],
        ),
    ]
