from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION tiles_bump_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO tiles_layerversion (layer_id, version, changed_at) VALUES (TG_ARGV[0], 1, now())
    ON CONFLICT (layer_id) DO UPDATE SET version = tiles_layerversion.version + 1, changed_at = now();
    RETURN NULL;
END $$;
"""


class Migration(migrations.Migration):
    """The version trigger also records when a layer last changed (the data date of reports)."""

    dependencies = [("tiles", "0003_layer_changed_at")]
    operations = [migrations.RunSQL(FUNCTION, migrations.RunSQL.noop)]
