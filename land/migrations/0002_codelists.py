from django.db import migrations

from layers.codelist_loader import loader


class Migration(migrations.Migration):
    dependencies = [("land", "0001_initial")]
    operations = [
        migrations.RunPython(loader("land", "LandUseCode", "land_use_code.csv"), migrations.RunPython.noop),
    ]
