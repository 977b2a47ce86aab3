from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION tiles_bump_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO tiles_layerversion (layer_id, version) VALUES (TG_ARGV[0], 1)
    ON CONFLICT (layer_id) DO UPDATE SET version = tiles_layerversion.version + 1;
    RETURN NULL;
END $$;
"""


def attach(apps, schema_editor):
    """One statement-level trigger per layer table (insert, update, delete, truncate)."""
    from psycopg2 import sql

    from layers import registry

    with schema_editor.connection.cursor() as cursor:
        cursor.execute(FUNCTION)
        for spec in registry.all_layers():
            cursor.execute(sql.SQL(
                "CREATE OR REPLACE TRIGGER {name} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION tiles_bump_version({layer})").format(
                name=sql.Identifier(f"{spec.table}_tiles_version"), table=sql.Identifier(spec.table),
                layer=sql.Literal(spec.id)))


class Migration(migrations.Migration):
    dependencies = [("tiles", "0001_initial"), ("places", "0002_codelists"), ("land", "0002_codelists"),
                    ("planning", "0001_initial"), ("transport", "0002_codelists"), ("utilities", "0001_initial"),
                    ("safety", "0002_codelists"), ("education", "0002_codelists"), ("health", "0002_codelists"),
                    ("tourism", "0002_codelists")]
    operations = [migrations.RunPython(attach, migrations.RunPython.noop)]
