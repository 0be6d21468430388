import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application

from buurtkit.conf.proxy import TrustedProxyHeaders

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "buurtkit.conf.settings")
application: object = get_wsgi_application()
if settings.BEHIND_PROXY:
    application = TrustedProxyHeaders(application, settings.TRUSTED_PROXY)  # type: ignore[arg-type]

# `buurtkit demo`: its background jobs run in the server's worker process (see the command).
if os.environ.get("BUURTKIT_DEMO_BACKGROUND") == "1":
    from buurtkit.web.management.commands.demo import start_background

    start_background()
