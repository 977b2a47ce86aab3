"""The change feed's compaction horizon (layers/feed.py): per layer, the last feed position that
manage.py compact_change_log deleted; cursors below it answer 410. A plain table, read and written
only by layers/feed.py's SQL, so it has no model."""
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('layers', '0004_change_log'),
    ]

    operations = [
        migrations.RunSQL(
            """
            CREATE TABLE layers_change_horizon (
                layer_id varchar(64) PRIMARY KEY,
                txid bigint NOT NULL,
                change_id bigint NOT NULL,
                compacted_before timestamptz NOT NULL,
                compacted_at timestamptz NOT NULL
            )
            """,
            "DROP TABLE layers_change_horizon",
        ),
    ]
