# The digibuddy register (issue 13): duty times, cancelling with a reason, swaps; a
# volunteer's training series. Existing duties at a session get the session's times.

import django.db.models.deletion
from django.db import migrations, models


def duty_times(apps, schema_editor):
    Duty = apps.get_model("activities", "Duty")
    for duty in Duty.objects.filter(session__isnull=False, starts_at__isnull=True).select_related(
        "session"
    ):
        duty.starts_at, duty.ends_at = duty.session.starts_at, duty.session.ends_at
        duty.save(update_fields=["starts_at", "ends_at"])


class Migration(migrations.Migration):

    dependencies = [
        ('activities', '0005_registration_anonymised_at'),
    ]

    operations = [
        migrations.AddField(
            model_name='duty',
            name='cancel_reason',
            field=models.CharField(blank=True, max_length=300, verbose_name='reason'),
        ),
        migrations.AddField(
            model_name='duty',
            name='cancelled_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='cancelled at'),
        ),
        migrations.AddField(
            model_name='duty',
            name='changed_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='duty',
            name='ends_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='ends at'),
        ),
        migrations.AddField(
            model_name='duty',
            name='starts_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='starts at'),
        ),
        migrations.AddField(
            model_name='duty',
            name='swap_asked_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='duty',
            name='taken_over_from',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='activities.volunteer'),
        ),
        migrations.AddField(
            model_name='volunteer',
            name='created_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='volunteer',
            name='training_series',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='activities.series', verbose_name='training series'),
        ),
        migrations.AddIndex(
            model_name='duty',
            index=models.Index(fields=['volunteer', 'starts_at'], name='duty_volunteer_time_idx'),
        ),
        migrations.AddIndex(
            model_name='duty',
            index=models.Index(fields=['community', 'state', 'starts_at'], name='duty_state_time_idx'),
        ),
        migrations.RunPython(duty_times, migrations.RunPython.noop),
    ]
