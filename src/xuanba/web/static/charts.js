// Draws each chart of a page: <div class="chart" data-figure="ID"> takes the Plotly figure in the
// JSON data block <script type="application/json" id="ID"> (data, never run). Served by the app,
// so the Content-Security-Policy can forbid every inline script.
(function () {
  function draw(root) {
    if (!window.Plotly) { return; }
    root.querySelectorAll("div.chart[data-figure]").forEach(function (div) {
      var block = document.getElementById(div.getAttribute("data-figure"));
      if (!block || div.getAttribute("data-drawn")) { return; }
      var fig = JSON.parse(block.textContent);
      div.setAttribute("data-drawn", "1");
      window.Plotly.newPlot(div, fig.data || [], fig.layout || {}, {displaylogo: false, responsive: true});
    });
  }
  document.addEventListener("DOMContentLoaded", function () { draw(document); });
  document.addEventListener("htmx:afterSwap", function (e) { draw(e.target); });
})();
