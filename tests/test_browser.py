"""What a person sees: the system's headless Chromium (Debian's `chromium` and `chromedriver`, never a
downloaded browser or driver), driven by Selenium, against a real `alliance-kg serve` process. It follows a
vehicle's IRI to its page and reads the platform, the plant, the brand and the sources there; it runs queries
on the query page (YASGUI) and reads the results table, a refusal, and the links a result's IRIs become.
Screenshots go to test-artifacts/browser/ (git-ignored). The helpers here (a Chromium with console and network
logs, a download folder and a phone's width; the YASGUI result table) serve tests/test_ui.py too."""

from __future__ import annotations

import contextlib
import json
import tempfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import ROOT, require_program
from test_server import Running, start_server

ARTIFACTS = ROOT / "test-artifacts" / "browser"
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
#: The active YASGUI tab's parts.
TAB = ".yasgui .tabPanel.active"
RESULT_ROWS = f"{TAB} .yasr_results table.dataTable tbody tr"
QUERY_BUTTON = f"{TAB} .yasqe_queryButton"


@contextlib.contextmanager
def chromium(downloads: Path | None = None, *, height: int = 1800) -> Iterator[object]:
    """A headless Chromium of its own (a fresh profile, so no YASGUI tabs kept from before) that logs the
    console and the network (`problems`, `foreign_requests`), and saves downloads in `downloads`."""
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
        "--no-default-browser-check",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        f"--window-size=1280,{height}",
        f"--user-data-dir={profile.name}",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    options.add_experimental_option("perfLoggingPrefs", {"enableNetwork": True, "enablePage": False})
    if downloads is not None:
        options.add_experimental_option(
            "prefs",
            {
                "download.default_directory": str(downloads),
                "download.prompt_for_download": False,
                "download.directory_upgrade": True,
            },
        )
    driver_path = CHROMEDRIVER if Path(CHROMEDRIVER).exists() else require_program("chromedriver", "")
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    try:
        driver.set_page_load_timeout(30)
        if downloads is not None:
            driver.execute_cdp_cmd(
                "Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)}
            )
        drain(driver)  # what the browser did before the first page (its own start page) is not the site's
        yield driver
    finally:
        driver.quit()
        profile.cleanup()


def drain(driver) -> None:
    """Forget the console and network logs so far."""
    driver.get_log("browser")
    driver.get_log("performance")


def problems(driver, *, allowed: tuple[str, ...] = ()) -> list[str]:
    """The console's errors since the last call (a script refused by the CSP, a failed request…), less
    those containing one of `allowed`."""
    return [
        entry["message"]
        for entry in driver.get_log("browser")
        if entry["level"] == "SEVERE" and not any(a in entry["message"] for a in allowed)
    ]


def foreign_requests(driver, base: str) -> list[str]:
    """The URLs requested since the last call that are neither on the server under test nor data: or blob:
    URLs (a font, a script or an API of another host). Chromium's own pages (its new-tab page, which it
    loads in the background at start) and what they load from chrome:// are not the site's."""
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(base))
    internal = ("chrome://", "chrome-untrusted://", "chrome-search://")
    found = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] != "Network.requestWillBeSent":
            continue
        url = message["params"]["request"]["url"]
        document = message["params"].get("documentURL", "")
        if url.startswith(internal) and document.startswith(internal):
            continue
        if not (url == origin or url.startswith(origin + "/") or url.startswith(("data:", "blob:"))):
            found.append(url)
    return found


def set_width(driver, width: int, height: int = 1400) -> None:
    """Lay the page out `width` CSS pixels wide, a phone's screen below 600 (a desktop window cannot be
    narrower than 500)."""
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600},
    )


def screenshot(driver, path: Path) -> None:
    """The whole page, beyond the window, as a PNG."""
    import base64

    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(base64.b64decode(shot["data"]))


def open_query_page(driver, base: str, query: str | None = None) -> None:
    """The query page; with `query`, in a new YASGUI tab ("Typed query"), as a person would type it."""
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(base)
    WebDriverWait(driver, 15).until(lambda d: d.execute_script("return Boolean(window.akgYasgui)"))
    if query is not None:
        driver.execute_script(
            "window.akgYasgui.addTab(true, {name: 'Typed query', yasqe: {value: arguments[0]}})", query
        )


def run_query(driver) -> None:
    """Press the editor's run button and wait for the result (rows, an answer or an error)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    before = driver.execute_script("return window.akgYasgui.getTab().getYasr().results || null")
    driver.find_element(By.CSS_SELECTOR, QUERY_BUTTON).click()
    WebDriverWait(driver, 20).until(
        lambda d: d.execute_script(
            "const y = window.akgYasgui.getTab().getYasr(); return y.results && y.results !== arguments[0]"
            " && y.resultsEl.children.length > 0",
            before,
        )
    )


def result_rows(driver) -> list[list[str]]:
    """The active tab's result table, a row a list of its cells (the row number left out): an IRI as the
    IRI it shows (its link's data-iri), a literal as its text, an empty cell as ""."""
    return driver.execute_script(
        """return Array.from(document.querySelectorAll(arguments[0])).map(tr =>
             Array.from(tr.querySelectorAll("td")).slice(1).map(td => {
               const iri = td.querySelector("[data-iri]");
               if (iri) return iri.getAttribute("data-iri");
               const literal = td.querySelector(".literal");
               return literal ? literal.textContent : td.textContent.trim();
             }))""",
        RESULT_ROWS,
    )


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    with start_server(tmp_path_factory.mktemp("browser"), "--workers", "1", "--quiet") as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with chromium() as driver:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        yield driver


def _row(driver, prop: str):
    from selenium.webdriver.common.by import By

    rows = driver.find_elements(By.CSS_SELECTOR, f'#facts tr[data-property="{prop}"]')
    assert rows, f"no row for {prop}"
    return rows


def _problems(driver) -> list[str]:
    """What the browser's console reports as errors (a script blocked by the CSP, a failed request…)."""
    return problems(driver)


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
    from selenium.webdriver.support.ui import Select

    open_query_page(browser, server.base)
    Select(browser.find_element(By.ID, "akg-catalogue")).select_by_value("list-models")
    text = browser.execute_script("return window.akgYasgui.getTab().getQuery()")
    assert "akg:producedAt" in text
    assert "VALUES (?plant)" in text  # the default, in the text, for a person to change
    run_query(browser)
    browser.save_screenshot(str(ARTIFACTS / "query-list-models.png"))
    table = browser.find_element(By.CSS_SELECTOR, f"{TAB} .yasr_results table.dataTable")
    assert table.is_displayed()
    headers = [th.text for th in table.find_elements(By.CSS_SELECTOR, "thead th")][1:]
    assert headers[:3] == ["plant", "model", "modelLabel"]
    rows = browser.find_elements(By.CSS_SELECTOR, RESULT_ROWS)
    assert len(rows) == 6
    labels = [row.find_elements(By.TAG_NAME, "td")[3].text for row in rows]
    assert any(label.startswith("Nissan Micra") for label in labels)
    assert "6 results" in browser.find_element(By.CSS_SELECTOR, f"{TAB} .yasr_response_chip").text
    # a result's IRI links to the resource's page on this server, labelled (here by its ?modelLabel)
    link = rows[0].find_elements(By.TAG_NAME, "td")[2].find_element(By.TAG_NAME, "a")
    assert link.get_attribute("href").startswith(server.base + "id/vehicle/")
    assert link.text == rows[0].find_elements(By.TAG_NAME, "td")[3].text
    assert _problems(browser) == []


def test_the_query_page_shows_a_refusal(browser, server: Running) -> None:
    from selenium.webdriver.common.by import By

    _problems(browser)
    open_query_page(
        browser, server.base, "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }"
    )
    run_query(browser)
    browser.save_screenshot(str(ARTIFACTS / "query-refused.png"))
    error = browser.find_element(By.CSS_SELECTOR, f"{TAB} .akg-error pre.error")
    assert error.is_displayed() and "refused" in error.text
    assert problems(browser, allowed=("403",)) == []  # the refusal's 403, and nothing else


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

    open_query_page(
        browser,
        server.base,
        "SELECT ?x WHERE { VALUES ?x { <javascript:alert(1)> <JAVASCRIPT:alert(2)> <data:text/html,x> "
        "<https://w3id.org/alliance-kg/id/plant/ampere-douai> } }",
    )
    run_query(browser)
    cells = browser.find_elements(By.CSS_SELECTOR, f"{RESULT_ROWS} td:not(:first-child)")
    assert len(cells) == 4
    hrefs = [a.get_attribute("href") for a in browser.find_elements(By.CSS_SELECTOR, f"{RESULT_ROWS} a")]
    assert hrefs == [server.base + "id/plant/ampere-douai"], hrefs
    assert "javascript:alert(1)" in cells[0].text
    assert browser.find_elements(By.CSS_SELECTOR, "a[href^='javascript:' i], a[href^='data:' i]") == []


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
        WebDriverWait(browser, 15).until(
            lambda d: "result" in d.find_element(By.CSS_SELECTOR, f"{TAB} .yasr_response_chip").text
        )
        assert browser.current_url.startswith(server.base + "?query=")
        assert browser.execute_script("return window.akgYasgui.getTab().getQuery()") == query
        assert browser.find_element(By.ID, "akg-reasoned").is_selected() == (rows > 0)
        assert len(browser.find_elements(By.CSS_SELECTOR, f"{RESULT_ROWS} td.dt-empty")) == (rows == 0)
        assert len(result_rows(browser)) == (rows or 1), path  # no rows: one "no data" row
        chip = browser.find_element(By.CSS_SELECTOR, f"{TAB} .yasr_response_chip").text
        assert f"{rows} result" in chip, chip
    assert _problems(browser) == []
