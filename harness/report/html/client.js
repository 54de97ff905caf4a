// Browser side of report.html, inlined into the page after uPlot. Plain ES2020, no modules: the page
// opens from disk (file://), where module scripts and fetches of neighbouring files are blocked.
// Reads the data embedded in #chainsoak-data; draws the charts; adds hover details and click-to-zoom to
// the flame graphs and copy buttons to the pprof commands.
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('chainsoak-data').textContent);

  var UNITS = ['B', 'KB', 'MB', 'GB', 'TB'];
  function fmtBytes(v) {
    if (v == null || !isFinite(v)) return '–';
    var a = Math.abs(v), i = 0;
    while (a >= 1024 && i < UNITS.length - 1) { a /= 1024; i++; }
    return (v < 0 ? '-' : '') + (i === 0 ? a.toFixed(0) : a.toFixed(a < 10 ? 2 : 1)) + ' ' + UNITS[i];
  }
  function fmtCount(v) {
    if (v == null || !isFinite(v)) return '–';
    return Math.abs(v) >= 100 || Number.isInteger(v) ? Math.round(v).toLocaleString('en-US') : v.toFixed(2);
  }
  var FORMAT = {
    bytes: fmtBytes,
    count: fmtCount,
    rate: function (v) { return v == null ? '–' : fmtCount(v) + '/s'; },
    ms: function (v) { return v == null ? '–' : v.toFixed(1) + ' ms'; },
  };

  // Phase bands behind the series, fault markers in front.
  var BAND_FILLS = ['rgba(31,95,191,0.07)', 'rgba(11,122,62,0.07)', 'rgba(138,109,0,0.08)', 'rgba(106,61,154,0.07)'];
  function eventsPlugin(bands, faults) {
    function x(u, t) { return u.valToPos(t, 'x', true); }
    return {
      hooks: {
        drawClear: [function (u) {
          var ctx = u.ctx, top = u.bbox.top, h = u.bbox.height, left = u.bbox.left, right = left + u.bbox.width;
          ctx.save();
          ctx.font = Math.round(10 * devicePixelRatio) + 'px sans-serif';
          ctx.textBaseline = 'top';
          bands.forEach(function (b, i) {
            var x0 = Math.max(left, x(u, b.start)), x1 = Math.min(right, x(u, b.end));
            if (x1 <= x0) return;
            ctx.fillStyle = b.name === 'setup' ? 'rgba(0,0,0,0.04)' : BAND_FILLS[i % BAND_FILLS.length];
            ctx.fillRect(x0, top, x1 - x0, h);
            ctx.fillStyle = '#555';
            if (x1 - x0 > 30 * devicePixelRatio) ctx.fillText(b.name, x0 + 3 * devicePixelRatio, top + 2 * devicePixelRatio);
          });
          ctx.restore();
        }],
        draw: [function (u) {
          var ctx = u.ctx, top = u.bbox.top, h = u.bbox.height, left = u.bbox.left, right = left + u.bbox.width;
          ctx.save();
          ctx.strokeStyle = '#c0162c';
          ctx.fillStyle = '#c0162c';
          ctx.lineWidth = 1.5 * devicePixelRatio;
          ctx.setLineDash([5 * devicePixelRatio, 4 * devicePixelRatio]);
          ctx.font = Math.round(10 * devicePixelRatio) + 'px sans-serif';
          ctx.textBaseline = 'bottom';
          faults.forEach(function (f, i) {
            var px = x(u, f.t);
            if (px < left || px > right) return;
            ctx.beginPath(); ctx.moveTo(px, top); ctx.lineTo(px, top + h); ctx.stroke();
            ctx.fillText(f.label, px + 3 * devicePixelRatio, top + h - 2 * devicePixelRatio - (i % 3) * 12 * devicePixelRatio);
          });
          ctx.restore();
        }],
      },
    };
  }

  // Unzoomed (uPlot asks for the data's first to last x), every chart spans the whole run, so charts of
  // different nodes line up; a drag-zoom asks for anything else and gets it.
  function fullRun(u, min, max) {
    var xs = u.data[0];
    if (xs.length && min === xs[0] && max === xs[xs.length - 1]) return [0, data.end];
    return [min, max];
  }

  var charts = [];
  window.chainsoakCharts = charts; // for tests and for poking at the data from the console
  data.charts.forEach(function (spec) {
    var el = document.getElementById(spec.id);
    if (!el) return;
    var fmt = FORMAT[spec.unit] || fmtCount;
    // Each series is its own table: uPlot.join leaves `undefined` where only another series has an x
    // (spanned) and keeps our nulls (real gaps: the node was down).
    var joined = uPlot.join(spec.series.map(function (s) { return [s.x, s.y]; }));
    var series = [{ label: 't', value: function (u, v) { return v == null ? '–' : v.toFixed(1) + ' s'; } }];
    spec.series.forEach(function (s) {
      var opt = { label: s.label, stroke: s.color, width: 1.5, value: function (u, v) { return fmt(v); } };
      if (s.dash) opt.dash = s.dash;
      if (s.points) {
        opt.paths = function () { return null; };
        opt.points = { show: true, size: 9, stroke: s.color, fill: s.color };
      }
      series.push(opt);
    });
    var opts = {
      width: Math.max(320, el.clientWidth || 800),
      height: 260,
      scales: { x: { time: false, range: fullRun } },
      series: series,
      axes: [
        { label: 's since start', labelSize: 18, size: 36 },
        { size: 80, values: function (u, splits) { return splits.map(fmt); } },
      ],
      cursor: { drag: { x: true, y: false } },
      legend: { live: true },
      plugins: [eventsPlugin(data.bands, data.faults)],
    };
    var plot = new uPlot(opts, joined, el);
    charts.push({ id: spec.id, plot: plot });
  });
  var resizeTimer;
  window.addEventListener('resize', function () {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(function () {
      charts.forEach(function (c) {
        var el = document.getElementById(c.id);
        c.plot.setSize({ width: Math.max(320, el.clientWidth), height: 260 });
      });
    }, 100);
  });

  // Flame graphs: hover shows a frame's bytes; click zooms the frame to full width (its ancestors stay
  // as full-width context rows), clicking the top row resets.
  Array.prototype.forEach.call(document.querySelectorAll('svg.flame'), function (svg) {
    var info = document.getElementById(svg.id.replace(/^flame-/, 'flame-info-'));
    var width = Number(svg.getAttribute('data-width'));
    var frames = Array.prototype.slice.call(svg.querySelectorAll('g.frame'));
    function describe(g) {
      var b = Number(g.getAttribute('data-before')), a = Number(g.getAttribute('data-after')), d = a - b;
      return g.getAttribute('data-name') + ' — before ' + fmtBytes(b) + ', after ' + fmtBytes(a) + ', delta ' + (d > 0 ? '+' : '') + fmtBytes(d);
    }
    function fit(name, w) {
      var chars = Math.floor((w - 6) / 6.6);
      if (chars < 3) return '';
      return name.length <= chars ? name : name.slice(0, chars - 1) + '…';
    }
    function zoom(target) {
      var zx = Number(target.getAttribute('data-x')), zw = Number(target.getAttribute('data-w')) || 1;
      var zd = Number(target.getAttribute('data-depth'));
      frames.forEach(function (g) {
        var gx = Number(g.getAttribute('data-x')), gw = Number(g.getAttribute('data-w')), d = Number(g.getAttribute('data-depth'));
        var inside = gx >= zx - 1e-12 && gx + gw <= zx + zw + 1e-12;
        var ancestor = d < zd && gx <= zx + 1e-12 && gx + gw >= zx + zw - 1e-12;
        var rect = g.querySelector('rect'), text = g.querySelector('text');
        if (!(inside && d >= zd) && !ancestor) { g.style.display = 'none'; return; }
        g.style.display = '';
        var x = ancestor ? 0 : ((gx - zx) / zw) * width, w = ancestor ? width : (gw / zw) * width;
        rect.setAttribute('x', x.toFixed(2));
        rect.setAttribute('width', Math.max(0, w - 0.5).toFixed(2));
        text.setAttribute('x', (x + 3).toFixed(2));
        text.textContent = fit(g.getAttribute('data-label'), w);
        g.classList.toggle('context', ancestor);
      });
    }
    frames.forEach(function (g) {
      g.addEventListener('mouseenter', function () { if (info) info.textContent = describe(g); });
      g.addEventListener('click', function () { zoom(g); });
    });
  });

  // Copy buttons next to the pprof commands.
  Array.prototype.forEach.call(document.querySelectorAll('button.copy'), function (button) {
    button.addEventListener('click', function () {
      var text = button.parentNode.querySelector('code').textContent;
      var done = function () { button.textContent = 'copied'; setTimeout(function () { button.textContent = 'copy'; }, 1500); };
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(text).then(done, function () { selectText(button.parentNode.querySelector('code')); });
      } else {
        selectText(button.parentNode.querySelector('code'));
      }
    });
  });
  function selectText(el) {
    var range = document.createRange();
    range.selectNodeContents(el);
    var sel = window.getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
  }
})();
