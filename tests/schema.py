"""What the database catalogue says about the tables tests load into."""

def parcel_table_definitions() -> tuple[list, list]:
    """The parcel table's indexes and constraints, as the catalogue defines them (name, definition)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'land_parcel' ORDER BY 1")
        indexes = cursor.fetchall()
        cursor.execute("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                       "WHERE conrelid = 'land_parcel'::regclass ORDER BY 1")
        return indexes, cursor.fetchall()
