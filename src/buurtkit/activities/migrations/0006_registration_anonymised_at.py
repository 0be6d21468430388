from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("activities", "0003_offer_links"),
    ]

    operations = [
        migrations.AddField(
            model_name="registration",
            name="anonymised_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="anonymised at"),
        ),
    ]
