import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application

from buurtkit.conf.proxy import TrustedProxyHeaders

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "buurtkit.conf.settings")
application: object = get_wsgi_application()
if settings.BEHIND_PROXY:
    application = TrustedProxyHeaders(application, settings.TRUSTED_PROXY)  # type: ignore[arg-type]
