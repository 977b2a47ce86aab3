from django.db import migrations

from layers.codelist_loader import loader


class Migration(migrations.Migration):
    dependencies = [("education", "0001_initial")]
    operations = [
        migrations.RunPython(loader("education", "SchoolLevel", "school_level.csv"), migrations.RunPython.noop),
    ]
