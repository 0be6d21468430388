#!/usr/bin/env python3
"""Translation catalogues (nl, en, fr) in src/buurtkit/locale.

    python scripts/i18n.py update   extract new strings, keep translations, compile .mo
    python scripts/i18n.py adopt REF [REF...]
                                    fill untranslated or fuzzy entries from the catalogues
                                    of git refs (e.g. a merged branch), then compile .mo
    python scripts/i18n.py check    fail if a string is missing from a catalogue, a Dutch or
                                    French string is untranslated or fuzzy, or a .mo is stale

Needs GNU gettext (xgettext, msgfmt) and polib; run inside the project's virtualenv.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "buurtkit"
LOCALE = PACKAGE / "locale"
LANGUAGES = ["nl", "en", "fr"]
MUST_TRANSLATE = ["nl", "fr"]  # English is the source language
DOMAINS = ["django", "djangojs"]


def _manage(*args: str) -> None:
    env = {
        **os.environ,
        "DEBUG": "1",
        "BUURTKIT_DATA_DIR": tempfile.mkdtemp(prefix="buurtkit-i18n-"),
    }
    subprocess.check_call([sys.executable, "-m", "buurtkit.conf.cli", *args], cwd=PACKAGE, env=env)


def extract() -> None:
    LOCALE.mkdir(exist_ok=True)
    langs = [arg for lang in LANGUAGES for arg in ("-l", lang)]
    _manage(
        "makemessages", *langs, "--no-obsolete", "--no-location", "-i", "tests/*", "-i", "*/tests/*"
    )


def compile_all() -> None:
    for po_path in LOCALE.glob("*/LC_MESSAGES/*.po"):
        polib.pofile(str(po_path)).save_as_mofile(str(po_path.with_suffix(".mo")))


def _ids(po: polib.POFile) -> set[tuple[str, str]]:
    return {(e.msgctxt or "", e.msgid) for e in po if not e.obsolete}


def check() -> int:
    problems: list[str] = []
    backup = Path(tempfile.mkdtemp(prefix="buurtkit-locale-"))
    shutil.copytree(LOCALE, backup / "locale")
    try:
        before = {
            p.relative_to(LOCALE): _ids(polib.pofile(str(p)))
            for p in LOCALE.glob("*/LC_MESSAGES/django.po")
        }
        extract()
        after = {
            p.relative_to(LOCALE): _ids(polib.pofile(str(p)))
            for p in LOCALE.glob("*/LC_MESSAGES/django.po")
        }
    finally:
        shutil.rmtree(LOCALE)
        shutil.copytree(backup / "locale", LOCALE)
        shutil.rmtree(backup)
    for path, ids in after.items():
        missing = ids - before.get(path, set())
        if missing:
            sample = ", ".join(repr(m[1][:40]) for m in sorted(missing)[:5])
            problems.append(f"{path}: {len(missing)} strings not in the catalogue (e.g. {sample})")
    for lang in LANGUAGES:
        po_path = LOCALE / lang / "LC_MESSAGES" / "django.po"
        if not po_path.exists():
            problems.append(f"{po_path} is missing")
            continue
        po = polib.pofile(str(po_path))
        if lang in MUST_TRANSLATE:
            untranslated = [e.msgid for e in po.untranslated_entries()]
            fuzzy = [e.msgid for e in po.fuzzy_entries()]
            if untranslated:
                problems.append(
                    f"{lang}: {len(untranslated)} untranslated, e.g. {untranslated[:3]}"
                )
            if fuzzy:
                problems.append(f"{lang}: {len(fuzzy)} fuzzy, e.g. {fuzzy[:3]}")
        mo_path = po_path.with_suffix(".mo")
        if not mo_path.exists():
            problems.append(f"{mo_path} is missing: run `python scripts/i18n.py update`")
            continue
        mo = {
            (e.msgctxt or "", e.msgid): (e.msgstr, tuple(sorted(e.msgstr_plural.items())))
            for e in polib.mofile(str(mo_path))
        }
        po_t = {
            (e.msgctxt or "", e.msgid): (e.msgstr, tuple(sorted(e.msgstr_plural.items())))
            for e in po.translated_entries()
            if not e.fuzzy
        }
        if {k: v for k, v in mo.items() if k[1]} != po_t:
            problems.append(f"{mo_path} is stale: run `python scripts/i18n.py update`")
    for problem in problems:
        print(f"i18n: {problem}", file=sys.stderr)
    if not problems:
        print("i18n: catalogues current and complete for " + ", ".join(LANGUAGES))
    return 1 if problems else 0


def adopt(refs: list[str]) -> int:
    """Take translations from other branches' catalogues for entries this one lacks.

    Used after merging branches that each added strings: keep one side's .po, run
    `update`, then `adopt` the other branches so no translation is written twice.
    """
    filled = 0
    for lang in MUST_TRANSLATE:
        po_path = LOCALE / lang / "LC_MESSAGES" / "django.po"
        po = polib.pofile(str(po_path))
        before = sum(1 for e in po if e.msgid and e.translated())
        wanted = {
            (e.msgctxt or "", e.msgid): e
            for e in po
            if not e.obsolete and (not e.translated() or e.fuzzy)
        }
        for ref in refs:
            rel = po_path.relative_to(ROOT).as_posix()
            text = subprocess.run(
                ["git", "show", f"{ref}:{rel}"], cwd=ROOT, capture_output=True, text=True
            ).stdout
            if not text:
                continue
            for other in polib.pofile(text):
                key = (other.msgctxt or "", other.msgid)
                entry = wanted.get(key)
                if entry is None or not other.translated() or other.fuzzy:
                    continue
                entry.msgstr = other.msgstr
                entry.msgstr_plural = dict(other.msgstr_plural)
                if "fuzzy" in entry.flags:
                    entry.flags.remove("fuzzy")
                entry.previous_msgid = entry.previous_msgid_plural = None
                del wanted[key]
        if filled_here := sum(1 for e in po if e.msgid and e.translated()) - before:
            po.save()
            filled += filled_here
    compile_all()
    print(f"i18n: adopted {filled} translations")
    return 0


def main(argv: list[str]) -> int:
    if argv[:1] == ["adopt"] and len(argv) > 1:
        return adopt(argv[1:])
    if argv[:1] == ["update"]:
        extract()
        compile_all()
        return 0
    if argv[:1] == ["check"]:
        return check()
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
