from django.db import migrations


class Migration(migrations.Migration):
    """Change tracking moves to the change log (layers/changelog.py): the tile cache's own triggers and
    version table go; tiles cached under the old numbering are dropped (versions are now change numbers)."""

    dependencies = [("tiles", "0005_cachedtile_tms"), ("layers", "0004_change_log")]

    operations = [
        migrations.RunSQL("DROP FUNCTION IF EXISTS tiles_bump_version() CASCADE; DELETE FROM tiles_cachedtile;",
                          migrations.RunSQL.noop),
        migrations.DeleteModel(name="LayerVersion"),
    ]
