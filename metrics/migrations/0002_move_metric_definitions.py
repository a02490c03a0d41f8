"""MetricDefinition and MetricTier now belong to agreements (agreements 0002 renamed the
tables); only Django's state of the metrics app changes here."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('metrics', '0001_initial'),
        ('agreements', '0002_move_metric_definitions'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(model_name='metricdefinition', name='tiers'),
                migrations.DeleteModel(name='MetricTier'),
                migrations.DeleteModel(name='MetricDefinition'),
            ],
        ),
    ]
