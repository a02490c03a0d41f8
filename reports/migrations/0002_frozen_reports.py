"""A published report never changes: the database refuses any update or delete of a
reports_report row, except clearing published_by when that user is deleted (SET NULL).

A refusal raises check_violation with constraint "report_frozen". Republishing inserts a
new revision instead (reports.services.publishing).
"""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION reports_frozen_report() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.tenant_id IS DISTINCT FROM OLD.tenant_id THEN
        -- Moving a row to another tenant is a tenancy matter: refused like row-level security.
        RAISE EXCEPTION 'a report cannot move to another tenant'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF TG_OP = 'UPDATE'
       AND (to_jsonb(NEW) - 'published_by_id') IS NOT DISTINCT FROM (to_jsonb(OLD) - 'published_by_id')
       AND (NEW.published_by_id IS NULL OR NEW.published_by_id IS NOT DISTINCT FROM OLD.published_by_id)
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'report % (revision %) is published and cannot change', OLD.id, OLD.revision
        USING ERRCODE = 'check_violation', CONSTRAINT = 'report_frozen',
              HINT = 'Republish to add a new revision.';
END $$;
"""

CREATE = [
    FUNCTION,
    "CREATE TRIGGER report_frozen BEFORE UPDATE OR DELETE ON reports_report "
    "FOR EACH ROW EXECUTE FUNCTION reports_frozen_report()",
]
DROP = [
    "DROP TRIGGER IF EXISTS report_frozen ON reports_report",
    "DROP FUNCTION IF EXISTS reports_frozen_report()",
]


class Migration(migrations.Migration):
    dependencies = [("reports", "0001_initial")]

    operations = [migrations.RunSQL(CREATE, DROP)]
