"""Both catalogues are complete: every string of the code is translated in French and present in English."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest

ROOT = Path(__file__).resolve().parent.parent
CATALOGUES = {language: ROOT / "locale" / language / "LC_MESSAGES" / "django.po" for language in ("fr", "en")}
# The configuration, every app (a folder with an apps.py), the templates and the scripts.
SOURCE_FOLDERS = ["telesante", "templates", "static", *sorted(p.parent.name for p in ROOT.glob("*/apps.py"))]


@pytest.mark.parametrize("language", CATALOGUES)
def test_every_entry_is_translated_and_none_is_fuzzy(language):
    catalogue = polib.pofile(str(CATALOGUES[language]))

    assert catalogue.untranslated_entries() == []
    assert catalogue.fuzzy_entries() == []
    assert len(catalogue.translated_entries()) > 100


def test_french_is_really_french():
    catalogue = polib.pofile(str(CATALOGUES["fr"]))
    unchanged = [e.msgid for e in catalogue.translated_entries() if e.msgstr == e.msgid and " " in e.msgid]

    assert len(unchanged) < 5, unchanged


def test_the_catalogues_hold_every_string_of_the_code(tmp_path):
    """Extract the strings again from a copy of the sources: nothing may be missing from the catalogues."""
    for folder in SOURCE_FOLDERS:
        shutil.copytree(ROOT / folder, tmp_path / folder, ignore=shutil.ignore_patterns("vendor", "__pycache__"))
    shutil.copy(ROOT / "manage.py", tmp_path)
    (tmp_path / "locale").mkdir()
    environment = {**os.environ, "DJANGO_DEBUG": "true", "DJANGO_SETTINGS_MODULE": "telesante.settings"}
    environment["PORTAL_VAR_DIR"] = str(tmp_path / "var")
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "fr", "-v", "0"],
        cwd=tmp_path,
        env=environment,
        check=True,
        timeout=120,
    )

    extracted = {entry.msgid for entry in polib.pofile(str(tmp_path / "locale/fr/LC_MESSAGES/django.po"))}
    for language, path in CATALOGUES.items():
        known = {entry.msgid for entry in polib.pofile(str(path)) if not entry.obsolete}
        assert extracted - known == set(), f"missing from the {language} catalogue: run `make messages`"
