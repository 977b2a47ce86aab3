from django.db import migrations

from layers.codelist_loader import loader


class Migration(migrations.Migration):
    dependencies = [("transport", "0001_initial")]
    operations = [
        migrations.RunPython(loader("transport", "RoadClass", "road_class.csv"), migrations.RunPython.noop),
        migrations.RunPython(loader("transport", "LampType", "lamp_type.csv"), migrations.RunPython.noop),
    ]
