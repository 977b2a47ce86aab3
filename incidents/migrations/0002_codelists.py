import csv
from pathlib import Path

from django.db import migrations

from layers.codelist_loader import loader

FOLDER = Path(__file__).resolve().parent.parent / "codelists"


def _rows(name):
    with open(FOLDER / name, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def categories_and_levels(apps, schema_editor):
    Category = apps.get_model("incidents", "IncidentCategory")
    ServiceLevel = apps.get_model("incidents", "ServiceLevel")
    AlertRule = apps.get_model("incidents", "AlertRule")
    hours = {(r["process"], r["priority"]): float(r["hours"]) for r in _rows("service_level.csv")}
    for order, row in enumerate(_rows("incident_category.csv")):
        category, _ = Category.objects.update_or_create(code=row["code"], defaults={
            "name_vi": row["name_vi"], "name_en": row["name_en"], "sort_order": order, "process": row["process"],
            "agency_id": row["agency"], "color": row["color"], "alert_agencies": row["alert_agencies"],
            "dispatch_units": row["dispatch_units"]})
        for priority in ("urgent", "high", "normal", "low"):
            ServiceLevel.objects.get_or_create(category=category, priority=priority,
                                               defaults={"hours": hours[(row["process"], priority)]})
    for row in _rows("alert_rule.csv"):
        AlertRule.objects.update_or_create(code=row["code"], defaults={
            "name_vi": row["name_vi"], "name_en": row["name_en"], "kind": row["kind"],
            "threshold": float(row["threshold"]) if row["threshold"] else None, "duration_s": int(row["duration_s"]),
            "category_id": row["category"], "priority": row["priority"]})


class Migration(migrations.Migration):
    dependencies = [("incidents", "0001_initial")]
    operations = [
        migrations.RunPython(loader("incidents", "Agency", "agency.csv"), migrations.RunPython.noop),
        migrations.RunPython(categories_and_levels, migrations.RunPython.noop),
    ]
