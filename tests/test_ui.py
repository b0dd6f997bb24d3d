"""The pages as a person uses them: Debian's headless Chromium, driven by Selenium through the system's
chromedriver, against a real `alliance-kg serve` on a free 127.0.0.1 port.

The query page (YASGUI): a competency question picked from the list and run shows the rows the CLI gives;
the permalink the address bar then holds, opened in a fresh browser, shows the same rows; the CSV, TSV and
JSON downloads are the CLI's bytes (JSON: its data); the "Chart" view draws the production bars, their
heights in the ratio of the graph's figures; a syntax error is shown whole. The Nissan Micra's page draws its
graph with the platform, the plant and the brand's company as nodes; the ontology's page draws its class
diagram. On every page: no error in the console, no request to another host (data: and blob: aside), and
nothing wider than the window, at 1,280 and at 375 px (a phone). Each step leaves a screenshot (the whole
page) in $ARTIFACTS_DIR/ui/, or test-artifacts/ui/ (git-ignored) without it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from conftest import ROOT
from test_browser import (
    RESULT_ROWS,
    TAB,
    chromium,
    drain,
    foreign_requests,
    open_query_page,
    problems,
    result_rows,
    run_query,
    screenshot,
    set_width,
)
from test_server import Running, start_server

import alliance_kg
from alliance_kg import catalogue

ARTIFACTS = Path(os.environ.get("ARTIFACTS_DIR") or ROOT / "test-artifacts") / "ui"
WIDTHS = (1280, 375)
QUESTION = "list-production"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    with start_server(tmp_path_factory.mktemp("ui"), "--workers", "1", "--quiet") as running:
        yield running


@pytest.fixture(scope="module")
def downloads(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("downloads")


@pytest.fixture(scope="module")
def browser(downloads: Path) -> Iterator[object]:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with chromium(downloads) as driver:
        yield driver


def cli(*argv: str) -> bytes:
    """`alliance-kg ARGV`'s standard output."""
    done = subprocess.run(
        [sys.executable, "-m", "alliance_kg", *argv], capture_output=True, check=True, cwd=ROOT, timeout=120
    )
    return done.stdout


def page_is_clean(
    driver, server: Running, name: str, *, allowed: tuple[str, ...] = (), whole: bool = True
) -> None:
    """Screenshot the page (`whole`, or the window's part of it) as `name`; then: nothing wider than the
    window, no console error (but `allowed`), no request to another host since the last check."""
    width = driver.execute_script("return window.innerWidth")
    if whole:
        screenshot(driver, ARTIFACTS / f"{name}-{width}.png")
    else:
        driver.save_screenshot(str(ARTIFACTS / f"{name}-{width}.png"))
    scroll = driver.execute_script("return document.documentElement.scrollWidth")
    assert scroll <= width, f"{name}: the page is {scroll} px wide in a {width} px window"
    assert problems(driver, allowed=allowed) == [], name
    assert foreign_requests(driver, server.base) == [], name


def within_window(driver, selector: str) -> None:
    """The element is shown, and lies within the window's width."""
    box = driver.execute_script(
        "const e = document.querySelector(arguments[0]); if (!e) return null;"
        "const r = e.getBoundingClientRect(); return [r.left, r.right, r.width, r.height, innerWidth]",
        selector,
    )
    assert box is not None, f"no {selector}"
    left, right, width, height, window = box
    assert width > 0 and height > 0, f"{selector} is not shown"
    assert left >= -1 and right <= window + 1, f"{selector} spans {left}–{right} in a {window} px window"


def wait_labels(driver) -> None:
    """Until the look-up of the result's labels is done (no IRI of the table is waiting for one)."""
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, 10).until(
        lambda d: d.execute_script(
            "return !document.querySelector(arguments[0] + ' a.akg-unlabelled[href*=\"/id/\"]')", RESULT_ROWS
        )
    )


def production_text(server: Running) -> str:
    """The question's query as the query page offers it (its parameters' defaults written in)."""
    page = httpx.get(server.base, headers={"Accept": "text/html"}, timeout=30).text
    start = page.index('<script type="application/json" id="akg-data">')
    data = json.loads(page[page.index(">", start) + 1 : page.index("</script>", start)])
    return next(q["text"] for q in data["queries"] if q["name"] == QUESTION)


def expected_rows() -> list[list[str]]:
    """The CLI's answer to the question, as the table shows it: IRIs, and literals as their text."""
    result = alliance_kg.query(QUESTION)
    return [[str(row[v]) for v in result.variables] for row in result.values()]


@pytest.fixture(scope="module")
def production(browser, server: Running) -> str:
    """The query page, the production question picked from the list and run (1,280 px): the permalink."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait

    set_width(browser, 1280)
    drain(browser)
    open_query_page(browser, server.base)
    WebDriverWait(browser, 15).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#akg-timeline svg"))
    within_window(browser, f"{TAB} .CodeMirror")
    page_is_clean(browser, server, "01-query-page")
    Select(browser.find_element(By.ID, "akg-catalogue")).select_by_value(QUESTION)
    entry = next(q for q in catalogue.catalogue() if q.name == QUESTION)
    assert browser.find_element(By.ID, "akg-question").text == entry.question
    assert (
        browser.find_element(By.CSS_SELECTOR, ".yasgui .tabsList .tab.active").text.splitlines()[0]
        == entry.title
    )
    page_is_clean(browser, server, "02-question-picked")
    run_query(browser)
    wait_labels(browser)
    page_is_clean(browser, server, "03-results-table")
    return browser.current_url


def test_the_table_shows_the_rows_of_the_cli(production: str, browser, server: Running) -> None:
    from selenium.webdriver.common.by import By

    headers = [th.text for th in browser.find_elements(By.CSS_SELECTOR, f"{TAB} table.dataTable thead th")]
    assert headers[1:] == list(alliance_kg.query(QUESTION).variables)
    assert result_rows(browser) == expected_rows()
    # the plant's IRI: a link to its page here, labelled by the graph's label (one look-up query)
    plant = browser.find_element(By.CSS_SELECTOR, f"{RESULT_ROWS} td:nth-child(2) a")
    assert plant.get_attribute("href") == server.base + "id/plant/ampere-douai"
    assert plant.text == "Ampere Douai"
    assert "2 results" in browser.find_element(By.CSS_SELECTOR, f"{TAB} .yasr_response_chip").text


def test_the_permalink_shows_the_same_results_in_a_fresh_browser(production: str, server: Running) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    assert production.startswith(server.base + "?query=")
    asked = parse_qs(urlsplit(production).query)
    assert list(asked) == ["query"]  # not run on the closure: no &reasoned=1
    assert asked["query"][0] == production_text(server)
    with chromium() as fresh:
        fresh.get(production)
        WebDriverWait(fresh, 20).until(lambda d: d.execute_script("return Boolean(window.akgYasgui)"))
        WebDriverWait(fresh, 20).until(lambda d: len(result_rows(d)) == 2)
        wait_labels(fresh)
        assert result_rows(fresh) == expected_rows()
        assert fresh.current_url == production
        page_is_clean(fresh, server, "04-permalink-in-a-fresh-browser")


def _downloaded(folder: Path, name: str) -> bytes:
    path = folder / name
    deadline = time.monotonic() + 20
    while not path.exists() or any(folder.glob("*.crdownload")):
        assert time.monotonic() < deadline, f"no {name} in {sorted(p.name for p in folder.iterdir())}"
        time.sleep(0.1)
    return path.read_bytes()


def test_the_downloads_are_what_the_cli_writes(
    production: str, browser, server: Running, downloads: Path
) -> None:
    from selenium.webdriver.common.by import By

    for extension in ("csv", "tsv", "json"):
        browser.find_element(By.CSS_SELECTOR, f"{TAB} .akg-downloads button[data-format={extension}]").click()
        got = _downloaded(downloads, f"yearly-production-of-a-plant.{extension}")
        want = cli("query", QUESTION, "--format", extension)
        if extension == "json":
            assert json.loads(got) == json.loads(want)
        else:
            assert got == want, extension
    page_is_clean(browser, server, "05-downloaded")


def test_the_chart_shows_the_production_bars(production: str, browser, server: Running) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.find_element(By.CSS_SELECTOR, f"{TAB} .yasr_btn.select_chart").click()
    bars_selector = f"{TAB} .akg-result-chart svg .mark-rect path"
    WebDriverWait(browser, 20).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, bars_selector)) == 2)
    bars = browser.execute_script(
        "return Array.from(document.querySelectorAll(arguments[0])).map(p => {"
        "const b = p.getBBox(); return [b.x, b.height]; })",
        bars_selector,
    )
    heights = [height for _, height in sorted(bars)]  # left to right: the years in order
    figures = [
        row["unitsProduced"] for row in sorted(alliance_kg.query(QUESTION).values(), key=lambda r: r["year"])
    ]
    assert len(figures) == 2 and all(h > 0 for h in heights)
    assert heights[0] / heights[1] == pytest.approx(figures[0] / figures[1], rel=0.01)
    labels = browser.find_element(By.CSS_SELECTOR, f"{TAB} .akg-result-chart svg").text
    assert f"{figures[0]:,}" in labels and f"{figures[1]:,}" in labels  # each bar says its figure
    assert browser.find_elements(By.CSS_SELECTOR, ".vega-actions, a[href*='vega.github.io']") == []
    page_is_clean(browser, server, "06-chart")


def test_a_syntax_error_is_shown_whole(browser, server: Running) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    set_width(browser, 1280)
    drain(browser)
    query = "SELECT ?s WHERE { ?s ?p }"
    refusal = httpx.post(
        server.endpoint, data={"query": query}, headers={"Accept": "application/sparql-results+json"}
    )
    assert refusal.status_code == 400
    open_query_page(browser, server.base, query)
    run_query(browser)
    shown = browser.find_element(By.CSS_SELECTOR, f"{TAB} .akg-error pre.error")
    assert shown.get_attribute("textContent") == refusal.text  # every line: the message, the query, the caret
    within_window(browser, f"{TAB} .akg-error")
    # the editor marks the line too; its tooltip lists what was expected (without the inline styles the CSP
    # would refuse, one console error each)
    icon = browser.find_element(By.CSS_SELECTOR, f"{TAB} .parseErrorIcon")
    ActionChains(browser).move_to_element(icon).perform()
    tooltip = browser.find_element(By.CSS_SELECTOR, f"{TAB} .yasqe_tooltip")
    assert "Expected" in tooltip.text and tooltip.find_elements(By.TAG_NAME, "strong")
    page_is_clean(browser, server, "07-syntax-error", allowed=("400 (Bad Request)",))


def test_the_query_page_on_a_phone(browser, server: Running) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait

    set_width(browser, 375, 812)
    try:
        drain(browser)
        open_query_page(browser, server.base)
        WebDriverWait(browser, 15).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#akg-timeline svg"))
        Select(browser.find_element(By.ID, "akg-catalogue")).select_by_value(QUESTION)
        run_query(browser)
        wait_labels(browser)
        assert result_rows(browser) == expected_rows()
        for part in (f"{TAB} .CodeMirror", f"{TAB} .yasr", f"{TAB} .yasr_results", "#akg-catalogue"):
            within_window(browser, part)
        page_is_clean(browser, server, "08-phone-results-table")
        browser.find_element(By.CSS_SELECTOR, f"{TAB} .yasr_btn.select_chart").click()
        chart = f"{TAB} .akg-result-chart svg"
        WebDriverWait(browser, 20).until(lambda d: d.find_elements(By.CSS_SELECTOR, chart))
        within_window(browser, chart)  # narrowed to the screen
        page_is_clean(browser, server, "09-phone-chart")
    finally:
        set_width(browser, 1280)


def _graph(driver, canvas: str) -> dict:
    """The drawing in #canvas: its nodes (label, kind, whether drawn within the canvas) and edges."""
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, 15).until(
        lambda d: d.execute_script(
            "const e = document.getElementById(arguments[0]); return Boolean(e && e._cy)", canvas
        )
    )
    return driver.execute_script(
        """const element = document.getElementById(arguments[0]), cy = element._cy;
        const w = element.clientWidth, h = element.clientHeight;
        return {
          width: w, height: h,
          nodes: cy.nodes().map(n => { const b = n.renderedBoundingBox();
            return {label: n.data("label"), kind: n.data("kind"), href: n.data("href") || null,
                    inside: b.x1 >= -1 && b.y1 >= -1 && b.x2 <= w + 1 && b.y2 <= h + 1}; }),
          edges: cy.edges().map(e => ({label: e.data("label"), kind: e.data("kind") || null})),
        };""",
        canvas,
    )


@pytest.mark.parametrize("width", WIDTHS)
def test_the_graph_of_a_vehicle_page(browser, server: Running, width: int) -> None:
    set_width(browser, width)
    try:
        drain(browser)
        browser.get(server.base + "id/vehicle/nissan-micra")
        graph = _graph(browser, "akg-graph")
        labels = {n["label"] for n in graph["nodes"]}
        assert {"AmpR Small", "Ampere Douai", "Nissan"} <= labels, labels
        assert [n["label"] for n in graph["nodes"] if n["kind"] == "focus"] == ["Nissan Micra"]
        assert all(n["inside"] for n in graph["nodes"]), "a node drawn outside its box"
        assert {"built on platform", "produced at"} <= {e["label"] for e in graph["edges"]}
        browser.execute_script("document.getElementById('akg-graph').scrollIntoView({block: 'center'})")
        within_window(browser, "#akg-graph")
        page_is_clean(browser, server, "10-vehicle-graph", whole=False)
    finally:
        set_width(browser, 1280)


def test_a_node_of_the_graph_opens_its_page(browser, server: Running) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(server.base + "doc/vehicle/nissan-micra.html")
    _graph(browser, "akg-graph")
    canvas = browser.find_element(By.ID, "akg-graph")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", canvas)
    x, y, w, h = browser.execute_script(
        "const e = arguments[0], n = e._cy.nodes().filter(n => n.data('label') === 'AmpR Small')[0];"
        "const p = n.renderedPosition(); return [p.x, p.y, e.clientWidth, e.clientHeight]",
        canvas,
    )
    ActionChains(browser).move_to_element_with_offset(
        canvas, int(x - w / 2), int(y - h / 2)
    ).click().perform()
    WebDriverWait(browser, 10).until(lambda d: d.current_url.endswith("/doc/platform/ampr-small.html"))
    assert problems(browser) == []


@pytest.mark.parametrize("width", WIDTHS)
def test_the_class_diagram_of_the_ontology(browser, server: Running, width: int) -> None:
    set_width(browser, width)
    try:
        drain(browser)
        browser.get(server.base + "ontology")
        graph = _graph(browser, "akg-class-diagram")
        classes = {n["label"] for n in graph["nodes"] if n["kind"] == "class"}
        assert {"VehicleModel", "Plant", "Platform"} <= classes, classes
        assert any(n["kind"] == "external" and n["label"].startswith("schema:") for n in graph["nodes"])
        assert {"subClassOf", "objectProperty"} <= {e["kind"] for e in graph["edges"]}
        assert all(n["inside"] for n in graph["nodes"])
        browser.execute_script(
            "document.getElementById('akg-class-diagram').scrollIntoView({block: 'center'})"
        )
        within_window(browser, "#akg-class-diagram")
        page_is_clean(browser, server, "11-class-diagram", whole=False)
    finally:
        set_width(browser, 1280)


def test_the_editor_completes_our_prefixes_and_asks_no_one_else(browser, server: Running) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    set_width(browser, 1280)
    drain(browser)
    open_query_page(browser, server.base, "")
    config = browser.execute_script(
        "const c = window.akgYasgui.getTab().getYasqe().config; return [c.autocompleters, c.prefixCcApi]"
    )
    assert config == [["prefixes", "variables"], ""]  # no LOV classes or properties, no prefix.cc
    editor = browser.find_element(By.CSS_SELECTOR, f"{TAB} .CodeMirror textarea")
    editor.send_keys("PREFIX vehic")
    hints = f"{TAB} .CodeMirror-hints li, .yasgui .CodeMirror-hints li"
    WebDriverWait(browser, 10).until(lambda d: d.find_elements(By.CSS_SELECTOR, hints))
    offered = [li.text for li in browser.find_elements(By.CSS_SELECTOR, hints)]
    assert offered == ["vehicle: <https://w3id.org/alliance-kg/id/vehicle/>"], offered
    page_is_clean(browser, server, "12-prefix-completion", whole=False)


def test_the_closure_toggle_and_its_permalink(browser, server: Running) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    set_width(browser, 1280)
    drain(browser)
    query = "SELECT ?car WHERE { ?car a schema:Car } ORDER BY ?car"
    open_query_page(browser, server.base, query)
    toggle = browser.find_element(By.ID, "akg-reasoned")
    assert not toggle.is_selected()
    toggle.click()
    assert (
        browser.execute_script("return window.akgYasgui.getTab().getEndpoint()")
        == server.endpoint + "/reasoned"
    )
    run_query(browser)
    cars = alliance_kg.query(query, reasoned=True).values()
    assert len(cars) == 6 and result_rows(browser) == [[row["car"]] for row in cars]
    asked = parse_qs(urlsplit(browser.current_url).query)
    assert asked == {"query": [query], "reasoned": ["1"]}
    page_is_clean(browser, server, "13-closure")
    with chromium() as fresh:
        fresh.get(browser.current_url)
        WebDriverWait(fresh, 20).until(lambda d: len(result_rows(d)) == 6)
        assert fresh.find_element(By.ID, "akg-reasoned").is_selected()
        assert result_rows(fresh) == result_rows(browser)
