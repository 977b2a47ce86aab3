from django.contrib.postgres.operations import TrigramExtension, UnaccentExtension
from django.db import migrations


class Migration(migrations.Migration):
    """unaccent (Vietnamese with or without diacritics) and pg_trgm (typo-tolerant matching)."""

    operations = [UnaccentExtension(), TrigramExtension()]
