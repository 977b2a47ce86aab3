"""A layer's version (layers_layerversion) is bumped at commit, not while the transaction runs: the
statement triggers only note the layer in layers_pending_version, and a deferred constraint trigger
moves the notes of the committing transaction into the version table, in layer order. Writers of one
layer no longer wait for each other's commit (a long import does not block API edits), and two
transactions writing two layers in opposite orders cannot deadlock on the version rows."""
from django.db import migrations

SQL = """
CREATE TABLE layers_pending_version (
    layer_id varchar(64) NOT NULL,
    txid bigint NOT NULL DEFAULT pg_current_xact_id()::text::bigint,
    at timestamptz NOT NULL
);
CREATE INDEX layers_pending_version_txid ON layers_pending_version (txid);

CREATE OR REPLACE FUNCTION layers_apply_versions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- The first firing at commit moves every note of the transaction; the others find none.
    WITH mine AS (
        DELETE FROM layers_pending_version WHERE txid = pg_current_xact_id()::text::bigint RETURNING layer_id, at
    )
    INSERT INTO layers_layerversion (layer_id, version, changed_at)
    SELECT layer_id, 1, max(at) FROM mine GROUP BY layer_id ORDER BY layer_id
    ON CONFLICT (layer_id) DO UPDATE
    SET version = layers_layerversion.version + 1,
        changed_at = GREATEST(layers_layerversion.changed_at, EXCLUDED.changed_at);
    RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER layers_version_at_commit AFTER INSERT ON layers_pending_version
DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION layers_apply_versions();
"""

UNDO = """
DROP TABLE layers_pending_version;
DROP FUNCTION layers_apply_versions();
"""


class Migration(migrations.Migration):
    dependencies = [("layers", "0005_change_horizon")]
    operations = [migrations.RunSQL(SQL, UNDO)]
