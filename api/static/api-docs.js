// The REST API page: Redoc (vendored under /static/vendor/redoc/) draws the OpenAPI document in place
// of the table of operations, which stays the page without JavaScript.
(function () {
  "use strict";
  var holder = document.getElementById("redoc");
  if (!holder || !window.Redoc) { return; }
  var options = {
    hideLoading: true,
    expandResponses: "200",
    jsonSamplesExpandLevel: 2,
    menuToggle: true,
    nativeScrollbars: true
  };
  // Redoc names each menu entry by its summary alone, hiding the method shown beside it: let the entry's
  // own text (method and summary) name it, as people see it.
  new MutationObserver(function () {
    Array.prototype.forEach.call(holder.querySelectorAll("li[role=menuitem][aria-label]"), function (item) {
      item.removeAttribute("aria-label");
    });
  }).observe(holder, { childList: true, subtree: true, attributes: true, attributeFilter: ["aria-label"] });
  window.Redoc.init(holder.getAttribute("data-spec"), options, holder, function (error) {
    holder.setAttribute("data-drawn", error ? "error" : "true");
  });
})();
