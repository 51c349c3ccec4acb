// localindex web components: <localindex-scorecard area="E05000026" dataset="spi-ward/london-2019">
// and <localindex-map dataset="imd-ward/2019" measure="average-score" within="E09000002">.
// One <script src=".../embed/localindex.js"> on any page of any site; no framework; styles stay in
// each component's Shadow DOM; data comes from the localindex that served this script (CORS).
(function () {
  "use strict";
  var script = document.currentScript;
  var ORIGIN = script ? new URL(script.src, document.baseURI).href.replace(/embed\/localindex\.js.*$/, "") : "/";
  var STYLE = [
    ":host { display: block; font: 16px/1.4 system-ui, sans-serif; color: #111; background: #fff; max-width: 48rem; }",
    "table { border-collapse: collapse; width: 100%; } caption { text-align: left; font-weight: 600; padding: .3em 0; }",
    "th, td { border-bottom: 1px solid #ccc; padding: .3em .5em; text-align: left; vertical-align: top; }",
    "td.num { text-align: right; font-variant-numeric: tabular-nums; }",
    "a { color: #1d4f91; } a:focus, path:focus { outline: 3px solid #ffbf47; outline-offset: 1px; }",
    ".rating { display: inline-block; padding: 0 .4em; border: 1px solid #444; border-radius: .3em; }",
    ".rating-worst { background: #f4a9a0; } .rating-worse { background: #f9d3a6; } .rating-middle, .rating-no-significant-change { background: #eeeeee; }",
    ".rating-better { background: #c9e8b8; } .rating-best { background: #9fd8a0; }",
    ".meta, .note { font-size: .85em; color: #444; } .error { color: #a00; }",
    "svg { box-sizing: border-box; width: 100%; height: auto; background: #f8f8f8; border: 1px solid #999; } code, a { overflow-wrap: anywhere; } path { stroke: #333; stroke-width: .5; }",
    "path:hover, path:focus { stroke: #000; stroke-width: 2; }",
    ".skip { position: absolute; left: -9999px; } .skip:focus { position: static; display: inline-block; background: #ffdd00; padding: .2em .4em; }",
    ".legend { display: flex; flex-wrap: wrap; gap: .3em 1em; list-style: none; padding: 0; margin: .4em 0; }",
    ".swatch { display: inline-block; width: 1em; height: 1em; border: 1px solid #333; margin-right: .3em; vertical-align: middle; }",
    ".vh { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }",
    ".title { font-size: 1.1em; margin: .3em 0; } table:focus { outline: 3px solid #ffbf47; outline-offset: 2px; }",
    ".contents { display: flex; flex-wrap: wrap; gap: .2em 1em; list-style: none; padding: 0; margin: .3em 0 .6em; }",
    "table + .meta { margin-bottom: 1.5em; }",
    ":host { container-type: inline-size; }",
    "@container (max-width: 34rem) {",
    "  table.stack thead { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }",
    "  table.stack, table.stack caption, table.stack tbody, table.stack tr, table.stack th, table.stack td { display: block; width: 100%; }",
    "  table.stack tr { border-bottom: 2px solid #444; padding: .4em 0; } table.stack th, table.stack td { border: 0; padding: .1em 0; text-align: left; }",
    "  table.stack td[data-label]::before { content: attr(data-label) \": \" / \"\"; font-weight: 600; }",
    "}"
  ].join("\n");
  var NEW_WINDOW = " (opens in a new window)";

  function api(path) {
    return fetch(ORIGIN + path, { headers: { Accept: "application/json" } }).then(function (response) {
      return response.json().then(function (body) {
        if (!response.ok) { throw new Error(body.error ? body.error.message : response.statusText); }
        return body;
      });
    });
  }

  function el(name, attributes, children) {
    var node = document.createElement(name);
    Object.keys(attributes || {}).forEach(function (key) { node.setAttribute(key, attributes[key]); });
    (children || []).forEach(function (child) {
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  // Every link leads off the host's page, to this localindex: it opens in a new window and says so.
  function link(href, text) {
    return el("a", { href: href, target: "_blank", rel: "noopener" }, [text, el("span", { "class": "vh" }, [NEW_WINDOW])]);
  }

  function footer(data) {
    return el("p", { "class": "meta" }, [
      "Source: ", link(data.uri, data.title), " (stable URI ", el("code", {}, [data.uri]), "), published by ",
      link(data.publisher.uri, data.publisher.name), "; licence ", link(data.licence, data.licence), "."
    ]);
  }

  // The component's content, and a status line (a polite live region) that says it is loading and then
  // what was loaded, so that a screen reader hears one sentence rather than the whole content.
  function mount(host) {
    var root = host.shadowRoot || host.attachShadow({ mode: "open" });
    root.innerHTML = "";
    root.appendChild(el("style", {}, [STYLE]));
    var status = el("p", { "class": "vh", role: "status" }, []);
    var body = el("div", { part: "body" }, ["Loading…"]);
    body.status = status;
    root.appendChild(status);
    root.appendChild(body);
    setTimeout(function () { if (body.textContent === "Loading…") { status.textContent = "Loading…"; } }, 0);
    return body;
  }

  function failed(body, error) {
    body.textContent = "";
    body.appendChild(el("p", { "class": "error", role: "alert" }, ["localindex: " + error.message]));
  }

  class LocalindexScorecard extends HTMLElement {
    static get observedAttributes() { return ["area", "dataset"]; }
    connectedCallback() { this.render(); }
    attributeChangedCallback() { if (this.isConnected) { this.render(); } }
    render() {
      var body = mount(this);
      var area = this.getAttribute("area") || "";
      var dataset = this.getAttribute("dataset");
      var query = dataset ? "?dataset=" + encodeURIComponent(dataset) : "";
      api("api/v1/scorecard/" + encodeURIComponent(area) + query).then(function (data) {
        body.textContent = "";
        if (!data.scorecards.length) { body.appendChild(el("p", {}, ["No published values for " + area + "."])); return; }
        var name = data.label + " (" + data.area + ")";
        var cards = data.scorecards.length;
        var section = el("section", { "aria-labelledby": "scorecard-title" }, [
          el("p", { "class": "title", id: "scorecard-title" }, [el("strong", {}, ["Scorecard of " + name])]),
          el("p", { "class": "note" }, [(cards > 1 ? cards + " datasets. " : "") + "Links open in a new window."])
        ]);
        body.appendChild(section);
        body.status.textContent = "Scorecard of " + name + " loaded.";
        var tables = [];
        if (cards > 1) {  // a keyboard user goes to any dataset's table in one step, past the others' links
          section.appendChild(el("ul", { "class": "contents", "aria-label": "Datasets in this scorecard" }, data.scorecards.map(function (card, i) {
            var jump = el("a", { href: "#scorecard-" + i }, [card.title]);
            jump.addEventListener("click", function (event) { event.preventDefault(); tables[i].focus(); });
            return el("li", {}, [jump]);
          })));
        }
        data.scorecards.forEach(function (card, i) {
          var rows = card.rows.map(function (row) {
            var rating = row.rating ? el("span", { "class": "rating rating-" + row.rating }, [row.rating_words]) : "";
            var change = row.change ? el("span", { "class": "rating rating-" + row.change.rating }, [row.change.words + " since " + row.change.period]) : "";
            return el("tr", { role: "row" }, [
              el("th", { scope: "row", role: "rowheader" }, [row.label]),
              el("td", { "class": "num", role: "cell", "data-label": "Value" }, [link(row.observation, row.text)].concat(row.underlying ? [el("br", {}, []), el("span", { "class": "meta underlying" }, [row.underlying.text])] : [])),
              el("td", { "class": "num", role: "cell", "data-label": "Rank among peers" }, [row.rank ? row.rank.toLocaleString("en-GB") + " of " + row.universe.toLocaleString("en-GB") : "not ranked"]),
              el("td", { role: "cell", "data-label": "Rating" }, [rating]), el("td", { role: "cell", "data-label": "Change" }, [change])
            ]);
          });
          // role attributes: the rows stack in a narrow space (STYLE), and display: block would take the
          // table's semantics away from screen readers
          tables[i] = el("table", { id: "scorecard-" + i, tabindex: "-1", role: "table", "class": "stack" }, [
            el("caption", {}, [name + ": " + card.title]),
            el("thead", { role: "rowgroup" }, [el("tr", { role: "row" }, ["Index or component", "Value", "Rank among peers", "Rating", "Change"].map(function (h) { return el("th", { scope: "col", role: "columnheader" }, [h]); }))]),
            el("tbody", { role: "rowgroup" }, rows)
          ]);
          section.appendChild(tables[i]);
          section.appendChild(footer(card));
          section.appendChild(el("p", { "class": "meta" }, [link(ORIGIN + "area/" + data.area, "Full scorecard and citation")]));
        });
      }).catch(function (error) { failed(body, error); });
    }
  }

  class LocalindexMap extends HTMLElement {
    static get observedAttributes() { return ["dataset", "measure", "component", "within"]; }
    connectedCallback() { this.render(); }
    attributeChangedCallback() { if (this.isConnected) { this.render(); } }
    render() {
      var body = mount(this);
      var params = ["dataset", "component", "measure", "within"].filter(function (name) { return this.getAttribute(name); }, this)
        .map(function (name) { return name + "=" + encodeURIComponent(this.getAttribute(name)); }, this).join("&");
      api("api/v1/map?" + params).then(function (data) { draw(body, data); }).catch(function (error) { failed(body, error); });
    }
  }

  function draw(body, data) {
    body.textContent = "";
    var where = data.within ? " within " + data.within : "";
    var title = data.component_label + ": " + data.measure_label + ", " + data.features.length + " " + data.level +
      " areas" + where + " (" + data.title + ")";
    body.status.textContent = "Map loaded: " + title + ".";
    var bounds = [Infinity, Infinity, -Infinity, -Infinity];
    data.features.forEach(function (f) { eachPoint(f.geometry, function (p) {
      bounds = [Math.min(bounds[0], p[0]), Math.min(bounds[1], p[1]), Math.max(bounds[2], p[0]), Math.max(bounds[3], p[1])];
    }); });
    var kx = Math.cos((bounds[1] + bounds[3]) / 2 * Math.PI / 180);  // equirectangular, true at mid-latitude
    var width = 800, scale = width / Math.max((bounds[2] - bounds[0]) * kx, 1e-9);
    var height = Math.max(1, Math.round((bounds[3] - bounds[1]) * scale));
    var svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    svg.setAttribute("viewBox", "0 0 " + width + " " + height);
    svg.setAttribute("role", "group");
    svg.setAttribute("aria-label", "Map of " + title);
    data.features.forEach(function (f) {
      var p = f.properties;
      var path = document.createElementNS("http://www.w3.org/2000/svg", "path");
      path.setAttribute("d", pathData(f.geometry, function (pt) {
        return ((pt[0] - bounds[0]) * kx * scale).toFixed(1) + "," + ((bounds[3] - pt[1]) * scale).toFixed(1);
      }));
      path.setAttribute("fill", p["class"] === null ? "#ffffff" : data.classification.classes[p["class"]].colour);
      path.setAttribute("tabindex", "0");
      path.setAttribute("role", "link");
      path.setAttribute("data-code", p.code);
      path.setAttribute("aria-label", p.name + " (" + p.code + "): " + p.text + ". Opens its scorecard in a new window.");
      var tip = document.createElementNS("http://www.w3.org/2000/svg", "title");
      tip.textContent = p.name + " (" + p.code + "): " + p.text;
      path.appendChild(tip);
      var open = function () { window.open(ORIGIN + "area/" + encodeURIComponent(p.code), "_blank", "noopener"); };
      path.addEventListener("click", open);
      path.addEventListener("keydown", function (event) { if (event.key === "Enter" || event.key === " ") { event.preventDefault(); open(); } });
      svg.appendChild(path);
    });
    var details = el("details", {}, [el("summary", {}, ["Table of the " + data.features.length + " areas"])]);
    var skip = el("a", { "class": "skip", href: "#" }, ["Skip the map: the same values as a table"]);
    skip.addEventListener("click", function (event) {
      event.preventDefault(); details.open = true; details.querySelector("summary").focus();
    });
    body.appendChild(el("p", {}, [el("strong", {}, [title])]));
    body.appendChild(el("p", { "class": "meta" }, ["Select an area, or tab to it and press Enter: its scorecard opens in a new window."]));
    body.appendChild(skip);
    body.appendChild(svg);
    body.appendChild(el("ul", { "class": "legend", "aria-label": "Legend" }, data.classification.classes.map(function (c) {
      return el("li", {}, [el("span", { "class": "swatch", style: "background:" + c.colour }), c.label]);
    }).concat([el("li", {}, [el("span", { "class": "swatch", style: "background:#fff" }), "no value"])])));
    body.appendChild(el("p", { "class": "meta" }, ["Classes: " + data.classification.method + ". " + data.boundaries]));
    var table = el("table", {}, [
      el("caption", {}, ["The same values as a table"]),
      el("thead", {}, [el("tr", {}, [el("th", { scope: "col" }, ["Area"]), el("th", { scope: "col" }, ["Value"])])]),
      el("tbody", {}, data.features.map(function (f) {
        var p = f.properties;
        return el("tr", {}, [el("th", { scope: "row" }, [link(p.scorecard, p.name + " (" + p.code + ")")]),
          el("td", { "class": "num" }, [p.observation ? link(p.observation, p.text) : p.text])]);
      }))
    ]);
    details.appendChild(table);
    body.appendChild(details);
    body.appendChild(footer(data));
  }

  function rings(geometry) {
    return geometry.type === "Polygon" ? geometry.coordinates : [].concat.apply([], geometry.coordinates);
  }
  function eachPoint(geometry, visit) { rings(geometry).forEach(function (ring) { ring.forEach(visit); }); }
  function pathData(geometry, project) {
    return rings(geometry).map(function (ring) { return "M" + ring.map(project).join("L") + "Z"; }).join("");
  }

  if (!customElements.get("localindex-scorecard")) { customElements.define("localindex-scorecard", LocalindexScorecard); }
  if (!customElements.get("localindex-map")) { customElements.define("localindex-map", LocalindexMap); }
})();
