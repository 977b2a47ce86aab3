from django.db import migrations

from layers.codelist_loader import loader


class Migration(migrations.Migration):
    dependencies = [("dispatch", "0001_initial")]
    operations = [
        migrations.RunPython(loader("dispatch", "UnitKind", "unit_kind.csv"), migrations.RunPython.noop),
        migrations.RunPython(loader("dispatch", "UnitStatus", "unit_status.csv"), migrations.RunPython.noop),
    ]
