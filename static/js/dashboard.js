// Draws the dashboard's plotly figures (JSON in <script type="application/json">)
// in the page's light or dark palette, and again when the panels are swapped in.
(function () {
  "use strict";

  function palette() {
    var css = getComputedStyle(document.documentElement);
    var pick = function (name, fallback) {
      return (css.getPropertyValue(name) || "").trim() || fallback;
    };
    return { fg: pick("--fg", "#1b1f24"), grid: pick("--border", "#d0d7de"),
             muted: pick("--muted", "#57606a") };
  }

  function themed(layout) {
    var p = palette();
    var copy = JSON.parse(JSON.stringify(layout));
    copy.font = Object.assign({}, copy.font, { color: p.fg });
    ["xaxis", "yaxis"].forEach(function (axis) {
      copy[axis] = Object.assign({}, copy[axis], {
        gridcolor: p.grid, linecolor: p.grid, zerolinecolor: p.grid,
        tickfont: { color: p.muted },
      });
    });
    copy.hoverlabel = { bgcolor: getComputedStyle(document.body).backgroundColor, font: { color: p.fg } };
    return copy;
  }

  // The utc moment as the server writes bucket bounds: 2026-11-29T09:00:00Z.
  function utc(moment) {
    return moment.toISOString().replace(/\.\d{3}Z$/, "Z");
  }

  // What a point opens: its own link (customdata: an event's page), or its
  // trace's (meta.link), narrowed to the point's bucket [x, x + bucket_s) when
  // the trace says how wide one is: dashboard.board.charts.bucket_link.
  function target(el, p) {
    if (typeof p.customdata === "string") { return p.customdata; }
    var trace = el._figure && el._figure.data[p.curveNumber];
    var meta = trace && trace.meta;
    if (!meta || typeof meta.link !== "string" || !meta.link) { return ""; }
    if (!meta.bucket_s) { return meta.link; }
    var begin = new Date(trace.x[p.pointNumber]);
    if (isNaN(begin.getTime())) { return meta.link; }
    var end = new Date(begin.getTime() + meta.bucket_s * 1000);
    return meta.link + (meta.link.indexOf("?") >= 0 ? "&" : "?") +
      "from=" + encodeURIComponent(utc(begin)) + "&to=" +
      encodeURIComponent(utc(end)) + "&drill=1";
  }

  // With hovermode "x unified" a click reports a point of every trace near
  // that x, some without a link (a budget's dashed line): open the linked one
  // drawn nearest the pointer (the line clicked, a breach's ✕, an event's
  // marker on the overlaid top axis).
  function clicked(el, event) {
    var points = ((event && event.points) || []).filter(function (p) {
      p.target = target(el, p);
      return p.target;
    });
    if (points.length < 2 || !event.event || !el._fullLayout) { return points[0]; }
    var box = el.getBoundingClientRect();
    var size = el._fullLayout._size;
    var px = event.event.clientX - box.left - size.l;
    var py = event.event.clientY - box.top - size.t;
    var best = points[0], bestDistance = Infinity;
    points.forEach(function (p) {
      if (!p.xaxis || !p.yaxis) { return; }
      var dx = p.xaxis.l2p(p.xaxis.d2l(p.x)) - px;
      var dy = p.yaxis.l2p(p.yaxis.d2l(p.y)) - py;
      var distance = dx * dx + dy * dy;
      if (distance < bestDistance) { best = p; bestDistance = distance; }
    });
    return best;
  }

  function draw(root) {
    if (!window.Plotly) { return; }
    (root || document).querySelectorAll("[data-chart]").forEach(function (el) {
      var source = document.getElementById(el.dataset.chart);
      if (!source) { return; }
      var figure = JSON.parse(source.textContent);
      el._figure = figure;
      window.Plotly.react(el, figure.data, themed(figure.layout),
        { responsive: true, displaylogo: false });
      if (!el._drills && el.on) {
        // A point that carries a link (a path under the domain: target())
        // opens the page behind it.
        el._drills = true;
        el.on("plotly_click", function (event) {
          var point = clicked(el, event);
          var panel = el.closest("[data-base]");
          if (point && point.target && panel) {
            window.location.assign(panel.dataset.base + point.target);
          }
        });
      }
    });
  }

  // Auto-refresh (?refresh=1): the panels poll with hx-trigger="every 60s";
  // nobody looks at a hidden tab, so its polls are skipped until it shows.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail && event.detail.elt;
    if (elt && elt.hasAttribute && elt.hasAttribute("data-auto-refresh") &&
        document.visibilityState === "hidden") {
      event.preventDefault();
    }
  });

  function redrawAll() {
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      if (el._figure) {
        window.Plotly.react(el, el._figure.data, themed(el._figure.layout),
          { responsive: true, displaylogo: false });
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () { draw(document); });
  document.addEventListener("htmx:afterSettle", function (event) { draw(event.detail.elt); });
  if (window.matchMedia) {
    window.matchMedia("(prefers-color-scheme: dark)").addEventListener("change", redrawAll);
  }
})();
