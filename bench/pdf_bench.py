"""AH-253 PDF rendering: a typical one-page progress note through the portal's own renderer
(documentation.pdf.render_note_pdf, the AH-253 template and WeasyPrint), against a one-line WeasyPrint
document rendered in the same run, interleaved. Target: median at most 4x the one-line one.

    .venv/bin/python -m bench.pdf_bench [--rounds 21]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SYMPTOMS = (
    "Fatigue de grade 1 depuis le cycle {n}, sans limitation des activités quotidiennes. Nausées légères les "
    "deux premiers jours, soulagées par l'ondansétron. Pas de fièvre, pas de frissons. Appétit conservé, "
    "poids stable à {kg} kg."
)
TOXICITIES = (
    "Syndrome main-pied de grade 1 aux deux mains; mucite absente; diarrhée 2 selles par jour, grade 1. "
    "Neuropathie périphérique absente. Conseils d'hydratation et crème émolliente revus avec la patiente."
)
ADHERENCE = (
    "Capécitabine prise selon le calendrier, {missed} dose(s) oubliée(s) ce cycle; la patiente tient son "
    "journal de prise et l'a lu au téléphone. Interactions revues : aucune nouvelle médication."
)
PLAN = (
    "Poursuivre le cycle {n1} à la même dose. Prise de sang la veille du prochain rendez-vous. Rappeler "
    "l'infirmière pivot si la température dépasse 38,3 °C ou si la diarrhée dépasse 4 selles par jour."
)


def _settings() -> None:
    from bench.load import stack

    env = stack.environment()
    for key in ("DJANGO_SETTINGS_MODULE", "DJANGO_DEBUG", "DJANGO_SECRET_KEY", "DATABASE_URL", "PORTAL_VAR_DIR"):
        os.environ[key] = env[key]
    os.environ.setdefault("STATIC_MANIFEST", "false")  # no database and no collected files needed here
    import django

    django.setup()


def typical_note(number: int):
    """An unsaved between-cycles note (4 sections) and its header, different at each call."""
    from documentation.models import Note, Structure

    note = Note(
        structure=Structure.BETWEEN_CYCLES,
        sections={
            "symptoms": SYMPTOMS.format(n=number % 8 + 1, kg=58 + number % 9),
            "toxicities": TOXICITIES,
            "adherence": ADHERENCE.format(missed=number % 3),
            "plan": PLAN.format(n1=number % 8 + 2),
        },
    )
    header = {
        "form": "AH-253",
        "establishment": "CISSS de la Montérégie-Centre",
        "installation": "Hôpital Charles-Le Moyne",
        "clinic": "Clinique d'oncologie",
        "last_name": f"Tremblay-{number}",
        "first_name": "Louise",
        "file_number": f"{100000 + number}",
        "date_of_birth": "1958-03-14",
        "nam": "TREL 5803 1412",
        "other_identifier": "",
        "teleconsultation": "TÉLÉCONSULTATION",
        "author_last_name": "Gagnon",
        "author_first_name": "Marie",
        "author_profession": "Infirmière",
        "author_practice_number": "1234567",
        "consent": "Consentement verbal à la téléconsultation obtenu le 2026-11-02 (français).",
        "date": "2026-11-23",
        "time": "10:00",
        "duration": 30,
        "platform": "Microsoft Teams",
        "participants": ["Louise Tremblay (Patient)", "Paul Tremblay (Proche aidant)", "Marie Gagnon (Professionnel)"],
        "addendum_to": "",
    }
    return note, header


def one_line_pdf(number: int) -> bytes:
    from weasyprint import HTML

    return HTML(string=f"<p>Une ligne {number}.</p>").write_pdf()


def page_count(pdf: bytes) -> int | None:
    try:
        from pypdf import PdfReader
    except ImportError:
        return None
    return len(PdfReader(io.BytesIO(pdf)).pages)


def harfbuzz_subset_installed() -> bool | None:
    try:
        answer = subprocess.run(
            ["dpkg-query", "-W", "-f", "${Status}", "libharfbuzz-subset0"],  # noqa: S607
            capture_output=True,
            text=True,
            check=False,
        )
    except FileNotFoundError:
        return None
    return "install ok installed" in answer.stdout


def run(*, rounds: int = 21) -> list[dict]:
    """The rows, measured in a fresh process (its own Django settings; a first render there is cold)."""
    from bench.load import stack

    return stack.run_isolated("bench.pdf_bench", "--rounds", str(rounds))


def measure(*, rounds: int = 21, warmup: int = 3) -> list[dict]:
    _settings()
    from documentation.pdf import render_note_pdf

    signed_at = datetime(2026, 11, 23, 15, 30, tzinfo=UTC)

    def note_pdf(number: int) -> bytes:
        note, header = typical_note(number)
        return render_note_pdf(note, header=header, signed_at=signed_at)

    started = time.perf_counter()
    first = note_pdf(0)
    first_ms = 1000 * (time.perf_counter() - started)
    pages = page_count(first)
    for number in range(warmup):
        one_line_pdf(number)
        note_pdf(number)
    note_ms, line_ms = [], []
    for number in range(rounds):
        # Interleaved, so that a noisy neighbour weighs on both alike.
        started = time.perf_counter()
        one_line_pdf(number)
        line_ms.append(1000 * (time.perf_counter() - started))
        started = time.perf_counter()
        note_pdf(number + 1)
        note_ms.append(1000 * (time.perf_counter() - started))
    note_median, line_median = statistics.median(note_ms), statistics.median(line_ms)
    ratio = note_median / line_median
    harfbuzz = harfbuzz_subset_installed()
    from bench.load.stack import percentile, row

    return [
        row(
            "pdf_ah253_one_page",
            rps=round(1000 / note_median, 1),
            p50_ms=round(note_median, 1),
            p95_ms=round(percentile(note_ms, 0.95), 1),
            p99_ms=round(max(note_ms), 1),
            ratio=round(ratio, 2),
            target="median <= 4x a one-line WeasyPrint document (same run)",
            met=ratio <= 4,
            notes=(
                f"ratio here is note/one-line (not to the HTTP baseline); one-line median {line_median:.1f} ms "
                f"(min {min(line_ms):.1f}); note min {min(note_ms):.1f} ms, first render in this process "
                f"{first_ms:.0f} ms; {pages} page(s); {rounds} interleaved rounds; "
                f"libharfbuzz-subset0 {'installed' if harfbuzz else 'NOT installed' if harfbuzz is False else '?'}"
                f"; load average {os.getloadavg()[0]:.1f} at the end"
            ),
            one_line_median_ms=round(line_median, 1),
            first_render_ms=round(first_ms, 1),
            pages=pages,
            libharfbuzz_subset0=harfbuzz,
        )
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=21)
    parser.add_argument("--here", action="store_true", help=argparse.SUPPRESS)  # always in this process
    args = parser.parse_args()
    print(json.dumps(measure(rounds=args.rounds), indent=2))


if __name__ == "__main__":
    main()
