from django.db import migrations

from layers.codelist_loader import loader


class Migration(migrations.Migration):
    dependencies = [("tourism", "0001_initial")]
    operations = [
        migrations.RunPython(loader("tourism", "PoiCategory", "poi_category.csv"), migrations.RunPython.noop),
    ]
