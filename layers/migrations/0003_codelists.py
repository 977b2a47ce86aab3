from django.db import migrations

from layers.codelist_loader import loader


class Migration(migrations.Migration):
    dependencies = [("layers", "0002_vn2000_srids")]
    operations = [
        migrations.RunPython(loader("layers", "AssetStatus", "asset_status.csv"), migrations.RunPython.noop),
        migrations.RunPython(loader("layers", "Organisation", "organisation.csv"), migrations.RunPython.noop),
    ]
