"""Charts of the graph as Vega-Lite specifications, and their SVG.

A specification is a plain dict, the data inline (``"data": {"values": [...]}``), taken from the graph by
queries (the catalogue's ``list-production`` and ``list-events``, and inline SPARQL for the labels they do
not return), never written here. The same dict draws in a browser (vega-embed, with the Vega-Lite version
:data:`VEGA_LITE_VERSION`) and offline as SVG (:func:`to_svg`, through vl-convert, pinned to the same
version), so a page and a picture of docs/ show the same chart.

- :func:`chart_spec`: a bar chart for a SELECT result with a number over a year, a date or a category
  (``None`` when no chart fits);
- :func:`production_chart`: the vehicles a plant produced each year;
- :func:`timeline_chart`: the events on a time axis, each with the precision the graph gives its date;
- :func:`to_svg`, :func:`to_html`: the specification drawn (vl-convert: ``pip install vl-convert-python``).

The output is deterministic: sorted data, fixed sizes, no time of day, UTC scales.
"""

from __future__ import annotations

import datetime
import decimal
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from .namespaces import AKG, XSD

TYPE_CHECKING = False
if TYPE_CHECKING:
    import pyoxigraph as ox

#: The one Vega-Lite version of every chart: the pages load the copy vendored from npm (vega-lite 6.4.1,
#: alliance_kg/server/static/vendor/assets.json) and :func:`to_svg` asks vl-convert for it, so that a
#: chart looks the same on a page and in an SVG (tests/test_vendor_assets.py checks that they agree).
VEGA_LITE_VERSION = "6.4"
#: The JSON schema the specifications name (Vega-Lite publishes one schema a major version).
SCHEMA = f"https://vega.github.io/schema/vega-lite/v{VEGA_LITE_VERSION.split('.')[0]}.json"

#: Colours of the charts (Vega's default scheme "tableau10", named so that the charts do not depend on it).
BAR = "#4c78a8"
PALETTE = ("#4c78a8", "#f58518", "#54a24b", "#e45756", "#72b7b2", "#b279a2", "#eeca3b", "#9d755d")
_CONFIG: dict[str, Any] = {
    "font": "sans-serif",
    "view": {"stroke": None},
    "axis": {"labelFontSize": 11, "titleFontSize": 12, "titleFontWeight": "normal", "titleColor": "#333"},
    "title": {"fontSize": 15, "subtitleFontSize": 11, "subtitleColor": "#555", "anchor": "start"},
    "legend": {"labelFontSize": 11, "titleFontSize": 11},
}

_YEAR_NAMES = re.compile(r"year|date|month|day|period|time|when", re.I)
_ISO = re.compile(r"-?\d{4}(?:-\d{2}(?:-\d{2})?)?")
_GYEARMONTH = re.compile(r"(-?\d{4})-(\d{2})(?:Z|[+-]\d{2}:\d{2})?")
_IRI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[^\s]*[/#:][^\s]*")

_EVENT_LABELS = """\
PREFIX akg:  <https://w3id.org/alliance-kg/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
# The English labels of the kinds of event and of the period qualifiers, for the timeline's legend and text.
SELECT ?term ?label
WHERE {
  { ?term rdfs:subClassOf akg:Event } UNION { ?term a akg:PeriodQualifier }
  ?term rdfs:label ?label .
  FILTER (LANG(?label) = "en")
}
ORDER BY ?term
"""

_PLANT_NAME = """\
# params: plant: akg:Plant = plant:ampere-douai
PREFIX akg: <https://w3id.org/alliance-kg/ontology#>
SELECT ?plant ?name WHERE { ?plant akg:name ?name } ORDER BY ?name LIMIT 1
"""


# --- a chart for a query result -----------------------------------------------------------------------------


def _is_number(value: object) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float | decimal.Decimal):
        return False
    return math.isfinite(value) if isinstance(value, float) else True


def _json_number(value: object) -> int | float:
    """A number of a result as JSON: ints stay ints, decimals and floats become floats (an integral
    decimal an int)."""
    if isinstance(value, int):
        return value
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    assert isinstance(value, float)
    return value


def _temporal_text(value: object) -> str | None:
    """A year, a date or a month as ISO text (``"2024"``, ``"2025-09-16"``, ``"2025-05"``), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return f"{value:04d}" if 1000 <= value <= 9999 else None
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, str) and _ISO.fullmatch(value.strip()):
        return value.strip()
    return None


def _label_text(value: object) -> str | None:
    """A category as text: a string (an IRI shortened to its last segment), else None."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if _IRI.fullmatch(text):
        return re.split(r"[/#]", text.rstrip("/#"))[-1] or text
    return text


def _is_iri(value: object) -> bool:
    return isinstance(value, str) and bool(_IRI.fullmatch(value.strip()))


def _words(name: str) -> str:
    """A variable name as axis words: ``unitsProduced`` → ``units produced``."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name).replace("_", " ")
    return spaced[:1].upper() + spaced[1:].lower()


def _column(values: Sequence[Mapping[str, object]], name: str) -> list[object]:
    return [row.get(name) for row in values]


def chart_spec(
    result_variables: Sequence[str], values: Sequence[Mapping[str, object]], *, title: str
) -> dict[str, Any] | None:
    """A Vega-Lite bar chart of a SELECT result (:meth:`Result.values` and :attr:`Result.variables`), or
    ``None`` when no chart fits.

    A chart fits when the result has a numeric column (the first that is not a year: the measure) and,
    one bar a row, either a year or date column (a variable named like ``year``/``date``, of years, dates
    or ISO months: vertical bars in time order) or else a category column (the first column of text, or
    failing that of IRIs, by their last segment: horizontal bars, largest first). Each bar is labelled with
    its value. Rows missing either value are left out; a result whose years or categories repeat (several
    rows a bar), that has no number or no rows, gets ``None``.

    >>> r = query("list-production")
    >>> chart_spec(r.variables, r.values(), title="Production")["mark"]  # doctest: +SKIP
    """
    names = list(result_variables)
    if not values or not names:
        return None
    temporal = [
        n
        for n in names
        if _YEAR_NAMES.search(n)
        and any(v is not None for v in _column(values, n))
        and all(v is None or _temporal_text(v) is not None for v in _column(values, n))
    ]
    measures = [
        n
        for n in names
        if n not in temporal
        and any(v is not None for v in _column(values, n))
        and all(v is None or _is_number(v) for v in _column(values, n))
    ]
    if not measures:
        return None
    measure = measures[0]
    for x in temporal:
        rows = [
            {"x": text, "y": _json_number(row[measure])}
            for row in values
            if (text := _temporal_text(row.get(x))) is not None and _is_number(row.get(measure))
        ]
        if rows and len({r["x"] for r in rows}) == len(rows):
            return _bars(sorted(rows, key=lambda r: str(r["x"])), _words(x), _words(measure), title, True)
    texts = [n for n in names if n not in measures and n not in temporal]
    plain = [
        n
        for n in texts
        if all(v is None or (isinstance(v, str) and not _is_iri(v)) for v in _column(values, n))
    ]
    iris = [n for n in texts if n not in plain and all(v is None or _is_iri(v) for v in _column(values, n))]
    for category in plain + iris:
        rows = [
            {"x": text, "y": _json_number(row[measure])}
            for row in values
            if (text := _label_text(row.get(category))) is not None and _is_number(row.get(measure))
        ]
        if rows and len({r["x"] for r in rows}) == len(rows):
            rows.sort(key=lambda r: (-float(r["y"]), str(r["x"])))
            return _bars(rows, _words(category), _words(measure), title, False)
    return None


def _round_up(value: float) -> float:
    """``value`` rounded up to a half of its order of magnitude (96 689 → 100 000, 10.8 → 15), so that
    the value axis ends on a round number."""
    step = 10 ** math.floor(math.log10(value)) / 2
    rounded = math.ceil(value / step) * step
    return int(rounded) if rounded == int(rounded) else rounded


def _bars(
    rows: list[dict[str, Any]], x_title: str, y_title: str, title: str, vertical: bool
) -> dict[str, Any]:
    """Bars of ``rows`` (``x`` the year or category, ``y`` the number), each labelled with its value; the
    value axis goes 10 % past the largest value, to a round number, so that the labels stay inside."""
    top = max((float(r["y"]) for r in rows), default=0.0)
    low = min((float(r["y"]) for r in rows), default=0.0)
    scale: dict[str, Any] = {"zero": True, "nice": True}
    if top > 0:
        scale.update(domainMax=_round_up(top * 1.1), nice=False)
    if low < 0:
        scale.update(domainMin=-_round_up(-low * 1.1), nice=False)
    order = [r["x"] for r in rows]
    band: dict[str, Any] = {"field": "x", "type": "ordinal", "title": x_title, "sort": order}
    value: dict[str, Any] = {"field": "y", "type": "quantitative", "title": y_title, "scale": scale}
    if all(isinstance(r["y"], int) for r in rows):  # counts: no ticks between whole numbers
        value["axis"] = {"tickMinStep": 1, "format": ",d"}
    label = {"field": "y", "type": "quantitative", "format": ",", "title": y_title}
    if vertical:
        band["axis"] = {"labelAngle": 0}
        size = {"width": max(300, min(720, 110 * len(rows))), "height": 280}
        encoding = {"x": band, "y": value}
        text_mark = {"type": "text", "baseline": "bottom", "dy": -4, "fontSize": 12, "fontWeight": "bold"}
    else:
        size = {"width": 420, "height": max(60, 30 * len(rows))}
        encoding = {"y": band, "x": value}
        text_mark = {"type": "text", "align": "left", "dx": 4, "fontSize": 12, "fontWeight": "bold"}
    return {
        "$schema": SCHEMA,
        "title": title,
        **size,
        "background": "white",
        "padding": 12,
        "data": {"values": rows},
        "encoding": encoding,
        "layer": [
            {
                "mark": {"type": "bar", "color": BAR},
                "encoding": {"tooltip": [band, {**value, "format": ","}]},
            },
            {"mark": text_mark, "encoding": {"text": label}},
        ],
        "config": _CONFIG,
    }


# --- the named charts ---------------------------------------------------------------------------------------


def _store(store: ox.Store | None) -> ox.Store:
    from .api import open_store

    return open_store() if store is None else store


def production_chart(*, plant: str = "plant:ampere-douai", store: ox.Store | None = None) -> dict[str, Any]:
    """The vehicles ``plant`` produced each year (the catalogue query ``list-production``), as labelled
    bars. ``store`` is the graph to read (the bundled graph by default, see :func:`alliance_kg.open_store`).
    A plant without figures raises :class:`~alliance_kg.errors.QueryError`."""
    from .api import query
    from .errors import QueryError

    kg = _store(store)
    result = query("list-production", {"plant": plant}, store=kg)
    names = query(_PLANT_NAME, {"plant": plant}, store=kg).values()
    name = str(names[0]["name"]) if names else plant
    spec = chart_spec(("year", "unitsProduced"), result.values(), title=f"Vehicles produced at {name}")
    if spec is None:
        raise QueryError(f"no production figures for {plant} in the graph (query list-production)")
    spec["title"] = {
        "text": f"Vehicles produced at {name}",
        "subtitle": "Units produced each calendar year (akg:unitsProduced of its akg:ProductionFigure)",
    }
    spec["encoding"]["x"]["title"] = "Year"
    spec["encoding"]["y"]["title"] = "Units produced"
    spec["layer"][1]["encoding"]["text"]["title"] = "Units produced"
    spec["usermeta"] = {"query": "list-production", "plant": plant}
    return spec


def _next_month(year: int, month: int) -> datetime.date:
    return datetime.date(year + month // 12, month % 12 + 1, 1)


def timeline_chart(*, store: ox.Store | None = None) -> dict[str, Any]:
    """The events of the graph (the catalogue query ``list-events``) on a time axis, one row an event, each
    with the precision the graph gives its date: a day (``xsd:date``) is a point; a month
    (``xsd:gYearMonth``) is a bar from its first day to the next month's; an event known only to a part of
    a year ("late 2025": ``akg:approximateYear`` and ``akg:periodQualifier``) is a paler bar over that
    whole year, since the graph gives no narrower period (no day is made up). Beside each mark, the date as
    the graph holds it; events the source announces as still to come say "scheduled". Colours are the
    kinds of event. An event with no date at all cannot be placed and is left out."""
    from .api import query

    kg = _store(store)
    labels = {str(r["term"]): str(r["label"]) for r in query(_EVENT_LABELS, store=kg).values()}
    rows: list[dict[str, Any]] = []
    for event in query("list-events", store=kg).values():
        date, year, precision = event["date"], event["approximateYear"], str(event["precision"] or "")
        if isinstance(date, datetime.datetime):
            date = date.date()
        if isinstance(date, datetime.date):
            start, end, kind, shown = date, date, "day", date.isoformat()
        elif isinstance(date, str) and (month := _GYEARMONTH.fullmatch(date.strip())):
            yy, mm = int(month[1]), int(month[2])
            start, end, kind = datetime.date(yy, mm, 1), _next_month(yy, mm), "month"
            shown = f"{yy:04d}-{mm:02d}"
        elif isinstance(year, int) and not isinstance(year, bool) and precision != XSD + "gYearMonth":
            qualifier = labels.get(str(event["qualifier"] or ""), "")
            start, end, kind = datetime.date(year, 1, 1), datetime.date(year + 1, 1, 1), "year"
            shown = f"{qualifier} {year}".strip()
        else:
            continue
        scheduled = event["scheduledAsOf"]
        if scheduled is not None:
            shown += " (scheduled)"
        type_iri = str(event["eventType"])
        rows.append(
            {
                "event": str(event["event"]),
                "label": str(event["label"]),
                "kind": labels.get(type_iri, type_iri.removeprefix(AKG)),
                "precision": kind,
                "start": start.isoformat(),
                "end": end.isoformat(),
                "date": shown,
                "asPublished": None if event["dateAsPublished"] is None else str(event["dateAsPublished"]),
                "scheduledAsOf": None if scheduled is None else str(scheduled),
            }
        )
    # the order of list-events: by date, an event known only to a part of a year after the dated ones of it
    rows.sort(key=lambda r: (r["start"][:4] + "~" if r["precision"] == "year" else r["start"], r["label"]))
    if not rows:
        from .errors import QueryError

        raise QueryError("no dated events in the graph (query list-events)")
    first = min(int(r["start"][:4]) for r in rows)
    last = max(int(r["end"][:4]) + (0 if r["end"].endswith("-01-01") else 1) for r in rows)
    domain = [
        {"year": first, "month": 1, "date": 1, "utc": True},
        {"year": last, "month": 1, "date": 1, "utc": True},
    ]
    kinds = sorted({r["kind"] for r in rows})
    colour = {
        "field": "kind",
        "type": "nominal",
        "title": "Kind of event",
        "scale": {"domain": kinds, "range": list(PALETTE[: len(kinds)])},
        "legend": {"orient": "bottom", "direction": "horizontal", "columns": 4},
    }
    y = {
        "field": "label",
        "type": "nominal",
        "title": None,
        "sort": [r["label"] for r in rows],
        "axis": {"labelLimit": 420, "labelFontSize": 11, "labelPadding": 8},
    }
    x = {
        "field": "start",
        "type": "temporal",
        "title": None,
        "scale": {"type": "utc", "domain": domain},
        "axis": {"format": "%b %Y", "tickCount": {"interval": "month", "step": 6}},
    }
    tooltip = [
        {"field": "label", "title": "Event"},
        {"field": "kind", "title": "Kind"},
        {"field": "date", "title": "Date in the graph"},
        {"field": "asPublished", "title": "Date as published"},
        {"field": "scheduledAsOf", "title": "Scheduled as of"},
    ]
    return {
        "$schema": SCHEMA,
        "title": {
            "text": "Timeline of events",
            "subtitle": "A day is a point; a month, or a part of a year such as “late 2025”, is a bar over "
            "the period the graph gives (the whole year when it gives only the year)",
        },
        "width": 560,
        "height": 34 * len(rows),
        "background": "white",
        "padding": 12,
        "data": {"values": rows},
        "encoding": {"y": y, "color": colour, "tooltip": tooltip},
        "layer": [
            {
                "transform": [{"filter": "datum.precision != 'day'"}],
                "mark": {"type": "bar", "height": 14, "cornerRadius": 2},
                "encoding": {
                    "x": x,
                    "x2": {"field": "end"},
                    "opacity": {
                        "condition": {"test": "datum.precision == 'year'", "value": 0.45},
                        "value": 0.95,
                    },
                },
            },
            {
                "transform": [{"filter": "datum.precision == 'day'"}],
                "mark": {"type": "point", "filled": True, "size": 110, "opacity": 1},
                "encoding": {"x": x},
            },
            {
                "mark": {"type": "text", "align": "left", "dx": 8, "fontSize": 11, "color": "#333"},
                "encoding": {
                    "x": {**x, "field": "end"},
                    "text": {"field": "date"},
                    "color": {"value": "#333"},
                },
            },
        ],
        "config": _CONFIG,
        "usermeta": {"query": "list-events"},
    }


# --- drawing ------------------------------------------------------------------------------------------------


def _missing() -> Exception:
    from .api import MissingDependency

    return MissingDependency(
        "drawing a chart needs vl-convert-python, which is not installed: "
        "pip install 'alliance-kg[pictures]' (or pip install vl-convert-python)"
    )


def to_svg(spec: Mapping[str, Any]) -> str:
    """The chart of a Vega-Lite specification as SVG text, drawn by vl-convert with Vega-Lite
    :data:`VEGA_LITE_VERSION` (:class:`~alliance_kg.api.MissingDependency` when vl-convert is missing)."""
    try:
        import vl_convert
    except ImportError:
        raise _missing() from None
    return vl_convert.vegalite_to_svg(dict(spec), vl_version=VEGA_LITE_VERSION)


def to_html(spec: Mapping[str, Any]) -> str:
    """A standalone HTML page drawing the chart with vega-embed and Vega-Lite :data:`VEGA_LITE_VERSION`,
    their code inlined in the page (it loads nothing from another host)."""
    try:
        import vl_convert
    except ImportError:
        raise _missing() from None
    return vl_convert.vegalite_to_html(dict(spec), vl_version=VEGA_LITE_VERSION, bundle=True)


__all__ = [
    "SCHEMA",
    "VEGA_LITE_VERSION",
    "chart_spec",
    "production_chart",
    "timeline_chart",
    "to_html",
    "to_svg",
]
