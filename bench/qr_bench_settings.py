"""Settings for bench/qr_resolve.py: buurtkit as configured, with the bench's URLs."""

from buurtkit.conf.settings import *  # noqa: F403

ROOT_URLCONF = "qr_bench_urls"
