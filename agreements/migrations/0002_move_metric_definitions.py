"""Metric definitions are contract terms: MetricDefinition and MetricTier move from the
metrics app to agreements (docs/decisions/007-metric-definitions-are-contract-terms.md).

The rows stay where they are: the tables are renamed, and only Django's state moves.
"""

import django.core.validators
import django.db.models.deletion
from django.db import migrations, models

RENAMES = [
    ("metrics_metricdefinition", "agreements_metricdefinition"),
    ("metrics_metrictier", "agreements_metrictier"),
]


def relabel_audit(apps, schema_editor):
    """Audit events name the model by its label; keep the history of moved rows readable.

    The audit table has forced row-level security, so it is updated tenant by tenant.
    """
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT id FROM tenancy_tenant")
        for (tenant_id,) in cursor.fetchall():
            cursor.execute("SELECT set_config('app.tenant_id', %s, true)", [str(tenant_id)])
            for name in ("metricdefinition", "metrictier"):
                cursor.execute(
                    "UPDATE tenancy_auditevent SET model = %s WHERE model = %s",
                    [f"agreements.{name}", f"metrics.{name}"],
                )
        cursor.execute("SELECT set_config('app.tenant_id', '', true)")


class Migration(migrations.Migration):

    dependencies = [
        ('agreements', '0001_initial'),
        ('metrics', '0001_initial'),
        ('tenancy', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    [f'ALTER TABLE "{old}" RENAME TO "{new}"' for old, new in RENAMES]
                    + [f'ALTER SEQUENCE "{old}_id_seq" RENAME TO "{new}_id_seq"' for old, new in RENAMES],
                    [f'ALTER TABLE "{new}" RENAME TO "{old}"' for old, new in RENAMES]
                    + [f'ALTER SEQUENCE "{new}_id_seq" RENAME TO "{old}_id_seq"' for old, new in RENAMES],
                ),
            ],
            state_operations=[
            migrations.CreateModel(
                name='MetricDefinition',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('name', models.CharField(max_length=200, verbose_name='name')),
                    ('kind', models.CharField(choices=[('response_time', 'response time'), ('resolution_time', 'resolution time'), ('on_time_delivery_rate', 'on-time delivery rate'), ('accuracy', 'accuracy'), ('first_contact_resolution_rate', 'first-contact resolution rate'), ('recurrence_count', 'recurrence count'), ('availability_percent', 'availability (%)'), ('downtime_minutes', 'downtime (minutes)'), ('satisfaction_score', 'satisfaction score'), ('custom_sample', 'custom (samples)')], max_length=32, verbose_name='kind')),
                    ('direction', models.CharField(blank=True, choices=[('lower_is_better', 'lower is better'), ('higher_is_better', 'higher is better')], help_text="Empty: the kind's usual direction.", max_length=20, verbose_name='direction')),
                    ('unit', models.CharField(blank=True, max_length=20, verbose_name='unit')),
                    ('target', models.DecimalField(decimal_places=4, max_digits=14, verbose_name='target')),
                    ('minimum_acceptable', models.DecimalField(decimal_places=4, max_digits=14, verbose_name='minimum acceptable')),
                    ('attainment_goal_percent', models.DecimalField(decimal_places=2, default=100, help_text='Time metrics: the share of tickets that must be within the threshold.', max_digits=5, validators=[django.core.validators.MinValueValidator(0), django.core.validators.MaxValueValidator(100)], verbose_name='attainment goal (%)')),
                    ('data_source', models.TextField(blank=True, verbose_name='data source')),
                    ('provider_responsible', models.CharField(blank=True, max_length=200, verbose_name='responsible person (provider)')),
                    ('customer_responsible', models.CharField(blank=True, max_length=200, verbose_name='responsible person (customer)')),
                    ('period', models.CharField(choices=[('month', 'month'), ('quarter', 'quarter')], default='month', max_length=10, verbose_name='measurement period')),
                    ('order', models.PositiveSmallIntegerField(default=0, verbose_name='order')),
                    ('agreement', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='metrics', to='agreements.agreement', verbose_name='agreement')),
                    ('tenant', models.ForeignKey(editable=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='tenancy.tenant')),
                ],
                options={
                    'verbose_name': 'metric',
                    'verbose_name_plural': 'metrics',
                    'ordering': ['agreement_id', 'order', 'id'],
                },
            ),
            migrations.CreateModel(
                name='MetricTier',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('metric', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='tier_links', to='agreements.metricdefinition')),
                    ('tenant', models.ForeignKey(editable=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='tenancy.tenant')),
                    ('tier', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='metric_links', to='agreements.prioritytier')),
                ],
                options={
                    'verbose_name': 'priority tier of a metric',
                    'verbose_name_plural': 'priority tiers of metrics',
                },
            ),
            migrations.AddField(
                model_name='metricdefinition',
                name='tiers',
                field=models.ManyToManyField(blank=True, related_name='metrics', through='agreements.MetricTier', to='agreements.prioritytier', verbose_name='priority tiers'),
            ),
            migrations.AddConstraint(
                model_name='metrictier',
                constraint=models.UniqueConstraint(fields=('tenant', 'metric', 'tier'), name='metrictier_unique'),
            ),
            migrations.AddConstraint(
                model_name='metricdefinition',
                constraint=models.UniqueConstraint(fields=('tenant', 'agreement', 'name'), name='metricdefinition_unique_name'),
            ),
            ],
        ),
        migrations.RunPython(relabel_audit, migrations.RunPython.noop),
    ]
