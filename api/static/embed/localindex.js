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
    ".meta { font-size: .85em; color: #444; } .error { color: #a00; }",
    "svg { width: 100%; height: auto; background: #f8f8f8; border: 1px solid #999; } path { stroke: #333; stroke-width: .5; }",
    "path:hover, path:focus { stroke: #000; stroke-width: 2; }",
    ".skip { position: absolute; left: -9999px; } .skip:focus { position: static; display: inline-block; background: #ffdd00; padding: .2em .4em; }",
    ".legend { display: flex; flex-wrap: wrap; gap: .3em 1em; list-style: none; padding: 0; margin: .4em 0; }",
    ".swatch { display: inline-block; width: 1em; height: 1em; border: 1px solid #333; margin-right: .3em; vertical-align: middle; }"
  ].join("\n");

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

  function link(href, text) { return el("a", { href: href }, [text]); }

  function footer(data) {
    return el("p", { "class": "meta" }, [
      "Source: ", link(data.uri, data.title), " (stable URI ", el("code", {}, [data.uri]), "), published by ",
      link(data.publisher.uri, data.publisher.name), "; licence ", link(data.licence, data.licence), "."
    ]);
  }

  function mount(host) {
    var root = host.shadowRoot || host.attachShadow({ mode: "open" });
    root.innerHTML = "";
    root.appendChild(el("style", {}, [STYLE]));
    var body = el("div", { part: "body", "aria-live": "polite" }, ["Loading…"]);
    root.appendChild(body);
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
        data.scorecards.forEach(function (card) {
          var rows = card.rows.map(function (row) {
            var rating = row.rating ? el("span", { "class": "rating rating-" + row.rating }, [row.rating_words]) : "";
            var change = row.change ? el("span", { "class": "rating rating-" + row.change.rating }, [row.change.words + " since " + row.change.edition]) : "";
            return el("tr", {}, [
              el("th", { scope: "row" }, [row.label]),
              el("td", { "class": "num" }, [link(row.observation, row.text)]),
              el("td", { "class": "num" }, [row.rank ? row.rank.toLocaleString("en-GB") + " of " + row.universe.toLocaleString("en-GB") : "not ranked"]),
              el("td", {}, [rating]), el("td", {}, [change])
            ]);
          });
          body.appendChild(el("table", {}, [
            el("caption", {}, [data.label + " (" + data.area + "): " + card.title]),
            el("thead", {}, [el("tr", {}, ["Index or component", "Value", "Rank among peers", "Rating", "Change"].map(function (h) { return el("th", { scope: "col" }, [h]); }))]),
            el("tbody", {}, rows)
          ]));
          body.appendChild(footer(card));
          body.appendChild(el("p", { "class": "meta" }, [link(ORIGIN + "area/" + data.area, "Full scorecard and citation")]));
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
