"""Once an agreement has left draft, the database refuses any change to it and its parts.

Two trigger functions:

- agreements_frozen_agreement() on agreements_agreement: a non-draft row may only change
  its workflow fields (WORKFLOW_COLUMNS below; Agreement.WORKFLOW_FIELDS says the same),
  only along the lifecycle's transitions, and may not be deleted; a row is inserted as a draft.
- agreements_frozen_part() on every part table (services, tiers, metrics, metric tier links,
  exclusions, recipients, approvals): a row of a non-draft agreement cannot be inserted,
  changed or deleted. Approvals may come and go while the agreement is in review; afterwards
  only a deleted user's link is cleared (approved_by_id set to NULL, the name stays).

A refusal raises check_violation with constraint "agreement_frozen"; the services turn it into
a ValidationError (code "frozen"). Schema changes (AddField with a default) fire no row
triggers; a later data migration touching non-draft agreements must disable them explicitly.

Before the triggers, the tier links that new_version() used to delete from the copied version
are restored from the snapshot stored at activation.
"""

from django.db import migrations

WORKFLOW_COLUMNS = (
    "status",
    "lock_version",
    "updated_at",
    "snapshot",
    "submitted_at",
    "activated_at",
    "ended_at",
    "end_reason",
    "effective_to",
)

PART_TABLES = (
    "agreements_agreementservice",
    "agreements_prioritytier",
    "agreements_metricdefinition",
    "agreements_metrictier",
    "agreements_exclusionrule",
    "agreements_reportrecipient",
    "agreements_agreementapproval",
)

WORKFLOW_ARRAY = "ARRAY[" + ", ".join(f"'{name}'" for name in WORKFLOW_COLUMNS) + "]"

REFUSE = """
CREATE OR REPLACE FUNCTION agreements_refuse_frozen(agreement_id bigint, status text)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'agreement % is %: an agreement that has left draft cannot change', agreement_id, status
        USING ERRCODE = 'check_violation', CONSTRAINT = 'agreement_frozen',
              HINT = 'Create a new version to change it.';
END $$;
"""

AGREEMENT_FUNCTION = f"""
CREATE OR REPLACE FUNCTION agreements_frozen_agreement() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    workflow text[] := {WORKFLOW_ARRAY};
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.status <> 'draft' THEN
            PERFORM agreements_refuse_frozen(NEW.id, NEW.status);
        END IF;
        RETURN NEW;
    END IF;
    IF OLD.status = 'draft' THEN
        IF TG_OP = 'UPDATE' AND NEW.status NOT IN ('draft', 'in_review') THEN
            PERFORM agreements_refuse_frozen(OLD.id, OLD.status);
        END IF;
        RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    END IF;
    IF TG_OP = 'DELETE' THEN
        PERFORM agreements_refuse_frozen(OLD.id, OLD.status);
    END IF;
    -- Content: everything but the workflow fields stays as it is.
    IF (to_jsonb(NEW) - workflow) IS DISTINCT FROM (to_jsonb(OLD) - workflow) THEN
        PERFORM agreements_refuse_frozen(OLD.id, OLD.status);
    END IF;
    IF NEW.status = OLD.status THEN
        -- No transition: only the lock, the timestamp and the first snapshot may change.
        IF NEW.effective_to IS DISTINCT FROM OLD.effective_to
           OR NEW.submitted_at IS DISTINCT FROM OLD.submitted_at
           OR NEW.activated_at IS DISTINCT FROM OLD.activated_at
           OR NEW.ended_at IS DISTINCT FROM OLD.ended_at
           OR NEW.end_reason IS DISTINCT FROM OLD.end_reason
           OR (NEW.snapshot IS DISTINCT FROM OLD.snapshot AND OLD.snapshot IS NOT NULL) THEN
            PERFORM agreements_refuse_frozen(OLD.id, OLD.status);
        END IF;
        RETURN NEW;
    END IF;
    IF (OLD.status, NEW.status) NOT IN (
        ('in_review', 'draft'), ('in_review', 'active'),
        ('active', 'superseded'), ('active', 'expired'), ('active', 'terminated')
    ) THEN
        PERFORM agreements_refuse_frozen(OLD.id, OLD.status);
    END IF;
    -- Ending a version may bring its last day forward, never push it back.
    IF OLD.status = 'active' AND NEW.effective_to IS DISTINCT FROM OLD.effective_to
       AND (NEW.effective_to IS NULL OR NEW.effective_to > OLD.effective_to) THEN
        PERFORM agreements_refuse_frozen(OLD.id, OLD.status);
    END IF;
    RETURN NEW;
END $$;
"""

PART_FUNCTION = """
CREATE OR REPLACE FUNCTION agreements_frozen_part() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    old_row jsonb;
    new_row jsonb;
    agreement_ids bigint[];
    one_id bigint;
    one_status text;
BEGIN
    IF TG_OP <> 'INSERT' THEN old_row := to_jsonb(OLD); END IF;
    IF TG_OP <> 'DELETE' THEN new_row := to_jsonb(NEW); END IF;
    IF TG_TABLE_NAME = 'agreements_metrictier' THEN
        SELECT array_agg(m.agreement_id) INTO agreement_ids
        FROM agreements_metricdefinition m
        WHERE m.id IN ((old_row->>'metric_id')::bigint, (new_row->>'metric_id')::bigint);
    ELSE
        agreement_ids := ARRAY[(old_row->>'agreement_id')::bigint, (new_row->>'agreement_id')::bigint];
    END IF;
    FOR one_id IN SELECT DISTINCT x FROM unnest(agreement_ids) x WHERE x IS NOT NULL LOOP
        -- FOR SHARE: a concurrent submit waits for this write, or this write sees the new status.
        SELECT a.status INTO one_status FROM agreements_agreement a WHERE a.id = one_id FOR SHARE;
        CONTINUE WHEN one_status IS NULL OR one_status = 'draft';
        IF TG_TABLE_NAME = 'agreements_agreementapproval' THEN
            CONTINUE WHEN one_status = 'in_review';
            -- A deleted user's approvals keep the name; only the link is cleared.
            CONTINUE WHEN TG_OP = 'UPDATE' AND new_row ->> 'approved_by_id' IS NULL
                AND (new_row - 'approved_by_id') = (old_row - 'approved_by_id');
        END IF;
        PERFORM agreements_refuse_frozen(one_id, one_status);
    END LOOP;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END $$;
"""

CREATE_TRIGGERS = [
    REFUSE,
    AGREEMENT_FUNCTION,
    PART_FUNCTION,
    "CREATE TRIGGER agreement_frozen BEFORE INSERT OR UPDATE OR DELETE ON agreements_agreement "
    "FOR EACH ROW EXECUTE FUNCTION agreements_frozen_agreement()",
] + [
    f"CREATE TRIGGER agreement_frozen BEFORE INSERT OR UPDATE OR DELETE ON {table} "
    "FOR EACH ROW EXECUTE FUNCTION agreements_frozen_part()"
    for table in PART_TABLES
]

DROP_TRIGGERS = [
    f"DROP TRIGGER IF EXISTS agreement_frozen ON {table}"
    for table in ("agreements_agreement", *PART_TABLES)
] + [
    "DROP FUNCTION IF EXISTS agreements_frozen_part()",
    "DROP FUNCTION IF EXISTS agreements_frozen_agreement()",
    "DROP FUNCTION IF EXISTS agreements_refuse_frozen(bigint, text)",
]

# The metrics of a non-draft version with no tier link get back the tiers its activation
# snapshot lists (new_version() used to delete them).
RESTORE_TIER_LINKS = """
INSERT INTO agreements_metrictier (tenant_id, metric_id, tier_id)
SELECT DISTINCT m.tenant_id, m.id, t.id
FROM agreements_agreement a
JOIN agreements_metricdefinition m ON m.agreement_id = a.id
CROSS JOIN LATERAL jsonb_array_elements(a.snapshot -> 'metrics') AS saved(metric)
CROSS JOIN LATERAL jsonb_array_elements_text(saved.metric -> 'tiers') AS code(value)
JOIN agreements_prioritytier t ON t.agreement_id = a.id AND t.code = code.value
WHERE a.status <> 'draft' AND a.snapshot IS NOT NULL
  AND saved.metric ->> 'name' = m.name
  AND NOT EXISTS (SELECT 1 FROM agreements_metrictier x WHERE x.metric_id = m.id)
"""


def restore_tier_links(cursor) -> int:
    """Run the repair for every tenant (row-level security shows one tenant at a time)."""
    cursor.execute("SELECT id FROM tenancy_tenant ORDER BY id")
    restored = 0
    for (tenant_id,) in cursor.fetchall():
        cursor.execute("SELECT set_config('app.tenant_id', %s, true)", [str(tenant_id)])
        cursor.execute(RESTORE_TIER_LINKS)
        restored += cursor.rowcount
    cursor.execute("SELECT set_config('app.tenant_id', '', true)")
    # Check the deferred foreign keys now: no pending trigger events before the DDL that follows.
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    return restored


def repair(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        restore_tier_links(cursor)


class Migration(migrations.Migration):
    dependencies = [
        ("agreements", "0003_metric_ticket_filters"),
        ("tenancy", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(repair, migrations.RunPython.noop),
        migrations.RunSQL(CREATE_TRIGGERS, DROP_TRIGGERS),
    ]
