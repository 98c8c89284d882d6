"""The figures as plain data: JSON for the API and the charts, rows for the CSV file."""

from dataclasses import asdict
from datetime import date
from typing import Any

from .figures import Summary


def as_data(summary: Summary) -> dict[str, Any]:
    data = asdict(summary)
    scope = data.pop("scope")
    data["period"] = {"from": scope["first_day"], "to": scope["last_day"], "platform": scope["platform"]}
    return _plain(data)


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


def csv_rows(summary: Summary) -> list[tuple[str, str, Any]]:
    """Every figure of the page, one per row: section, figure, value."""
    data = as_data(summary)
    rows: list[tuple[str, str, Any]] = [
        ("period", "from", data["period"]["from"]),
        ("period", "to", data["period"]["to"]),
        ("period", "platform", data["period"]["platform"] or "all"),
        ("meetings", "total", data["total"]),
    ]
    for section in ("by_modality", "by_platform", "by_kind", "outcomes", "outcome_rates", "failures"):
        rows += [(section, key, value) for key, value in data[section].items()]
    for week in data["weekly"]:
        rows.append(("weekly", f"{week['week']} total", week["total"]))
        for group in ("modality", "platform", "kind", "outcomes"):
            rows += [("weekly", f"{week['week']} {group} {key}", value) for key, value in week[group].items()]
    for section in ("consent", "note_delay", "filing_delay", "readiness", "travel"):
        rows += [(section, key, value) for key, value in data[section].items()]
    rows.append(("archives", "waiting", data["waiting_for_archives"]))
    rows += [("prescriptions", f"category {key}", value) for key, value in data["prescriptions"]["by_category"].items()]
    rows += [
        ("prescriptions", f"{row['category']} by {row['channel']}", row["count"])
        for row in data["prescriptions"]["by_category_and_channel"]
    ]
    return rows
