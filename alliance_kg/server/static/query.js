// alliance-kg: the query page. YASGUI (@zazuko/yasgui, vendored under static/vendor/yasgui/) set up to talk to
// this site only: its SPARQL endpoint (or, with "with what OWL 2 RL infers", the reasoned one), our prefixes
// for completion (no prefix.cc, no LOV), the competency questions as examples, a permalink in the address bar
// after each run (/?query=…&reasoned=1), downloads in CSV, TSV and JSON made by the endpoint, IRIs shown as
// labelled links to this site's pages (only http(s) IRIs become links: a javascript: or data: IRI stays text),
// and a "Chart" view that asks the server for a Vega-Lite chart of the result. The page's data come from
// <script type="application/json" id="akg-data">: {endpoint, reasonedEndpoint, base, canonicalBase, queries,
// prefixes, graphs, chart}.
"use strict";

(function () {
  const dataElement = document.getElementById("akg-data");
  const root = document.getElementById("yasgui");
  if (!dataElement || !root || typeof window.Yasgui !== "function") return;
  const data = JSON.parse(dataElement.textContent);
  const Yasgui = window.Yasgui;
  const Yasqe = Yasgui.Yasqe;
  const Yasr = Yasgui.Yasr;

  const absolute = (url) => new URL(url, window.location.href).href;
  const endpoint = absolute(data.endpoint);
  const reasonedSource = data.reasonedEndpoint || (data.graphs && data.graphs.reasonedEndpoint) || null;
  const reasonedEndpoint = reasonedSource ? absolute(reasonedSource) : null;
  const ours = (url) => url === endpoint || (reasonedEndpoint !== null && url === reasonedEndpoint);
  const base = absolute(data.base || "/");
  const canonicalBase = data.canonicalBase || "";
  const queries = Array.isArray(data.queries) ? data.queries : [];
  const byName = new Map(queries.map((q) => [q.name, q]));
  const prefixes = data.prefixes || {};
  // longest namespace first, so that an IRI gets the most specific prefix
  const namespaces = Object.entries(prefixes).sort((a, b) => b[1].length - a[1].length);
  const pagePath = new URL(base).origin === window.location.origin ? new URL(base).pathname : window.location.pathname;
  const DEFAULT_QUERY = queries.length ? queries[0].text : "SELECT ?s ?p ?o WHERE {\n  ?s ?p ?o\n}\nLIMIT 10";

  // YASR's table resizes its columns with column-resizer, which adds its rules as <style> elements (marked with
  // a `gripid`): the pages' Content-Security-Policy refuses inline styles, and style.css has those rules, so
  // they are kept out of the page rather than refused (with an error in the console) on each drawing.
  const head = document.head;
  const append = head.appendChild;
  head.appendChild = function (node) {
    if (node instanceof HTMLStyleElement && node.gripid !== undefined) return node;
    return append.call(this, node);
  };

  // YASQE's tooltip on a syntax error (shown on hovering its icon) underlines the expected tokens with style
  // attributes, which the CSP refuses (an error in the console for each): they are taken out of that tooltip's
  // HTML, and style.css underlines them.
  const innerHTML = Object.getOwnPropertyDescriptor(Element.prototype, "innerHTML");
  Object.defineProperty(HTMLDivElement.prototype, "innerHTML", {
    configurable: true,
    get() {
      return innerHTML.get.call(this);
    },
    set(html) {
      if (typeof html === "string" && this.classList.contains("yasqe_tooltip")) {
        html = html.replace(/\sstyle=(?:'[^']*'|"[^"]*")/g, "");
      }
      innerHTML.set.call(this, html);
    },
  });

  // --- IRIs, links, labels ---------------------------------------------------------------------------------

  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
  }

  function local(iri) {
    return canonicalBase && iri.startsWith(canonicalBase) ? base + iri.slice(canonicalBase.length) : iri;
  }

  /** The address a link to `iri` may have: an http(s) URL with a host and nothing a browser would strip or
   * reread (spaces, control characters, backslashes), its scheme in lower case; else null (no link). */
  function webAddress(iri) {
    const href = local(iri);
    if (/[\u0000-\u0020\u007f\\]/.test(href)) return null;
    const match = /^(https?):\/\/([^/?#]+)/i.exec(href);
    if (!match) return null;
    return match[1].toLowerCase() + href.slice(match[1].length);
  }

  function curie(iri) {
    for (const [prefix, ns] of namespaces) {
      if (iri.startsWith(ns) && iri.length > ns.length) return prefix + ":" + iri.slice(ns.length);
    }
    return null;
  }

  const labels = new Map(); // IRI → label, from ?xLabel columns and from one look-up query a result
  const looked = new WeakSet(); // the results whose labels were looked up

  function iriHtml(iri, label) {
    const short = curie(iri);
    const text = label || short || "<" + iri + ">";
    const title = short && label ? short + " — " + iri : iri;
    const unlabelled = label ? "" : " akg-unlabelled";
    const href = webAddress(iri);
    const attrs = `data-iri="${escapeHtml(iri)}" title="${escapeHtml(title)}"`;
    if (href === null) return `<span class="iri-text${unlabelled}" ${attrs}>${escapeHtml(text)}</span>`;
    const away = href.startsWith(base) ? "" : ' target="_blank" rel="noopener noreferrer"';
    return `<a class="iri${unlabelled}" href="${escapeHtml(href)}"${away} ${attrs}>${escapeHtml(text)}</a>`;
  }

  function cellHtml(term, label) {
    let inner;
    if (term.type === "uri") {
      inner = iriHtml(term.value, label || labels.get(term.value));
    } else if (term.type === "bnode") {
      inner = `<span class="bnode">_:${escapeHtml(term.value)}</span>`;
    } else {
      inner = `<span class="literal">${escapeHtml(term.value)}</span>`;
      if (term["xml:lang"]) inner += `<span class="lang">${escapeHtml(term["xml:lang"])}</span>`;
      else if (term.datatype) {
        const short = curie(term.datatype) || term.datatype;
        inner += `<span class="datatype" title="${escapeHtml(term.datatype)}">${escapeHtml(short)}</span>`;
      }
    }
    return `<div><span class="akg-cell">${inner}</span></div>`;
  }

  // YASR's table: our cells (labelled local links, CURIEs by our prefixes, no javascript: links). A column
  // ?x followed by ?xLabel in the result uses that label for its IRIs.
  const Table = Yasr.plugins.table;
  const tableColumns = Table.prototype.getColumns;
  Table.prototype.getColumns = function () {
    const columns = tableColumns.call(this);
    const vars = this.yasr.results ? this.yasr.results.getVariables() : [];
    return columns.map((column, index) => {
      if (index === 0) return column;
      const labelColumn = vars.indexOf(vars[index - 1] + "Label") + 1;
      const render = column.render;
      return Object.assign({}, column, {
        render: (value, type, row, meta) => {
          if (value === "" || type === "filter" || type === "sort" || !type) return render(value, type, row, meta);
          const label = labelColumn > 0 && row[labelColumn] && row[labelColumn].type === "literal" ? row[labelColumn].value : null;
          return cellHtml(value, label);
        },
      });
    });
  };

  function labelQuery(iris) {
    const values = iris.map((iri) => "<" + iri + ">").join(" ");
    return (
      "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n" +
      "SELECT ?iri ?label WHERE {\n  VALUES ?iri { " + values + " }\n  ?iri rdfs:label ?label\n}"
    );
  }

  /** One extra query for the labels of the result's IRIs that have none yet; the table's links then show them. */
  async function lookUpLabels(yasr) {
    const results = yasr.results;
    if (!results || looked.has(results)) return;
    looked.add(results);
    const bindings = results.getBindings() || [];
    const vars = results.getVariables();
    const wanted = new Set();
    for (const row of bindings) {
      for (const v of vars) {
        const term = row[v];
        if (!term || term.type !== "uri") continue;
        const label = row[v + "Label"];
        if (label && label.type === "literal") labels.set(term.value, label.value);
        // an IRI that cannot be written between < > in a query is left as it is
        else if (!labels.has(term.value) && !/[\u0000-\u0020<>"{}|^`\\]/.test(term.value)) wanted.add(term.value);
      }
      if (wanted.size >= 500) break;
    }
    if (!wanted.size) return;
    const languages = [document.documentElement.lang || "en", "en", ""];
    const rank = (lang) => (languages.indexOf(lang) < 0 ? languages.length : languages.indexOf(lang));
    try {
      const response = await fetch(endpoint, {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded", Accept: "application/sparql-results+json" },
        body: new URLSearchParams({ query: labelQuery([...wanted]) }),
      });
      if (!response.ok) return;
      const json = await response.json();
      const best = new Map();
      for (const row of json.results.bindings) {
        const iri = row.iri.value;
        const r = rank(row.label["xml:lang"] || "");
        if (!best.has(iri) || r < best.get(iri)[0]) best.set(iri, [r, row.label.value]);
      }
      for (const [iri, [, label]] of best) labels.set(iri, label);
    } catch (error) {
      return; // the labels are a nicety: the CURIEs stay
    }
    for (const node of yasr.resultsEl.querySelectorAll(".akg-unlabelled[data-iri]")) {
      const iri = node.getAttribute("data-iri");
      const label = labels.get(iri);
      if (!label) continue;
      const short = curie(iri);
      node.textContent = label;
      node.title = short ? short + " — " + iri : iri;
      node.classList.remove("akg-unlabelled");
    }
  }

  // --- the chart view ----------------------------------------------------------------------------------------

  const ready = new Promise((resolve) => {
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", resolve);
    else resolve();
  });
  const specs = new WeakMap(); // results → Promise of the chart (a spec, or null when none fits)

  function chartFor(results) {
    if (!specs.has(results)) {
      specs.set(
        results,
        fetch(absolute(data.chart), {
          method: "POST",
          headers: { "Content-Type": "application/sparql-results+json", Accept: "application/json" },
          body: results.getOriginalResponseAsString(),
        }).then(async (response) => {
          if (response.status === 204) return null;
          if (!response.ok) throw new Error((await response.text()) || response.statusText);
          return response.json();
        })
      );
    }
    return specs.get(results);
  }

  function svgIcon() {
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 16 16");
    svg.setAttribute("aria-hidden", "true");
    for (const [x, y, h] of [[1, 9, 6], [6, 3, 12], [11, 6, 9]]) {
      const bar = document.createElementNS(ns, "rect");
      bar.setAttribute("x", x);
      bar.setAttribute("y", y);
      bar.setAttribute("width", 4);
      bar.setAttribute("height", h);
      bar.setAttribute("fill", "currentColor");
      svg.appendChild(bar);
    }
    return svg;
  }

  class Chart {
    constructor(yasr) {
      this.yasr = yasr;
      this.label = "Chart";
      this.priority = 5; // below the table's 10: the table stays the view a result opens in
    }
    canHandleResults() {
      const results = this.yasr.results;
      if (!results || results.hasError() || results.getType() !== "json") return false;
      const bindings = results.getBindings();
      return Boolean(bindings && bindings.length && results.getVariables().length);
    }
    getIcon() {
      return svgIcon();
    }
    async draw() {
      const results = this.yasr.results;
      const box = document.createElement("div");
      box.className = "akg-chart";
      const status = document.createElement("p");
      status.className = "akg-chart-status";
      status.setAttribute("role", "status");
      status.textContent = "drawing the chart…";
      box.appendChild(status);
      this.yasr.resultsEl.appendChild(box);
      let spec;
      try {
        spec = await chartFor(results);
      } catch (error) {
        status.textContent = "The chart could not be made: " + error.message;
        return;
      }
      if (this.yasr.results !== results || !box.isConnected) return; // another result came meanwhile
      if (spec === null) {
        status.textContent = "No chart for this result: a chart needs a number for each year, date or category.";
        box.classList.add("akg-no-chart");
        return;
      }
      const canvas = document.createElement("div");
      canvas.className = "chart-canvas akg-result-chart";
      box.appendChild(canvas);
      await ready;
      try {
        await window.akgCharts.embed(canvas, spec);
        status.remove();
      } catch (error) {
        status.textContent = "The chart could not be drawn: " + error.message;
      }
    }
    download() {
      return undefined;
    }
  }
  if (data.chart) Yasr.registerPlugin("chart", Chart); // a server without the chart endpoint: no chart view

  // --- YASQE: our prefixes for completion, nothing asked of another host ---------------------------------------

  const prefixCompletions = Object.entries(prefixes)
    .map(([prefix, ns]) => prefix + ": <" + ns + ">")
    .sort();
  // the built-in "prefixes" completer, with our prefixes instead of prefix.cc's list
  Yasqe.Autocompleters.prefixes = Object.assign({}, Yasqe.Autocompleters.prefixes, {
    get: () => prefixCompletions,
    persistenceId: null,
  });
  // assigned, not merged (a merge would keep the rest of the default list: classes and properties, from LOV)
  Yasqe.defaults.autocompleters = ["prefixes", "variables"];
  Yasqe.defaults.prefixCcApi = "";
  Yasr.defaults.pluginOrder = ["table", "chart", "response"];

  function permalink(tab) {
    const query = tab.getPersistedJson().yasqe.value;
    const reasoned = reasonedEndpoint !== null && tab.getEndpoint() === reasonedEndpoint;
    return pagePath + "?query=" + encodeURIComponent(query) + (reasoned ? "&reasoned=1" : "");
  }
  // YASQE's "share" button shows this permalink (YASGUI's own link would carry its settings in the fragment)
  Yasgui.Tab.prototype.getShareableLink = function () {
    return window.location.origin + permalink(this);
  };

  function errorRenderer(error) {
    if (!error || !error.text) return Promise.resolve(undefined);
    const box = document.createElement("div");
    box.className = "akg-error";
    const intro = document.createElement("p");
    intro.textContent = error.status ? "The endpoint answered " + error.status + ":" : "The endpoint answered:";
    const text = document.createElement("pre");
    text.className = "error";
    text.textContent = error.text; // in full: a syntax error's line, column and caret included
    box.append(intro, text);
    return Promise.resolve(box);
  }

  // YASGUI gives each result view YASR's defaults (and its own renderer for an http: endpoint from an https: page)
  Yasr.defaults.errorRenderers = [errorRenderer];

  const yasgui = new Yasgui(root, {
    persistenceId: "akg-query",
    populateFromUrl: false, // done below: ?query=… (and &reasoned=1), our own permalink
    autofocus: false,
    copyEndpointOnNewTab: true,
    tabName: "Query",
    requestConfig: {
      endpoint: endpoint,
      method: "POST",
      acceptHeaderSelect: "application/sparql-results+json",
      acceptHeaderGraph: "text/turtle",
      acceptHeaderUpdate: "text/plain",
    },
    endpointCatalogueOptions: {
      getData: () => [endpoint, reasonedEndpoint].filter(Boolean).map((url) => ({ endpoint: url })),
      keys: [],
    },
    yasqe: {
      value: DEFAULT_QUERY,
      editorHeight: "300px",
      prefixCcApi: "",
      autocompleters: ["prefixes", "variables"],
    },
    yasr: {
      prefixes: prefixes,
      defaultPlugin: "table",
      pluginOrder: ["table", "chart", "response"],
    },
  });
  window.akgYasgui = yasgui; // for the browser tests

  // a tab kept from another address of the site (or of an endpoint typed by hand) asks ours again
  for (const id of yasgui.persistentConfig.getTabs()) {
    const tab = yasgui.getTab(id);
    if (tab && !ours(tab.getEndpoint())) tab.setEndpoint(endpoint);
  }

  // --- our controls: the competency questions, the closure ----------------------------------------------------

  function element(tag, props, ...children) {
    const node = document.createElement(tag);
    Object.assign(node, props || {});
    node.append(...children);
    return node;
  }

  const picker =
    document.getElementById("akg-catalogue") ||
    element("select", { id: "akg-catalogue" }, element("option", { value: "", textContent: "— choose one to open it —" }));
  if (!picker.options.length || picker.options.length === 1) {
    for (const q of queries) picker.appendChild(element("option", { value: q.name, textContent: `${q.title} (${q.name})` }));
  }
  const newTab = element("input", { type: "checkbox", id: "akg-new-tab", checked: true });
  const reasoned = element("input", { type: "checkbox", id: "akg-reasoned", disabled: reasonedEndpoint === null });
  const question = element("p", { id: "akg-question", className: "akg-question" });
  const toolbar = element(
    "div",
    { className: "akg-toolbar" },
    element("label", { className: "akg-pick", htmlFor: "akg-catalogue" }, "Competency question: "),
    picker,
    element("label", { className: "akg-check" }, newTab, " in a new tab"),
    element("label", { className: "akg-check", title: reasonedEndpoint || "no reasoned endpoint on this server" }, reasoned, " with what OWL 2 RL infers")
  );
  question.setAttribute("aria-live", "polite");
  root.before(toolbar, question);

  function entryOf(tab) {
    const name = tab.getName();
    const text = tab.getPersistedJson().yasqe.value;
    return queries.find((q) => q.title === name && q.text === text) || queries.find((q) => q.text === text) || null;
  }

  /** A tab as YASGUI opened it (its default name and query, never run): a question opens in it. */
  function pristine(tab) {
    return !tab.hasResults() && tab.getPersistedJson().yasqe.value === DEFAULT_QUERY && tab.getName() === "Query";
  }

  function sync() {
    const tab = yasgui.getTab();
    if (!tab) return;
    reasoned.checked = reasonedEndpoint !== null && tab.getEndpoint() === reasonedEndpoint;
    const entry = entryOf(tab);
    question.textContent = entry && entry.question ? entry.question : "";
    picker.value = entry ? entry.name : "";
    decorate(tab);
  }

  function open(entry) {
    const target = entry.reasoned && reasonedEndpoint ? reasonedEndpoint : endpoint;
    const current = yasgui.getTab();
    if (newTab.checked && current && !pristine(current)) {
      yasgui.addTab(true, { name: entry.title, yasqe: { value: entry.text }, requestConfig: { endpoint: target } }, { avoidDuplicateTabs: true });
    } else if (current) {
      current.setQuery(entry.text);
      current.setName(entry.title);
      current.setEndpoint(target);
    }
    sync();
  }

  picker.addEventListener("change", () => {
    const entry = byName.get(picker.value);
    if (entry) open(entry);
  });
  reasoned.addEventListener("change", () => {
    const tab = yasgui.getTab();
    if (tab) tab.setEndpoint(reasoned.checked && reasonedEndpoint ? reasonedEndpoint : endpoint);
  });

  // --- downloads made by the endpoint, in the result's header ------------------------------------------------

  const TABLE_FORMATS = [
    ["CSV", "text/csv", "csv"],
    ["TSV", "text/tab-separated-values", "tsv"],
    ["JSON", "application/sparql-results+json", "json"],
  ];
  const GRAPH_FORMATS = [
    ["Turtle", "text/turtle", "ttl"],
    ["N-Triples", "application/n-triples", "nt"],
    ["JSON-LD", "application/ld+json", "jsonld"],
  ];

  function fileName(tab) {
    const words = tab.getName().normalize("NFKD").replace(/[\u0300-\u036f]/g, "").match(/[A-Za-z0-9]+/g);
    return words ? words.join("-").toLowerCase() : "query-results";
  }

  async function download(tab, media, extension, button) {
    const note = button.parentElement.querySelector(".akg-download-note");
    note.textContent = "";
    button.disabled = true;
    try {
      const response = await fetch(tab.getEndpoint(), {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded", Accept: media },
        body: new URLSearchParams({ query: tab.getPersistedJson().yasqe.value }),
      });
      if (!response.ok) {
        note.textContent = "the endpoint answered " + response.status;
        return;
      }
      const url = URL.createObjectURL(await response.blob());
      const link = element("a", { href: url, download: fileName(tab) + "." + extension });
      document.body.appendChild(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60000);
    } catch (error) {
      note.textContent = "the download failed";
    } finally {
      button.disabled = false;
    }
  }

  function decorate(tab) {
    const yasr = tab.getYasr();
    if (!yasr) return;
    if (!yasr.akgHooked) {
      yasr.akgHooked = true;
      yasr.on("drawn", () => {
        decorate(tab);
        lookUpLabels(yasr);
      });
    }
    const results = yasr.results;
    let box = yasr.headerEl.querySelector(".akg-downloads");
    const ok = Boolean(results && !results.hasError() && tab.getYasqe());
    const graph = ok && ["CONSTRUCT", "DESCRIBE"].includes(tab.getYasqe().getQueryType());
    const kind = !ok ? "none" : graph ? "graph" : "table";
    if (box && box.dataset.kind === kind) return;
    if (box) box.remove();
    box = element("div", { className: "akg-downloads" });
    box.dataset.kind = kind;
    if (ok) {
      box.append(element("span", { className: "akg-download-label", textContent: "Download:" }));
      for (const [name, media, extension] of graph ? GRAPH_FORMATS : TABLE_FORMATS) {
        const button = element("button", { type: "button", className: "akg-download", textContent: name });
        button.dataset.format = extension;
        button.setAttribute("aria-label", "Download the result as " + name);
        button.addEventListener("click", () => download(tab, media, extension, button));
        box.append(button);
      }
      box.append(element("span", { className: "akg-download-note", role: "status" }));
    }
    const icon = yasr.headerEl.querySelector(".yasr_downloadIcon");
    yasr.headerEl.insertBefore(box, icon);
  }

  // --- permalinks ------------------------------------------------------------------------------------------

  function showAddress(tab) {
    const address = tab && tab.hasResults() ? permalink(tab) : pagePath;
    if (window.location.pathname + window.location.search !== address) window.history.replaceState(null, "", address);
  }

  yasgui.on("queryResponse", (_yasgui, tab) => {
    // the tab has the response once this event's listeners are done
    setTimeout(() => {
      if (tab === yasgui.getTab()) showAddress(tab);
    });
  });
  yasgui.on("tabSelect", () =>
    setTimeout(() => {
      sync();
      showAddress(yasgui.getTab());
    })
  );
  yasgui.on("tabChange", () => setTimeout(sync));
  yasgui.on("tabClose", () => setTimeout(sync));

  // a permalink (/?query=…&reasoned=1), or a query link the endpoint sent here: open the query and run it
  const asked = new URLSearchParams(window.location.search);
  if (asked.has("query")) {
    const text = asked.get("query");
    const target = asked.get("reasoned") === "1" && reasonedEndpoint ? reasonedEndpoint : endpoint;
    const entry = queries.find((q) => q.text === text);
    const name = entry ? entry.title : "Shared query";
    let tab = yasgui.getTab();
    const kept = yasgui.persistentConfig.getTabs().find((id) => {
      const t = yasgui.getTab(id);
      return t && t.getPersistedJson().yasqe.value === text && t.getEndpoint() === target;
    });
    if (kept) {
      yasgui.selectTabId(kept);
      tab = yasgui.getTab(kept);
    } else if (tab && pristine(tab)) {
      tab.setQuery(text);
      tab.setName(name);
      tab.setEndpoint(target);
    } else {
      tab = yasgui.addTab(true, { name: name, yasqe: { value: text }, requestConfig: { endpoint: target } });
    }
    sync();
    tab.query().catch(() => {}); // an error is shown in the result's place
  } else {
    sync();
    showAddress(yasgui.getTab());
  }
  for (const id of yasgui.persistentConfig.getTabs()) {
    const tab = yasgui.getTab(id);
    if (tab && tab.getYasr()) decorate(tab);
  }
  const shown = yasgui.getTab() && yasgui.getTab().getYasr();
  if (shown && shown.results) lookUpLabels(shown);
})();
