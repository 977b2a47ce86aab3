"""Loading code lists from CSV (code,name_vi,name_en[,extra columns]) in data migrations."""
import csv
from pathlib import Path


def load_csv(model, path: Path) -> int:
    """Upsert the rows of a UTF-8 CSV into a code-list model; returns the number of rows."""
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    for order, row in enumerate(rows):
        code = row.pop("code")
        model.objects.update_or_create(code=code, defaults={**row, "sort_order": order})
    return len(rows)


def loader(app_label: str, model_name: str, filename: str):
    """A RunPython function loading `filename` (beside the migrations) into app_label.model_name."""

    def run(apps, schema_editor):
        from django.apps import apps as live_apps

        folder = Path(live_apps.get_app_config(app_label).path) / "codelists"
        load_csv(apps.get_model(app_label, model_name), folder / filename)

    return run
