// Draws every chart on the page from its figure, which the page carries as JSON in
// <script type="application/json" id="CHART-data">. A file rather than inline code, so the
// Content-Security-Policy can forbid every inline script.
document.querySelectorAll('script[type="application/json"][id$="-data"]').forEach(function (node) {
  var fig = JSON.parse(node.textContent);
  var id = node.id.replace(/-data$/, '');
  Plotly.newPlot(id, fig.data, fig.layout, {responsive: true, displaylogo: false,
    locale: document.documentElement.lang === 'en' ? 'en' : 'zh-CN'}).then(function () {
      document.getElementById(id).setAttribute('data-rendered', 'true');
  });
});
