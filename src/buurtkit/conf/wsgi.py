import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

from buurtkit.conf.proxy import TrustedProxyHeaders

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "buurtkit.conf.settings")
application: object = get_wsgi_application()
# Import every URLconf, view and API schema now, while the worker starts, not in its first
# request: that import takes most of a second (django-ninja builds some 400 pydantic models),
# and every request the worker receives meanwhile waits for it.
get_resolver().url_patterns  # noqa: B018
if settings.BEHIND_PROXY:
    application = TrustedProxyHeaders(application, settings.TRUSTED_PROXY)  # type: ignore[arg-type]

# `buurtkit demo`: its background jobs run in the server's worker process (see the command).
if os.environ.get("BUURTKIT_DEMO_BACKGROUND") == "1":
    from buurtkit.web.management.commands.demo import start_background

    start_background()
