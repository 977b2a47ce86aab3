from django.db import migrations

from layers.codelist_loader import loader


class Migration(migrations.Migration):
    dependencies = [("safety", "0001_initial")]
    operations = [
        migrations.RunPython(loader("safety", "CameraPurpose", "camera_purpose.csv"), migrations.RunPython.noop),
    ]
