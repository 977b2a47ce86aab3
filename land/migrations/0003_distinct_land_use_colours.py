"""Every land-use code its own colour (seven public-service codes and others shared one): the colours
already stored are brought in line with codelists/land_use_code.csv; names and order are left alone."""
import csv
from pathlib import Path

from django.db import migrations


def recolour(apps, schema_editor):
    from django.apps import apps as live_apps

    path = Path(live_apps.get_app_config("land").path) / "codelists" / "land_use_code.csv"
    with open(path, encoding="utf-8", newline="") as f:
        colours = {row["code"]: row["color"] for row in csv.DictReader(f)}
    LandUseCode = apps.get_model("land", "LandUseCode")
    for code in LandUseCode.objects.filter(code__in=colours):
        if code.color != colours[code.code]:
            code.color = colours[code.code]
            code.save(update_fields=["color"])


class Migration(migrations.Migration):
    dependencies = [("land", "0002_codelists")]
    operations = [migrations.RunPython(recolour, migrations.RunPython.noop)]
