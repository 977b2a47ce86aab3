from django.db import migrations

from layers.codelist_loader import loader


class Migration(migrations.Migration):
    dependencies = [("places", "0001_initial")]
    operations = [
        migrations.RunPython(loader("places", "AdminLevel", "admin_level.csv"), migrations.RunPython.noop),
    ]
