from django.db import migrations, models

# Tiles are stored gzip-compressed already: PostgreSQL should not try to compress them again.
SQL = """
CREATE SEQUENCE tiles_cachedtile_seq;
ALTER TABLE tiles_cachedtile ALTER COLUMN seq SET DEFAULT nextval('tiles_cachedtile_seq'),
    ALTER COLUMN data SET STORAGE EXTERNAL;
ALTER SEQUENCE tiles_cachedtile_seq OWNED BY tiles_cachedtile.seq;
"""


class Migration(migrations.Migration):
    """One row per tile (the newest version rendered replaces the older one), gzip-compressed, with a
    storage sequence number to evict the oldest tiles by an index range instead of scanning the layer's
    cache. The old rows are dropped: it is a cache."""

    dependencies = [("tiles", "0006_version_from_change_log")]

    operations = [
        migrations.DeleteModel(name="CachedTile"),
        migrations.CreateModel(
            name="CachedTile",
            fields=[
                ("pk", models.CompositePrimaryKey("layer_id", "tms", "z", "x", "y", blank=True, editable=False,
                                                  primary_key=True, serialize=False)),
                ("layer_id", models.CharField(max_length=64)),
                ("tms", models.CharField(default="WebMercatorQuad", max_length=32)),
                ("z", models.PositiveSmallIntegerField()),
                ("x", models.PositiveIntegerField()),
                ("y", models.PositiveIntegerField()),
                ("version", models.BigIntegerField()),
                ("data", models.BinaryField()),
                ("seq", models.BigIntegerField()),
            ],
            options={"indexes": [models.Index(fields=["seq"], name="cached_tile_age")]},
        ),
        migrations.RunSQL(SQL, migrations.RunSQL.noop),
    ]
