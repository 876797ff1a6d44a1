"""The standard calendar every unit uses until it is given another: Monday–Friday 9–12 and
13–18, following the official Chinese holidays and make-up working days."""

from django.db import migrations

STANDARD_WEEK = {
    **{str(d): [["09:00", "12:00"], ["13:00", "18:00"]] for d in range(5)},
    "5": [],
    "6": [],
}


def create(apps, schema_editor):
    WorkCalendar = apps.get_model("common", "WorkCalendar")
    if not WorkCalendar.objects.exists():
        WorkCalendar.objects.create(
            code="standard",
            name="标准工作日历（9:00–18:00，法定节假日）",
            weekly_hours=STANDARD_WEEK,
            follow_official_holidays=True,
            is_default=True,
        )


class Migration(migrations.Migration):
    dependencies = [("common", "0002_initial")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
