"""The device bank's pages: one module per part (views_<part>.py, urls_<part>.py)."""
