// Suggestions as you type in the search box of every page (an ARIA 1.2 combobox with a listbox).
// Without JavaScript the box is a plain form that opens /search; with it, /api/v1/search fills a list
// that arrow keys move through, Enter opens and Escape closes (a second Escape clears the box, as a
// search box does); the count is announced politely.
(function () {
  "use strict";
  function start() {
    var input = document.getElementById("site-search-q");
    var list = document.getElementById("site-search-list");
    var status = document.getElementById("site-search-status");
    if (!input || !list || !window.fetch) { return; }
    var results = [], active = -1, timer = null, asked = "";

    function close() {
      list.hidden = true; list.innerHTML = ""; results = []; active = -1;
      input.setAttribute("aria-expanded", "false"); input.removeAttribute("aria-activedescendant");
    }
    function describe(r) {
      var where = r.district ? ", " + r.district.name : "";
      var was = r.former_name ? "; called " + r.former_name.name + " in " + r.former_name.vintage_title : "";
      return r.vintage_title + where + (r.current ? "" : " (no longer in use)") + was;
    }
    function show(found) {
      results = found; active = -1; list.innerHTML = "";
      found.forEach(function (r, i) {
        var item = document.createElement("li");
        item.id = "site-search-option-" + i;
        item.setAttribute("role", "option");
        item.setAttribute("aria-selected", "false");
        var name = document.createElement("span");
        name.className = "suggestion-name"; name.textContent = r.name;
        var meta = document.createElement("span");
        meta.className = "suggestion-meta"; meta.textContent = describe(r);
        item.appendChild(name); item.appendChild(document.createTextNode(" ")); item.appendChild(meta);
        item.addEventListener("mousedown", function (event) { event.preventDefault(); go(i); });
        list.appendChild(item);
      });
      list.hidden = found.length === 0;
      input.setAttribute("aria-expanded", found.length ? "true" : "false");
      status.textContent = found.length ? found.length + " suggestions; use the arrow keys" : "No suggestions";
    }
    function highlight(i) {
      var items = list.querySelectorAll("[role=option]");
      items.forEach(function (item, k) { item.setAttribute("aria-selected", k === i ? "true" : "false"); });
      active = i;
      if (i >= 0) { input.setAttribute("aria-activedescendant", items[i].id); items[i].scrollIntoView({block: "nearest"}); }
      else { input.removeAttribute("aria-activedescendant"); }
    }
    function go(i) { window.location.href = "/area/" + encodeURIComponent(results[i].code); }
    function ask() {
      var q = input.value.trim();
      if (q.length < 2) { close(); return; }
      asked = q;
      fetch("/api/v1/search?limit=8&q=" + encodeURIComponent(q), {headers: {Accept: "application/json"}})
        .then(function (answer) { return answer.ok ? answer.json() : {results: []}; })
        .then(function (body) { if (asked === q) { show(body.results || []); } })
        .catch(close);
    }
    input.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(ask, 150); });
    input.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown" && results.length) { event.preventDefault(); highlight((active + 1) % results.length); }
      else if (event.key === "ArrowUp" && results.length) { event.preventDefault(); highlight(active <= 0 ? results.length - 1 : active - 1); }
      else if (event.key === "Enter" && active >= 0) { event.preventDefault(); go(active); }
      // Escape closes an open list and keeps the text (a search box would clear it); a second clears it
      else if (event.key === "Escape" && !list.hidden) { event.preventDefault(); close(); }
    });
    input.addEventListener("blur", function () { setTimeout(close, 100); });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
