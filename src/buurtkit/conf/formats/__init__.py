"""Our date formats per language (FORMAT_MODULE_PATH); anything not set here is Django's."""
