"""The pictures of docs/pictures/: the committed SVGs match what alliance_kg.pictures makes now, and what
they show is what the graph holds (the production figures, every event, every class of the ontology)."""

from __future__ import annotations

import copy
import re
import sys
from pathlib import Path
from xml.etree import ElementTree

import pyoxigraph as ox
import pytest
from conftest import IN_CI, ROOT

from alliance_kg import charts, diagram, paths, pictures
from alliance_kg.api import MissingDependency, open_store, query

DOCS = ROOT / "docs" / "pictures"
SVG = "{http://www.w3.org/2000/svg}"
AKG = "https://w3id.org/alliance-kg/ontology#"


def need_vl_convert() -> None:
    """The charts are drawn by vl-convert: missing, skip with the reason, but fail in CI, which installs
    the test extra."""
    try:
        import vl_convert  # noqa: F401
    except ImportError:
        pass
    else:
        return
    message = "vl-convert-python is not installed (it draws the charts as SVG)"
    if IN_CI:
        pytest.fail(f"{message}; CI must install it (the test extra)")
    pytest.skip(message)


@pytest.fixture(scope="module")
def rendered() -> dict[str, str]:
    need_vl_convert()
    return pictures.render_pictures()


def diff_message(name: str, differences: list[str]) -> str:
    shown = "\n  ".join(differences[:40])
    more = f"\n  … and {len(differences) - 40} more" if len(differences) > 40 else ""
    return (
        f"docs/pictures/{name} differs from what write_pictures makes now "
        f'(regenerate: python -c "from alliance_kg.pictures import write_pictures; '
        f"write_pictures('docs/pictures')\"):\n  {shown}{more}"
    )


# --- the committed pictures are the current ones ------------------------------------------------------------


@pytest.mark.parametrize("name", pictures.NAMES)
def test_committed_picture_matches(request: pytest.FixtureRequest, name: str) -> None:
    committed = DOCS / name
    assert committed.is_file(), f"{committed} is missing: run write_pictures('docs/pictures')"
    if name == "class-diagram.svg":  # drawn without vl-convert
        now = diagram.class_diagram_svg()
    else:
        now = request.getfixturevalue("rendered")[name]
    differences = pictures.compare_svg(committed.read_text(encoding="utf-8"), now)
    assert not differences, diff_message(name, differences)


def test_write_pictures_writes_every_picture_atomically(tmp_path: Path) -> None:
    need_vl_convert()
    target = tmp_path / "out"
    written = pictures.write_pictures(target)
    assert [p.name for p in written] == list(pictures.NAMES)
    assert sorted(p.name for p in target.iterdir()) == sorted(pictures.NAMES)  # no temporary file left
    for path in written:
        ElementTree.fromstring(path.read_text(encoding="utf-8"))  # well-formed
    again = pictures.write_pictures(target)  # over the old ones
    assert [p.read_text(encoding="utf-8") for p in again] == [p.read_text(encoding="utf-8") for p in written]


# --- the comparison can fail --------------------------------------------------------------------------------


def changed_store(units: int) -> ox.Store:
    """A copy of the bundled graph with the 2024 figure of Ampere Douai set to ``units``."""
    store = open_store()
    store.update(
        "PREFIX akg: <https://w3id.org/alliance-kg/ontology#> "
        "DELETE { ?figure akg:unitsProduced ?units } "
        f"INSERT {{ ?figure akg:unitsProduced {int(units)} }} "
        'WHERE { ?figure akg:productionYear ?year ; akg:unitsProduced ?units FILTER (STR(?year) = "2024") }'
    )
    return store


def test_comparison_sees_a_changed_figure(rendered: dict[str, str]) -> None:
    now = rendered["production.svg"]
    assert pictures.compare_svg(now, now) == []
    one_more = charts.to_svg(charts.production_chart(store=changed_store(89528)))
    differences = pictures.compare_svg(now, one_more)
    assert "text '89,528': shown 0× in a, 1× in b" in differences  # the label
    assert any(  # the bar's value, in its aria-label
        line.startswith("mark-rect") and "89,527" in line and "89,528" in line for line in differences
    ), differences
    doubled = charts.to_svg(charts.production_chart(store=changed_store(2 * 89527)))
    differences = pictures.compare_svg(now, doubled)
    assert any("height" in line and "2023" in line for line in differences), differences  # the geometry


def test_comparison_sees_a_changed_result() -> None:
    need_vl_convert()
    result = query("list-production")
    values = result.values()
    altered = copy.deepcopy(values)
    altered[0]["unitsProduced"] = 10
    before = chart_svg(result.variables, values)
    after = chart_svg(result.variables, altered)
    differences = pictures.compare_svg(before, after)
    assert differences
    assert any("height" in line for line in differences), differences


def chart_svg(variables: tuple[str, ...], values: list[dict[str, object]]) -> str:
    spec = charts.chart_spec(variables, values, title="Production")
    assert spec is not None
    return charts.to_svg(spec)


def test_comparison_ignores_glyph_widths(rendered: dict[str, str]) -> None:
    """Another font moves text about and resizes the canvas, not the data: no difference."""
    svg = rendered["timeline.svg"]
    other = re.sub(r'font-family="[^"]*"', 'font-family="serif"', svg)
    other = re.sub(r'(<svg[^>]*\bwidth=")(\d+)', lambda m: m[1] + str(int(m[2]) + 40), other, count=1)
    assert pictures.compare_svg(svg, other) == []


def test_comparison_of_class_diagrams_sees_a_missing_class() -> None:
    svg = diagram.class_diagram_svg()
    fewer = re.sub(r"<a href=\"[^\"]*#Powertrain\">.*?</a>", "", svg, count=1, flags=re.S)
    differences = pictures.compare_svg(svg, fewer)
    assert any("akg:Powertrain" in line for line in differences), differences


# --- what the pictures show ---------------------------------------------------------------------------------


def bar_heights(svg: str) -> dict[str, float]:
    """The height of each bar (Vega's ``M x,y h w v h h -w Z`` paths) by the year of its aria-label."""
    heights: dict[str, float] = {}
    root = ElementTree.fromstring(svg)
    for element in root.iter(f"{SVG}path"):
        if element.get("aria-roledescription") != "bar":
            continue
        match = re.fullmatch(r"M[-\d.e]+,[-\d.e]+h[-\d.e]+v([-\d.e]+)h[-\d.e]+Z", element.get("d", ""))
        assert match, element.get("d")
        year = re.search(r"Year: (\d{4})", element.get("aria-label", ""))
        assert year, element.get("aria-label")
        heights[year[1]] = float(match[1])
    return heights


def test_production_bars_are_proportional_to_the_figures(rendered: dict[str, str]) -> None:
    figures = {
        str(row["year"]): int(str(row["units"]))
        for row in query(
            """SELECT ?year ?units WHERE {
                 ?figure akg:productionFigureOf plant:ampere-douai ;
                         akg:productionYear ?year ; akg:unitsProduced ?units }"""
        ).values()
    }
    assert figures, "no production figures in the graph"
    for name, svg in (
        ("committed", (DOCS / "production.svg").read_text(encoding="utf-8")),
        ("now", rendered["production.svg"]),
    ):
        heights = bar_heights(svg)
        assert sorted(heights) == sorted(figures), name
        per_unit = {year: heights[year] / figures[year] for year in figures}
        low, high = min(per_unit.values()), max(per_unit.values())
        assert high - low <= high * 0.002, f"{name}: bar heights not proportional to the figures: {per_unit}"
        texts = pictures.summarize_svg(svg).texts
        for units in figures.values():
            assert f"{units:,}" in texts, f"{name}: the label {units:,} is missing"


def test_timeline_has_every_event(rendered: dict[str, str]) -> None:
    events = query(
        """SELECT ?event ?label ?date WHERE {
             ?event a/rdfs:subClassOf+ akg:Event ; rdfs:label ?label FILTER (LANG(?label) = "en")
             OPTIONAL { ?event akg:takesPlaceOn ?date } }"""
    ).values()
    assert len(events) >= 6
    labels = {str(e["label"]) for e in events}
    days = sum(
        1 for e in events if e["date"] is not None and re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(e["date"]))
    )
    spec = charts.timeline_chart()
    assert {row["label"] for row in spec["data"]["values"]} == labels
    for name, svg in (
        ("committed", (DOCS / "timeline.svg").read_text(encoding="utf-8")),
        ("now", rendered["timeline.svg"]),
    ):
        summary = pictures.summarize_svg(svg)
        missing = labels - set(summary.texts)
        assert not missing, f"{name}: events not on the timeline: {sorted(missing)}"
        points = [m for g, ms in summary.groups.items() if g.startswith("mark-symbol") for m in ms]
        bars = [m for g, ms in summary.groups.items() if g.startswith("mark-rect") for m in ms]
        assert len(points) == days, f"{name}: a point for each event dated to a day"
        assert len(points) + len(bars) == len(labels), f"{name}: one mark an event"


def test_timeline_draws_periods_as_given() -> None:
    """A month spans that month; "late 2025" (a year and a qualifier) spans the year; no day is made up."""
    rows = {row["event"].rsplit("/", 1)[-1]: row for row in charts.timeline_chart()["data"]["values"]}
    month = rows["nissan-micra-unveiling-2025-05"]
    assert (month["precision"], month["start"], month["end"]) == ("month", "2025-05-01", "2025-06-01")
    late = rows["nissan-micra-commercial-launch"]
    assert (late["precision"], late["start"], late["end"]) == ("year", "2025-01-01", "2026-01-01")
    assert late["date"].startswith("late 2025")
    day = rows["alliance-operating-board-meeting-2025-09-16"]
    assert (day["precision"], day["start"], day["end"]) == ("day", "2025-09-16", "2025-09-16")


def ontology_classes() -> set[str]:
    store = ox.Store()
    store.load(path=str(paths.ontology_file()), format=ox.RdfFormat.TURTLE)
    return {
        row["class"].value
        for row in store.query("SELECT ?class WHERE { ?class a <http://www.w3.org/2002/07/owl#Class> }")
        if isinstance(row["class"], ox.NamedNode) and row["class"].value.startswith(AKG)
    }


def test_class_diagram_has_every_class() -> None:
    classes = ontology_classes()
    assert AKG + "VehicleModel" in classes
    for svg in ((DOCS / "class-diagram.svg").read_text(encoding="utf-8"), diagram.class_diagram_svg()):
        summary = pictures.summarize_svg(svg)
        boxes = {m.name for m in summary.groups["mark-node role-mark"]}
        assert "akg:VehicleModel" in boxes and "VehicleModel" in summary.texts
        missing = {iri for iri in classes if "akg:" + iri[len(AKG) :] not in boxes}
        assert not missing, f"classes missing from the class diagram: {sorted(missing)}"
    root = ElementTree.fromstring(diagram.class_diagram_svg())
    outside = {g.get("aria-label") for g in root.iter(f"{SVG}g") if g.get("class") == "external"}
    assert {"schema:Car", "org:Organization", "prov:Agent"} <= outside  # the alignment, drawn distinctly
    assert not any(str(label).startswith("akg:") for label in outside)


def test_class_diagram_elements_for_cytoscape() -> None:
    elements = diagram.class_diagram_elements()
    nodes = {e["data"]["id"]: e for e in elements if e["group"] == "nodes"}
    edges = [e for e in elements if e["group"] == "edges"]
    assert {"akg:" + iri[len(AKG) :] for iri in ontology_classes()} <= set(nodes)
    assert nodes["akg:VehicleModel"]["data"]["href"] == AKG + "VehicleModel"
    assert nodes["schema:Car"]["data"]["kind"] == "external"
    for edge in edges:
        assert edge["data"]["source"] in nodes and edge["data"]["target"] in nodes
        assert edge["data"]["kind"] in {"subClassOf", "objectProperty"}
    assert {(e["data"]["source"], e["data"]["target"], e["data"]["label"]) for e in edges} >= {
        ("akg:VehicleModel", "schema:Car", "subClassOf"),
        ("akg:VehicleModel", "akg:Brand", "hasBrand ↔ brandOfModel"),
        ("akg:VehicleModel", "akg:Platform", "builtOnPlatform ↔ underpins"),
    }
    assert len({e["data"]["id"] for e in edges}) == len(edges)
    assert elements == diagram.class_diagram_elements()  # deterministic


def test_class_diagram_is_deterministic_and_escaped() -> None:
    svg = diagram.class_diagram_svg()
    assert svg == diagram.class_diagram_svg()
    ElementTree.fromstring(svg)


# --- chart_spec ---------------------------------------------------------------------------------------------


def test_chart_spec_without_a_number_is_none() -> None:
    assert charts.chart_spec(("model", "label"), [{"model": AKG + "x", "label": "Micra"}], title="t") is None
    events = query("list-events")
    assert charts.chart_spec(events.variables, events.values(), title="Events") is None
    assert charts.chart_spec(("year", "units"), [], title="empty") is None
    # a number, but several rows a year: no bar chart fits
    assert (
        charts.chart_spec(
            ("year", "units"), [{"year": 2024, "units": 1}, {"year": 2024, "units": 2}], title="t"
        )
        is None
    )


def test_chart_spec_picks_years_or_categories() -> None:
    production = query("list-production")
    spec = charts.chart_spec(production.variables, production.values(), title="Production")
    assert spec is not None
    assert spec["data"]["values"] == [
        {"x": str(v["year"]), "y": v["unitsProduced"]}
        for v in sorted(production.values(), key=lambda v: str(v["year"]))
    ]
    assert spec["encoding"]["x"]["type"] == "ordinal" and spec["encoding"]["y"]["type"] == "quantitative"
    brands = query("list-brands")
    spec = charts.chart_spec(brands.variables, brands.values(), title="Models per brand")
    assert spec is not None
    assert spec["encoding"]["y"]["title"] == "Brand name"  # the first text column, not an IRI
    assert {row["x"]: row["y"] for row in spec["data"]["values"]} == {
        str(v["brandName"]): v["models"] for v in brands.values()
    }


def test_specs_pin_the_vega_lite_version() -> None:
    assert charts.VEGA_LITE_VERSION == "6.4"
    assert charts.production_chart()["$schema"] == charts.SCHEMA
    # the pages draw with the Vega-Lite vendored from npm: the same minor version as vl-convert's
    import json

    lock = json.loads((Path(charts.__file__).parent / "server/static/vendor/assets.json").read_text("utf-8"))
    (vendored,) = [p["version"] for p in lock["packages"] if p["name"] == "vega-lite"]
    assert vendored.startswith(charts.VEGA_LITE_VERSION + ".")


def test_to_svg_without_vl_convert_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "vl_convert", None)  # import vl_convert raises ImportError
    with pytest.raises(MissingDependency, match="vl-convert-python"):
        charts.to_svg({"mark": "bar"})


# --- the command line: `query … --format svg` and `pictures DIR` --------------------------------------------


def test_query_format_svg_charts_the_result(capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    need_vl_convert()
    from conftest import run

    code, out, err = run(capsysbinary, "query", "list-production", "--format", "SVG")
    assert code == 0, err
    figures = {str(v["year"]): int(str(v["unitsProduced"])) for v in query("list-production").values()}
    heights = bar_heights(out)
    assert sorted(heights) == sorted(figures)
    ratios = {year: heights[year] / figures[year] for year in figures}
    assert max(ratios.values()) - min(ratios.values()) <= max(ratios.values()) * 0.002, ratios
    assert "Ampere Douai production" in out or query("list-production").title in out  # the query's title


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["query", "list-events", "--format", "svg"], "no chart fits this result"),
        (
            ["query", "build-org-chart", "--format", "svg"],
            "draws a chart of a SELECT result, not of CONSTRUCT",
        ),
    ],
)
def test_query_format_svg_refuses_what_it_cannot_chart(
    capsysbinary: pytest.CaptureFixture[bytes], argv: list[str], message: str
) -> None:
    from conftest import run

    code, out, err = run(capsysbinary, *argv)
    assert (code, out) == (2, "")
    assert message in err


def test_pictures_command_writes_the_committed_pictures(
    capsysbinary: pytest.CaptureFixture[bytes], tmp_path: Path
) -> None:
    need_vl_convert()
    from conftest import run

    code, _, err = run(capsysbinary, "pictures", str(tmp_path / "out"))
    assert code == 0, err
    for name in pictures.NAMES:
        made = (tmp_path / "out" / name).read_text(encoding="utf-8")
        differences = pictures.compare_svg((DOCS / name).read_text(encoding="utf-8"), made)
        assert not differences, diff_message(name, differences)
        assert f"wrote {tmp_path / 'out' / name}" in err
