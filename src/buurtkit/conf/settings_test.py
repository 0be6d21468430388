"""Settings for the test suite: the real settings with a fixed key and fast hashing."""

import os
import tempfile

os.environ.setdefault("BUURTKIT_DATA_DIR", tempfile.mkdtemp(prefix="buurtkit-test-"))

os.environ.setdefault("SECRET_KEY", "test-only-secret-key")
os.environ.setdefault("BUURTKIT_HTTPS", "false")

from buurtkit.conf.settings import *  # noqa: F403
from buurtkit.conf.settings import TASKS

STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Tasks run synchronously once their transaction commits, unless a test picks a real backend.
TASKS = {**TASKS, "default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

TELEPHONY_SIMULATOR_THREADS = False
# Tests set BUURTKIT_PUBLIC_URL where they need one; the rest use the local fallback
# (tests/test_public_url.py checks the refusal with it required).
PUBLIC_URL_REQUIRED = False
