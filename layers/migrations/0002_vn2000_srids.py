from django.db import migrations


def register(apps, schema_editor):
    from layers.srs import register_missing_srids

    with schema_editor.connection.cursor() as cursor:
        register_missing_srids(cursor)


class Migration(migrations.Migration):
    dependencies = [("layers", "0001_initial")]
    operations = [migrations.RunPython(register, migrations.RunPython.noop)]
