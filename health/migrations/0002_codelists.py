from django.db import migrations

from layers.codelist_loader import loader


class Migration(migrations.Migration):
    dependencies = [("health", "0001_initial")]
    operations = [
        migrations.RunPython(loader("health", "ClinicType", "clinic_type.csv"), migrations.RunPython.noop),
    ]
