// alliance-kg: graphs. Draws every element of class "graph-canvas" from the cytoscape.js elements in its
// <script type="application/json" id="<its id>-data"> block (static/vendor/cytoscape/): nodes
// {id, label, href?, kind: "focus" | "resource" | "literal" | "class" | "external"}, edges {id, source, target,
// label, kind?}. Nodes that all come with a position (the ontology's class diagram) keep them; otherwise the
// layout is breadth-first from the focus node, in rings (deterministic: no random start). Clicking a node
// with an http(s) or same-site href opens it. The drawing follows its box's size (a phone's width too), with
// zoom buttons beside it; the cytoscape instance is the element's `_cy`, for the browser tests.
"use strict";

(function () {
  if (typeof window.cytoscape !== "function") return;

  // Cytoscape adds a <style> element for its container class unless an element with this id exists; the
  // pages' Content-Security-Policy forbids inline styles, so this placeholder stands in (style.css has the rule).
  const STYLESHEET = "__________cytoscape_stylesheet";
  if (!document.getElementById(STYLESHEET)) {
    const placeholder = document.createElement("meta");
    placeholder.id = STYLESHEET;
    document.head.appendChild(placeholder);
  }

  const INK = "#1d2430";
  const KINDS = {
    focus: { fill: "#0b5cad", border: "#08447f", text: "#ffffff", shape: "round-rectangle" },
    resource: { fill: "#e8f0fa", border: "#0b5cad", text: INK, shape: "round-rectangle" },
    literal: { fill: "#fff8e6", border: "#c99a2e", text: INK, shape: "rectangle" },
    class: { fill: "#e7f4ea", border: "#2f7d45", text: INK, shape: "round-rectangle" },
    external: { fill: "#f3f4f6", border: "#8a929e", text: "#3b4350", shape: "round-rectangle" },
  };

  const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Noto Sans CJK JP", sans-serif';
  const SIZE = 12;
  const FOCUS_SIZE = 14;
  const PADDING = 7;
  const MOST_FIT_ZOOM = 1.25; // a small graph is not blown up past this to fill its box
  const measure = document.createElement("canvas").getContext("2d");

  /** Each node's box: its label in lines of at most `limit` pixels (cut at spaces), and a padding. */
  function sizeNodes(elements) {
    for (const item of elements) {
      const data = item.data || {};
      if ("source" in data) continue;
      const focus = data.kind === "focus";
      const size = focus ? FOCUS_SIZE : SIZE;
      const limit = data.kind === "literal" ? 180 : 150;
      measure.font = (focus ? "bold " : "") + size + "px " + FONT;
      const lines = [];
      for (const paragraph of String(data.label == null ? data.id : data.label).split("\n")) {
        let line = "";
        for (const word of paragraph.split(/\s+/)) {
          const next = line ? line + " " + word : word;
          if (line && measure.measureText(next).width > limit) {
            lines.push(line);
            line = word;
          } else line = next;
        }
        lines.push(line);
      }
      const widest = Math.max(...lines.map((l) => measure.measureText(l).width));
      data.akgLabel = lines.join("\n"); // cytoscape breaks lines at these newlines only
      data.akgWidth = Math.ceil(widest) + 2 * PADDING + (focus ? 4 : 0);
      data.akgHeight = Math.ceil(lines.length * size * 1.25) + 2 * PADDING;
    }
    return elements;
  }

  const style = [
    {
      selector: "node",
      style: {
        label: "data(akgLabel)",
        shape: "round-rectangle",
        width: "data(akgWidth)",
        height: "data(akgHeight)",
        "background-color": KINDS.resource.fill,
        "border-width": 1.5,
        "border-color": KINDS.resource.border,
        color: INK,
        "font-family": FONT,
        "font-size": SIZE,
        "text-valign": "center",
        "text-halign": "center",
        "text-wrap": "wrap",
        "text-max-width": 2000,
      },
    },
    ...Object.entries(KINDS).map(([kind, k]) => ({
      selector: `node[kind = "${kind}"]`,
      style: { "background-color": k.fill, "border-color": k.border, color: k.text, shape: k.shape },
    })),
    { selector: 'node[kind = "focus"]', style: { "font-weight": "bold", "font-size": FOCUS_SIZE, "border-width": 3 } },
    { selector: 'node[kind = "external"]', style: { "border-style": "dashed" } },
    { selector: "node[href]", style: { "underlay-color": "#0b5cad", "underlay-padding": 0, "underlay-opacity": 0 } },
    { selector: "node.hover", style: { "underlay-opacity": 0.15, "underlay-padding": 4 } },
    {
      selector: "edge",
      style: {
        label: "data(akgEdgeLabel)",
        width: 1.5,
        "line-color": "#7b8594",
        "target-arrow-color": "#7b8594",
        "target-arrow-shape": "triangle",
        "curve-style": "bezier",
        "font-size": 10,
        color: "#3b4350",
        "text-background-color": "#ffffff",
        "text-background-opacity": 0.9,
        "text-background-padding": "2px",
        "text-wrap": "wrap",
        "text-max-width": "120px",
        "min-zoomed-font-size": 7,
      },
    },
    { selector: "edge.akg-merged", style: { display: "none" } },
    { selector: ".akg-inert", style: { events: "no" } },
    {
      selector: 'edge[kind = "subClassOf"]',
      style: {
        "line-color": "#a3abb7",
        "target-arrow-color": "#a3abb7",
        "target-arrow-fill": "hollow",
        "arrow-scale": 1.4,
        label: "", // the hollow arrowhead says it (the page's caption too): the diagram's names stay readable
      },
    },
  ];

  /** The links between the same two nodes, the same way, drawn as one arrow with a label line each (the
   * others stay in the graph, not drawn). */
  function mergeParallel(elements) {
    const first = new Map();
    for (const item of elements) {
      const data = item.data || {};
      if (!("source" in data)) continue;
      data.akgEdgeLabel = data.label == null ? "" : String(data.label);
      const key = data.source + "\u0000" + data.target;
      const kept = first.get(key);
      if (!kept) first.set(key, data);
      else {
        if (data.akgEdgeLabel && !kept.akgEdgeLabel.split("\n").includes(data.akgEdgeLabel)) {
          kept.akgEdgeLabel = kept.akgEdgeLabel ? kept.akgEdgeLabel + "\n" + data.akgEdgeLabel : data.akgEdgeLabel;
        }
        item.classes = ((item.classes || "") + " akg-merged").trim();
      }
    }
    return elements;
  }

  /** Zoom buttons beside the drawing; the mouse wheel zooms only once the drawing is clicked (the page scrolls
   * over it until then); on a touch screen a finger drags the drawing only once it is zoomed in. */
  function controls(element, cy) {
    const coarse = Boolean(window.matchMedia && window.matchMedia("(pointer: coarse)").matches);
    const centre = () => ({ x: element.clientWidth / 2, y: element.clientHeight / 2 });
    const fitted = () => {
      cy.fit(undefined, 16);
      if (cy.zoom() > MOST_FIT_ZOOM) cy.zoom({ level: MOST_FIT_ZOOM, renderedPosition: centre() });
      cy.center();
    };
    const pannable = () => {
      if (!coarse) return;
      const zoomed = cy.zoom() > fitZoom * 1.05;
      cy.userPanningEnabled(zoomed);
      if (zoomed) cy.elements().removeClass("akg-inert");
      else cy.elements().addClass("akg-inert");
    };
    let fitZoom = cy.zoom();
    cy.userZoomingEnabled(false);
    if (coarse) {
      // until zoomed in, a finger that moves over the drawing (nodes too) scrolls the page, and a tap on a node
      // opens it (found here: cytoscape would hold the finger for itself)
      cy.userPanningEnabled(false);
      cy.autoungrabify(true);
      cy.elements().addClass("akg-inert");
      let start = null;
      const options = { passive: true, capture: true };
      element.addEventListener("touchstart", (event) => {
        const touch = event.touches.length === 1 ? event.touches[0] : null;
        start = touch ? { x: touch.clientX, y: touch.clientY, time: Date.now() } : null;
      }, options);
      element.addEventListener("touchend", (event) => {
        const touch = event.changedTouches[0];
        const tap = start && touch && Date.now() - start.time < 600 && Math.hypot(touch.clientX - start.x, touch.clientY - start.y) < 10;
        start = null;
        if (!tap || cy.userPanningEnabled()) return;
        const box = element.getBoundingClientRect();
        const x = touch.clientX - box.left;
        const y = touch.clientY - box.top;
        const hit = cy.nodes().filter((n) => {
          const b = n.renderedBoundingBox({ includeLabels: false });
          return x >= b.x1 && x <= b.x2 && y >= b.y1 && y <= b.y2;
        });
        const href = hit.length ? target(hit[0].data("href"), element) : null;
        if (href) window.location.assign(href);
      }, options);
    }
    element.addEventListener("pointerdown", () => {
      if (!coarse) cy.userZoomingEnabled(true);
    });
    element.addEventListener("pointerleave", () => cy.userZoomingEnabled(false));
    const bar = document.createElement("div");
    bar.className = "graph-controls";
    const button = (text, label, action) => {
      const b = document.createElement("button");
      b.type = "button";
      b.textContent = text;
      b.title = label;
      b.setAttribute("aria-label", label);
      b.addEventListener("click", () => {
        action();
        pannable();
      });
      bar.appendChild(b);
    };
    button("+", "Zoom in", () => cy.zoom({ level: cy.zoom() * 1.4, renderedPosition: centre() }));
    button("\u2212", "Zoom out", () => cy.zoom({ level: cy.zoom() / 1.4, renderedPosition: centre() }));
    button("Fit", "Show the whole graph", fitted);
    element.before(bar);
    if (element.parentElement) element.parentElement.classList.add("graph-has-controls");
    return () => {
      fitted();
      fitZoom = cy.zoom();
      pannable();
    };
  }

  /** Where a click on a node may go: an http(s) URL, or a relative one (this site); else null. */
  function target(href, element) {
    if (typeof href !== "string" || !href) return null;
    const canonical = element.dataset.canonicalBase;
    const base = element.dataset.base;
    if (canonical && base && href.startsWith(canonical)) href = base + href.slice(canonical.length);
    if (/[\u0000-\u0020\u007f\\]/.test(href)) return null;
    let url;
    try {
      url = new URL(href, window.location.href);
    } catch (error) {
      return null;
    }
    return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
  }

  function layoutFor(cy) {
    const focus = cy.nodes('[kind = "focus"]');
    return {
      name: "breadthfirst",
      roots: focus.length ? focus : undefined,
      directed: false,
      circle: focus.length > 0,
      spacingFactor: focus.length ? 1.1 : 1.3,
      avoidOverlap: true,
      nodeDimensionsIncludeLabels: true,
      fit: true,
      padding: 16,
      animate: false,
    };
  }

  function draw(element) {
    const block = document.getElementById(element.id + "-data");
    if (!block || element._cy) return;
    let elements;
    try {
      elements = JSON.parse(block.textContent);
    } catch (error) {
      element.textContent = "This graph's data cannot be read.";
      return;
    }
    if (!Array.isArray(elements)) elements = [...(elements.nodes || []), ...(elements.edges || [])];
    const positioned = elements.filter((e) => !("source" in (e.data || {})));
    const preset = positioned.length > 0 && positioned.every((e) => e.position && isFinite(e.position.x) && isFinite(e.position.y));
    const cy = window.cytoscape({
      container: element,
      elements: mergeParallel(sizeNodes(elements)),
      style: style,
      layout: { name: "preset" },
      boxSelectionEnabled: false,
      autoungrabify: false,
      minZoom: 0.2,
      maxZoom: 3,
    });
    cy.layout(preset ? { name: "preset", fit: true, padding: 16 } : layoutFor(cy)).run();
    // the box as tall as the drawing is for its width (within bounds), so that it is drawn as large as it can be
    const box = cy.elements().boundingBox();
    const fitHeight = () => {
      const most = Math.max(320, Math.round(window.innerHeight * 0.85));
      const zoom = box.w > 0 ? Math.min(MOST_FIT_ZOOM, (element.clientWidth - 32) / box.w) : 1;
      const height = Math.min(most, Math.max(260, Math.round(box.h * zoom) + 32));
      if (Math.abs(element.clientHeight - height) > 2) element.style.height = height + "px";
    };
    fitHeight();
    cy.resize();
    cy.fit(undefined, 16);
    const refit = controls(element, cy);
    refit();
    element._cy = cy;
    window.akgGraphs = window.akgGraphs || {};
    window.akgGraphs[element.id] = cy;

    cy.on("tap", "node", (event) => {
      const href = target(event.target.data("href"), element);
      if (href) window.location.assign(href);
    });
    cy.on("mouseover", "node[href]", (event) => {
      event.target.addClass("hover");
      element.style.cursor = "pointer";
    });
    cy.on("mouseout", "node", (event) => {
      event.target.removeClass("hover");
      element.style.cursor = "";
    });

    if (typeof ResizeObserver === "function") {
      let size = [element.clientWidth, element.clientHeight];
      new ResizeObserver(() => {
        const now = [element.clientWidth, element.clientHeight];
        if (!now[0] || !now[1] || (now[0] === size[0] && now[1] === size[1])) return;
        size = now;
        fitHeight();
        size = [element.clientWidth, element.clientHeight];
        cy.resize();
        refit();
      }).observe(element);
    }
  }

  for (const element of document.querySelectorAll(".graph-canvas[id]")) draw(element);
})();
