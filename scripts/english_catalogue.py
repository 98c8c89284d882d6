"""The source strings are English: the English catalogue repeats every msgid as its translation."""

import sys

import polib

catalogue = polib.pofile(sys.argv[1])
for entry in catalogue:
    if entry.msgid_plural:
        entry.msgstr_plural = {0: entry.msgid, 1: entry.msgid_plural}
    else:
        entry.msgstr = entry.msgid
    if "fuzzy" in entry.flags:
        entry.flags.remove("fuzzy")
    entry.previous_msgid = entry.previous_msgid_plural = None
catalogue.save()
