// alliance-kg: the query page. Sends the query to the SPARQL endpoint with fetch() and shows the result as a
// table (SELECT), a yes/no (ASK) or Turtle (CONSTRUCT, DESCRIBE). No libraries, nothing from elsewhere.
"use strict";

(function () {
  const data = JSON.parse(document.getElementById("akg-data").textContent);
  const form = document.getElementById("query-form");
  const editor = document.getElementById("query");
  const picker = document.getElementById("catalogue");
  const question = document.getElementById("question");
  const reasoned = document.getElementById("reasoned");
  const run = document.getElementById("run");
  const status = document.getElementById("status");
  const results = document.getElementById("results");
  const byName = new Map(data.queries.map((q) => [q.name, q]));

  function choose(name) {
    const entry = byName.get(name);
    if (!entry) return;
    editor.value = entry.text;
    question.textContent = entry.question || "";
    reasoned.checked = Boolean(entry.reasoned);
    reasoned.disabled = !data.graphs.inferred;
  }

  function local(iri) {
    return iri.startsWith(data.canonicalBase) ? data.base + iri.slice(data.canonicalBase.length) : iri;
  }

  // the project's prefixes, longest namespace first, to show IRIs short
  const prefixes = Object.entries(data.prefixes).sort((a, b) => b[1].length - a[1].length);

  function short(iri) {
    for (const [prefix, ns] of prefixes) {
      if (iri.startsWith(ns) && iri.length > ns.length) return prefix + ":" + iri.slice(ns.length);
    }
    return iri;
  }

  function element(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined) node.textContent = text;
    if (className) node.className = className;
    return node;
  }

  function cell(term) {
    const td = document.createElement("td");
    if (!term) return td;
    if (term.type === "uri") {
      const href = local(term.value);
      // only http(s) IRIs become links: a javascript: or data: IRI in the data stays text
      const node = element(/^https?:\/\/[^\s\/?#]/i.test(href) ? "a" : "span", short(term.value));
      if (node.tagName === "A") node.href = href;
      node.title = term.value;
      td.appendChild(node);
    } else if (term.type === "bnode") {
      td.textContent = "_:" + term.value;
    } else {
      td.appendChild(element("span", term.value, term.value.length > 160 ? "long" : undefined));
      if (term["xml:lang"]) td.appendChild(element("span", term["xml:lang"], "lang"));
      else if (term.datatype) td.appendChild(element("span", short(term.datatype), "datatype"));
    }
    return td;
  }

  function table(json) {
    const vars = json.head.vars;
    const t = element("table");
    t.id = "results-table";
    const head = t.createTHead().insertRow();
    for (const v of vars) head.appendChild(element("th", "?" + v));
    const body = t.createTBody();
    for (const row of json.results.bindings) {
      const tr = body.insertRow();
      for (const v of vars) tr.appendChild(cell(row[v]));
    }
    return t;
  }

  async function submit(event) {
    event.preventDefault();
    const body = new URLSearchParams();
    body.set("query", editor.value);
    // the reasoned endpoint's default graph is the OWL 2 RL closure (what `query --reasoned` queries)
    const endpoint = reasoned.checked && data.graphs.reasonedEndpoint ? data.graphs.reasonedEndpoint : data.endpoint;
    run.disabled = true;
    status.textContent = "running…";
    results.replaceChildren();
    const started = performance.now();
    try {
      const response = await fetch(endpoint, {
        method: "POST",
        headers: {
          "Content-Type": "application/x-www-form-urlencoded",
          Accept: "application/sparql-results+json, text/turtle;q=0.9",
        },
        body: body,
      });
      const ms = Math.round(performance.now() - started);
      const type = response.headers.get("Content-Type") || "";
      const text = await response.text();
      if (!response.ok) {
        status.textContent = "error " + response.status + " (" + ms + " ms)";
        results.appendChild(element("pre", text, "error"));
        return;
      }
      if (type.includes("sparql-results+json")) {
        const json = JSON.parse(text);
        if ("boolean" in json) {
          status.textContent = "answered in " + ms + " ms";
          results.appendChild(element("p", json.boolean ? "yes (true)" : "no (false)", "boolean"));
        } else {
          const n = json.results.bindings.length;
          status.textContent = n + (n === 1 ? " result" : " results") + " in " + ms + " ms";
          results.appendChild(table(json));
        }
      } else {
        const count = response.headers.get("X-Result-Count");
        status.textContent = (count ? count + " triples" : "a graph") + " in " + ms + " ms";
        results.appendChild(element("pre", text));
      }
    } catch (error) {
      status.textContent = "the request failed";
      results.appendChild(element("pre", String(error), "error"));
    } finally {
      run.disabled = false;
    }
  }

  picker.addEventListener("change", () => choose(picker.value));
  form.addEventListener("submit", submit);
  // a link to a query (/?query=…, where /sparql?query=… sends a browser): open it and run it
  const asked = new URLSearchParams(window.location.search);
  if (asked.has("query")) {
    editor.value = asked.get("query");
    question.textContent = "";
    reasoned.disabled = !data.graphs.inferred;
    reasoned.checked = asked.get("reasoned") === "1" && Boolean(data.graphs.inferred);
    form.requestSubmit();
  } else if (data.queries.length) choose(picker.value || data.queries[0].name);
})();
