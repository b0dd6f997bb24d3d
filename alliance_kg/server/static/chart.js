// alliance-kg: charts. Draws every element of class "chart-canvas" that has a Vega-Lite specification in a
// <script type="application/json" id="<its id>-spec"> block, with vega-embed (vendored under static/vendor/):
// SVG, no action menu (no link to the Vega editor), and nothing that the pages' Content-Security-Policy
// forbids: expressions run by vega-embed's interpreter (no eval), no <style> element added (style.css has the
// styles). A chart wider than its box is narrowed to fit it (a phone) when it stays readable so (its labels
// cut, and if need be the values written beside its marks left to the tooltips), else the box scrolls
// sideways; it is drawn again when the box changes width.
// window.akgCharts.embed(element, spec) is what query.js's "Chart" view draws with.
"use strict";

(function () {
  const OPTIONS = {
    actions: false,
    renderer: "svg",
    ast: true, // vega-embed interprets the expressions: the CSP has no 'unsafe-eval'
    defaultStyle: false, // no <style> element: the CSP allows only style.css
    tooltip: { disableDefaultStyle: true },
  };

  /** `spec` narrowed to `width` pixels: its plot as wide as fits, its axis labels cut to `share` of the width,
   * its subtitle in lines; `bare`: without its text marks (the values written beside the marks, which the
   * tooltips and the axes still give). */
  function fitted(spec, width, share = 0.35, bare = false) {
    const copy = JSON.parse(JSON.stringify(spec));
    copy.width = Math.max(120, Math.floor(width));
    copy.autosize = { type: "fit-x", contains: "padding" };
    const limit = Math.max(60, Math.floor(width * share));
    (function shorten(node) {
      if (Array.isArray(node)) node.forEach(shorten);
      else if (node && typeof node === "object") {
        for (const key of Object.keys(node)) {
          if (key === "labelLimit" && typeof node[key] === "number") node[key] = Math.min(node[key], limit);
          else if (key === "legend" && node[key] && typeof node[key].columns === "number") {
            node[key].columns = Math.min(node[key].columns, width < 480 ? 1 : 2); // within the box's width
          } else shorten(node[key]);
        }
      }
    })(copy);
    const markType = (layer) => (typeof layer.mark === "string" ? layer.mark : layer.mark && layer.mark.type);
    if (bare && Array.isArray(copy.layer) && copy.layer.some((l) => markType(l) !== "text")) {
      copy.layer = copy.layer.filter((l) => markType(l) !== "text");
    }
    if (copy.title && typeof copy.title === "object" && typeof copy.title.subtitle === "string") {
      copy.title.subtitle = wrap(copy.title.subtitle, Math.max(20, Math.floor(width / 6.5)));
    }
    return copy;
  }

  /** `text` cut into lines of at most `size` characters, at spaces (Vega draws a list as lines). */
  function wrap(text, size) {
    const lines = [];
    let line = "";
    for (const word of text.split(/\s+/)) {
      if (line && line.length + word.length + 1 > size) {
        lines.push(line);
        line = word;
      } else line = line ? line + " " + word : word;
    }
    if (line) lines.push(line);
    return lines;
  }

  /** Draw `spec` in `element`: as it is when it fits the box's width; narrowed to it when its plot keeps at
   * least half its width (or 200 px) so; else as it is, the box scrolling sideways (a wide timeline on a phone). */
  async function embed(element, spec) {
    if (typeof window.vegaEmbed !== "function") throw new Error("vega-embed is not loaded");
    let width = element.clientWidth;
    const show = async (which) => {
      if (element._view) element._view.finalize();
      const result = await window.vegaEmbed(element, which, OPTIONS);
      element._view = result.view; // for the browser tests
      return result;
    };
    const draw = async () => {
      const room = element.clientWidth;
      let result = await show(spec);
      const svg = element.querySelector("svg");
      const natural = svg ? svg.getBoundingClientRect().width : 0;
      element.classList.remove("chart-narrowed");
      if (room > 0 && natural > room + 1 && typeof spec.width === "number") {
        const enough = Math.min(200, spec.width / 2); // a plot narrower than this is not worth the squeeze
        let narrowed = false;
        for (const [share, bare] of [[0.35, false], [0.32, true], [0.25, true]]) {
          result = await show(fitted(spec, room, share, bare));
          if (result.view.width() >= enough) {
            narrowed = true;
            break;
          }
        }
        if (narrowed) element.classList.add("chart-narrowed");
        else result = await show(spec);
      }
      element.dataset.drawn = "true";
      return result;
    };
    const result = await draw();
    if (typeof ResizeObserver === "function" && !element._resizer) {
      let timer = 0;
      element._resizer = new ResizeObserver(() => {
        const now = element.clientWidth;
        if (!now || Math.abs(now - width) < 40) return;
        width = now;
        clearTimeout(timer);
        timer = setTimeout(() => draw().catch((error) => console.warn("chart:", error)), 150);
      });
      element._resizer.observe(element);
    }
    return result;
  }

  window.akgCharts = { embed: embed, fitted: fitted };

  for (const element of document.querySelectorAll(".chart-canvas[id]")) {
    const block = document.getElementById(element.id + "-spec");
    if (!block) continue;
    let spec;
    try {
      spec = JSON.parse(block.textContent);
    } catch (error) {
      element.textContent = "This chart's specification cannot be read.";
      continue;
    }
    embed(element, spec).catch((error) => {
      element.textContent = "The chart could not be drawn: " + error.message;
    });
  }
})();
