// Shows every <time data-when> in the viewer's timezone, or in UTC when they
// chose so with the header's switch (remembered in localStorage). The server
// writes UTC, so without JavaScript the page still reads right.
(function () {
  "use strict";
  var KEY = "controlplane.tz";

  function useUtc() {
    try { return window.localStorage.getItem(KEY) === "utc"; } catch (e) { return false; }
  }

  function pad(n) { return n < 10 ? "0" + n : "" + n; }

  function render(root) {
    var utc = useUtc();
    (root || document).querySelectorAll("time[data-when]").forEach(function (el) {
      var d = new Date(el.getAttribute("datetime"));
      if (isNaN(d.getTime())) { return; }
      var parts = utc
        ? [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes()]
        : [d.getFullYear(), d.getMonth() + 1, d.getDate(), d.getHours(), d.getMinutes()];
      var text = parts[0] + "-" + pad(parts[1]) + "-" + pad(parts[2]);
      if (el.dataset.when !== "date") { text += " " + pad(parts[3]) + ":" + pad(parts[4]); }
      if (el.dataset.when === "clock") { text = pad(parts[3]) + ":" + pad(parts[4]); }
      el.textContent = text + (utc ? " UTC" : "");
      el.title = el.getAttribute("datetime");
    });
    document.querySelectorAll("[data-tz-switch]").forEach(function (button) {
      button.textContent = utc ? "Times: UTC" : "Times: local";
      button.setAttribute("aria-pressed", utc ? "true" : "false");
    });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-tz-switch]");
    if (!button) { return; }
    try { window.localStorage.setItem(KEY, useUtc() ? "local" : "utc"); } catch (e) { /* private mode */ }
    render(document);
  });
  document.addEventListener("DOMContentLoaded", function () { render(document); });
  document.addEventListener("htmx:afterSettle", function (event) { render(event.detail.elt); });
})();
