"""What a person sees: the system's headless Chromium (Debian's `chromium` and `chromedriver`, never a
downloaded browser or driver), driven by Selenium, against a real `alliance-kg serve` process. It follows a
vehicle's IRI to its page and reads the platform, the plant, the brand and the sources there; it runs a query
on the query page and reads the results table. Screenshots go to test-artifacts/browser/ (git-ignored)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import ROOT, require_program
from test_server import Running, start_server

ARTIFACTS = ROOT / "test-artifacts" / "browser"
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    with start_server(tmp_path_factory.mktemp("browser"), "--workers", "1", "--quiet") as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    require_program("chromium", "the browser tests drive Debian's headless Chromium")
    require_program("chromedriver", "Selenium drives Chromium through Debian's chromium-driver")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.TemporaryDirectory(prefix="akg-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM if Path(CHROMIUM).exists() else require_program("chromium", "")
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1280,1800",
        f"--user-data-dir={profile.name}",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver_path = CHROMEDRIVER if Path(CHROMEDRIVER).exists() else require_program("chromedriver", "")
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    driver.set_page_load_timeout(30)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    try:
        yield driver
    finally:
        driver.quit()
        profile.cleanup()


def _row(driver, prop: str):
    from selenium.webdriver.common.by import By

    rows = driver.find_elements(By.CSS_SELECTOR, f'#facts tr[data-property="{prop}"]')
    assert rows, f"no row for {prop}"
    return rows


def _problems(driver) -> list[str]:
    """What the browser's console reports as errors (a script blocked by the CSP, a failed request…)."""
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def test_a_vehicle_page_shows_platform_plant_brand_and_sources(browser, server: Running) -> None:
    from selenium.webdriver.common.by import By

    browser.get(server.base + "id/vehicle/nissan-micra")  # the IRI: 303 to its page
    assert browser.current_url == server.base + "doc/vehicle/nissan-micra.html"
    browser.save_screenshot(str(ARTIFACTS / "nissan-micra.png"))
    assert browser.find_element(By.TAG_NAME, "h1").text == "Nissan Micra"
    assert "vehicle model" in browser.find_element(By.CSS_SELECTOR, ".kind").text.lower()
    platform = _row(browser, "akg:builtOnPlatform")[0]
    assert platform.is_displayed()
    cells = platform.find_elements(By.TAG_NAME, "td")
    assert cells[0].text == "AmpR Small"
    assert "press release ¶4" in cells[1].text
    plant = _row(browser, "akg:producedAt")[0].find_elements(By.TAG_NAME, "td")
    assert plant[0].text == "Ampere Douai" and "press release ¶4" in plant[1].text
    brand = _row(browser, "akg:hasBrand")[0].find_elements(By.TAG_NAME, "td")
    assert brand[0].text.startswith("Nissan") and "press release ¶13" in brand[1].text
    sources = browser.find_element(By.ID, "sources")
    assert sources.is_displayed() and "Ampere has developed" in sources.text  # the paragraph itself
    incoming = browser.find_element(By.ID, "incoming").text
    assert "Commercial launch of the Nissan Micra" in incoming
    # the RDF forms are offered, and a person can follow a link to the platform's page
    assert browser.find_element(By.LINK_TEXT, "Turtle").get_attribute("href").endswith("nissan-micra.ttl")
    cells[0].find_element(By.TAG_NAME, "a").click()
    assert browser.current_url == server.base + "doc/platform/ampr-small.html"
    assert browser.find_element(By.TAG_NAME, "h1").text == "AmpR Small"
    assert _problems(browser) == []


def test_a_vehicle_page_in_french(browser, server: Running) -> None:
    from selenium.webdriver.common.by import By

    browser.get(server.base + "doc/vehicle/nissan-micra.html?lang=fr")
    browser.save_screenshot(str(ARTIFACTS / "nissan-micra-fr.png"))
    platform = _row(browser, "akg:builtOnPlatform")[0]
    assert platform.find_element(By.TAG_NAME, "th").text == "construit sur la plateforme"
    assert "modèle de véhicule" in browser.find_element(By.CSS_SELECTOR, ".kind").text.lower()


def test_the_query_page_runs_a_query_and_shows_a_table(browser, server: Running) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait

    browser.get(server.base)
    Select(browser.find_element(By.ID, "catalogue")).select_by_value("list-models")
    editor = browser.find_element(By.ID, "query")
    assert "akg:producedAt" in editor.get_attribute("value")
    assert "VALUES (?plant)" in editor.get_attribute(
        "value"
    )  # the default, in the text, for a person to change
    browser.find_element(By.ID, "run").click()
    WebDriverWait(browser, 15).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#results-table tbody tr"))
    browser.save_screenshot(str(ARTIFACTS / "query-list-models.png"))
    table = browser.find_element(By.ID, "results-table")
    assert table.is_displayed()
    headers = [th.text for th in table.find_elements(By.CSS_SELECTOR, "thead th")]
    assert headers[:3] == ["?plant", "?model", "?modelLabel"]
    rows = table.find_elements(By.CSS_SELECTOR, "tbody tr")
    assert len(rows) == 6
    labels = [row.find_elements(By.TAG_NAME, "td")[2].text for row in rows]
    assert any(label.startswith("Nissan Micra") for label in labels)
    assert "6 results" in browser.find_element(By.ID, "status").text
    # a result's IRI links to the resource's page on this server
    link = rows[0].find_elements(By.TAG_NAME, "td")[1].find_element(By.TAG_NAME, "a")
    assert link.get_attribute("href").startswith(server.base + "id/vehicle/")
    assert _problems(browser) == []


def test_the_query_page_shows_a_refusal(browser, server: Running) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(server.base + "sparql")
    editor = browser.find_element(By.ID, "query")
    editor.clear()
    editor.send_keys("SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }")
    browser.find_element(By.ID, "run").click()
    WebDriverWait(browser, 15).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#results pre.error"))
    browser.save_screenshot(str(ARTIFACTS / "query-refused.png"))
    assert "refused" in browser.find_element(By.CSS_SELECTOR, "#results pre.error").text
    assert "403" in browser.find_element(By.ID, "status").text


def test_the_ontology_page(browser, server: Running) -> None:
    from selenium.webdriver.common.by import By

    browser.get(server.base + "ontology#builtOnPlatform")  # a term's hash IRI: 303, the fragment kept
    assert browser.current_url.startswith(server.base + "ontology.html")
    section = browser.find_element(By.ID, "builtOnPlatform")
    assert "built on platform" in section.text and "vehicle model" in section.text
    browser.save_screenshot(str(ARTIFACTS / "ontology.png"))


def test_the_query_page_links_only_http_iris(browser, server: Running) -> None:
    """A javascript: (or data:) IRI in a result stays text: clicking it must not run anything."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(server.base)
    editor = browser.find_element(By.ID, "query")
    editor.clear()
    editor.send_keys(
        "SELECT ?x WHERE { VALUES ?x { <javascript:alert(1)> <JAVASCRIPT:alert(2)> <data:text/html,x> "
        "<https://w3id.org/alliance-kg/id/plant/ampere-douai> } }"
    )
    browser.find_element(By.ID, "run").click()
    WebDriverWait(browser, 15).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#results-table tbody tr"))
    cells = browser.find_elements(By.CSS_SELECTOR, "#results-table tbody td")
    assert len(cells) == 4
    hrefs = [a.get_attribute("href") for a in browser.find_elements(By.CSS_SELECTOR, "#results-table a")]
    assert hrefs == [server.base + "id/plant/ampere-douai"], hrefs
    assert "javascript:alert(1)" in cells[0].text or "alert(1)" in cells[0].text


def test_a_query_link_to_the_endpoint_opens_the_query_page_and_runs(browser, server: Running) -> None:
    """Chromium opening /sparql?query=… (its Accept prefers HTML) lands on the query page, which runs it;
    on /sparql/reasoned the closure answers (schema:Car has instances only there)."""
    from urllib.parse import quote

    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    query = "SELECT ?car WHERE { ?car a schema:Car } ORDER BY ?car"
    _problems(browser)  # drain what earlier tests left in the console log (a refusal's 403 among them)
    for path, rows in (("sparql", 0), ("sparql/reasoned", 6)):
        browser.get(f"{server.base}{path}?query={quote(query)}")
        WebDriverWait(browser, 15).until(lambda d: "result" in d.find_element(By.ID, "status").text)
        assert browser.current_url.startswith(server.base + "?query=")
        assert browser.find_element(By.ID, "query").get_attribute("value") == query
        assert browser.find_element(By.ID, "reasoned").is_selected() == (rows > 0)
        found = browser.find_elements(By.CSS_SELECTOR, "#results-table tbody tr")
        assert len(found) == rows, path
        assert f"{rows} result" in browser.find_element(By.ID, "status").text
    assert _problems(browser) == []
