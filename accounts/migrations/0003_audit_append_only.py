from django.db import migrations

APPEND_ONLY = """
CREATE FUNCTION accounts_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only';
END $$;
CREATE TRIGGER accounts_auditevent_no_change BEFORE UPDATE OR DELETE ON accounts_auditevent
    FOR EACH ROW EXECUTE FUNCTION accounts_audit_append_only();
CREATE TRIGGER accounts_auditevent_no_truncate BEFORE TRUNCATE ON accounts_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION accounts_audit_append_only();
"""
REVERSE = """
DROP TRIGGER accounts_auditevent_no_truncate ON accounts_auditevent;
DROP TRIGGER accounts_auditevent_no_change ON accounts_auditevent;
DROP FUNCTION accounts_audit_append_only();
"""


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_auditevent")]
    operations = [migrations.RunSQL(APPEND_ONLY, REVERSE)]
