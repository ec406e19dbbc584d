// Draws every chart on the page from its figure, which the page carries as JSON in
// <script type="application/json" id="CHART-data">. A file rather than inline code, so the
// Content-Security-Policy can forbid every inline script.

// Plotly never wraps a title or a tick label: on a narrow screen (a phone, 390 px) long ones are cut
// off. Before drawing, titles and the category labels of horizontal bars are broken into lines that fit
// the chart's width (a Chinese character counts about twice a Latin letter).
function textUnits(s) {
  var n = 0;
  for (var i = 0; i < s.length; i++) n += s.charCodeAt(i) > 0x2e80 ? 1 : 0.55;
  return n;
}

function wrapText(s, maxUnits) {
  if (typeof s !== 'string' || s.indexOf('<br>') >= 0 || textUnits(s) <= maxUnits) return s;
  var lines = [], line = '', words = s.split(/(\s+)/);
  words.forEach(function (w) {
    // a word longer than a line (Chinese has no spaces) is cut by characters
    while (textUnits(line + w) > maxUnits && textUnits(w) > 0) {
      if (line.trim() && textUnits(w) <= maxUnits) { lines.push(line.trim()); line = ''; continue; }
      var k = 0, u = textUnits(line);
      while (k < w.length && u + textUnits(w[k]) <= maxUnits) { u += textUnits(w[k]); k++; }
      if (k === 0) { lines.push(line.trim()); line = ''; k = 1; }
      line += w.slice(0, k); w = w.slice(k);
      lines.push(line.trim()); line = '';
    }
    line += w;
  });
  if (line.trim()) lines.push(line.trim());
  return lines.filter(Boolean).join('<br>');
}

function fitWidth(fig, width) {
  var layout = fig.layout || {};
  if (width >= 700) return;
  var titleUnits = Math.max(10, Math.floor((width - 30) / 15));
  if (layout.title && layout.title.text) {
    layout.title.text = wrapText(layout.title.text, titleUnits);
    var lines = layout.title.text.split('<br>').length;
    layout.margin = Object.assign({}, layout.margin || {}, {t: 30 + 20 * lines, l: 45, r: 10});
  }
  var bars = (fig.data || []).filter(function (t) { return t.type === 'bar' && t.orientation === 'h'; });
  // room on the right for the last year's tick label (2025 under a target marker was hidden past the edge)
  if (!bars.length) layout.margin = Object.assign({}, layout.margin || {}, {r: 28});
  // a count that does not fit its thin bar segment at a readable size is left out (it was drawn tiny and
  // turned on its side); the table and the hover text give every count
  if (bars.length) layout.uniformtext = {minsize: 10, mode: 'hide'};
  if (!bars.length) layout.height = Math.max(layout.height || 0, 440);  // room for the legend below
  var plotHeight = layout.height ? layout.height - 230 : 260;
  Object.keys(layout).filter(function (k) { return /^[xy]axis/.test(k); }).forEach(function (k) {
    var ax = layout[k];
    if (!ax) return;
    ax.automargin = true;
    if (!ax.title || !ax.title.text) return;
    if (k[0] === 'x' && !bars.length) ax.title.text = '';  // years need no title; the legend sits there
    else ax.title.text = wrapText(ax.title.text, k[0] === 'y' ? Math.max(8, Math.floor(plotHeight / 14)) : titleUnits);
  });
  if (bars.length) {  // category names on the y axis: at most ~40 % of the width, in lines
    var names = bars[0].y || [];
    var labelUnits = Math.max(6, Math.floor(width * 0.4 / 13));
    layout.yaxis = Object.assign({}, layout.yaxis || {}, {tickmode: 'array', tickvals: names,
      ticktext: names.map(function (n) { return wrapText(String(n), labelUnits); }), automargin: true});
    var most = Math.max.apply(null, names.map(function (n) { return wrapText(String(n), labelUnits).split('<br>').length; }).concat([1]));
    if (layout.height) layout.height = Math.max(layout.height, 140 + names.length * (20 * most + 16));
    if (layout.height && layout.legend) {  // the legend just under the axis, not a fixed share of a tall plot
      layout.legend = Object.assign({}, layout.legend, {y: -Math.min(0.3, 70 / Math.max(1, layout.height - 150))});
    }
  }
}

document.querySelectorAll('script[type="application/json"][id$="-data"]').forEach(function (node) {
  var fig = JSON.parse(node.textContent);
  var id = node.id.replace(/-data$/, '');
  var el = document.getElementById(id);
  fitWidth(fig, el.clientWidth || window.innerWidth);
  Plotly.newPlot(id, fig.data, fig.layout, {responsive: true, displaylogo: false,
    locale: document.documentElement.lang === 'en' ? 'en' : 'zh-CN'}).then(function () {
      el.setAttribute('data-rendered', 'true');
  });
});
