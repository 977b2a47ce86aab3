from django.db import migrations, models


class Migration(migrations.Migration):
    """Tiles are cut in two tile matrix sets (tiles/grids.py): the cache keeps them apart."""

    dependencies = [
        ("tiles", "0004_trigger_records_time"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="cachedtile", name="cached_tile_key"),
        migrations.AddField(model_name="cachedtile", name="tms",
                            field=models.CharField(default="WebMercatorQuad", max_length=32)),
        migrations.AddConstraint(
            model_name="cachedtile",
            constraint=models.UniqueConstraint(fields=("layer_id", "tms", "z", "x", "y", "version"),
                                               name="cached_tile_key"),
        ),
    ]
