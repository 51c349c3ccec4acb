// The SPARQL page's editor: YASGUI (vendored under /static/vendor/yasgui/) over this endpoint, in place
// of the plain form, which stays the page without JavaScript. Each example's "Open in the editor" link
// becomes a button that puts its query in the editor and runs it.
(function () {
  "use strict";
  var form = document.getElementById("query-form");
  var status = document.getElementById("editor-status");
  if (!form || typeof window.Yasgui !== "function") { return; }  // the plain form stays
  var endpoint = window.location.href.split(/[?#]/)[0];  // this page is the endpoint
  var shared = /[#&]query=/.test(window.location.hash);  // YASGUI reads the query there, and clears it
  var holder = document.createElement("div");
  holder.id = "yasgui";
  form.parentNode.insertBefore(holder, form);
  form.hidden = true;

  var yasgui = new window.Yasgui(holder, {
    requestConfig: { endpoint: endpoint, method: "POST" },
    copyEndpointOnNewTab: true,
    endpointCatalogueOptions: { getData: function () { return [{ endpoint: endpoint }]; } },
    persistenceId: null,  // the page's query, not one left in localStorage by an earlier visit
    populateFromUrl: true,  // a link from YASGUI's share button: this page, the query after its "#"
    autofocus: false,
    yasqe: {
      value: form.elements.query.value,
      autocompleters: ["prefixes", "variables"],  // no lookups on other sites (LOV) as one types
      screenReaderLabel: "SPARQL query",  // CodeMirror's own text area
      persistenceId: null,
      // as tall as the query, lines wrapped: no scrolling region a keyboard cannot reach (with the CSS)
      resizeable: false,
      viewportMargin: Infinity,
      lineWrapping: true
    },
    yasr: { persistenceId: null }
  });
  var tab = function () { return yasgui.getTab(); };
  tab().setEndpoint(endpoint);
  if (!shared) { tab().setQuery(form.elements.query.value); }
  label(holder);
  new MutationObserver(function () { label(holder); }).observe(holder, { childList: true, subtree: true });

  yasgui.on("queryResponse", function () {
    status.textContent = "The query answered: its results are below the editor.";
  });

  Array.prototype.forEach.call(document.querySelectorAll("a.example-open"), function (link) {
    var name = link.getAttribute("data-example");
    var code = document.getElementById("example-query-" + name);
    var title = document.getElementById("example-" + name);
    var button = document.createElement("button");
    button.type = "button";
    button.className = "example-run";
    button.innerHTML = link.innerHTML.replace("Open in the editor", "Run in the editor");
    button.addEventListener("click", function () {
      tab().setQuery(code.textContent);
      status.textContent = "Running “" + title.textContent + "” in the editor.";
      document.getElementById("editor-heading").focus();
      tab().query();
    });
    link.parentNode.replaceChild(button, link);
  });

  // YASGUI's own controls, named for people who cannot see their icons.
  function label(root) {
    var names = [
      ["input.autocomplete", "SPARQL endpoint"],
      [".yasqe_queryButton", "Run the query"],
      [".yasqe_share", "Share the query"],
      ["button.addTab", "New tab"],
      [".tabContextButton", "Tab settings"],
      [".yasr_btn.yasr_downloadIcon", "Download the results"],
      [".yasr_btn.yasr_external_ref_btn", "Help on this view"],
      [".yasr_btn.fullscreen", "Show the results full screen"],
      ["select.tableSizer", "Results per page"],
      ["input.tableFilter", "Filter the results"],
      ["th.dt-orderable-none", "Row"]
    ];
    names.forEach(function (pair) {
      Array.prototype.forEach.call(root.querySelectorAll(pair[0]), function (element) {
        var control = /^(INPUT|SELECT|TEXTAREA)$/.test(element.tagName);
        if (!element.getAttribute("aria-label") && (control || !element.textContent.trim())) {
          element.setAttribute("aria-label", pair[1]);
        }
      });
    });
  }
})();
