/**
 * @internal The dashboard's browser script (plain ES2020, no dependencies). It polls
 * `stats` every second and `health` (with each figure's band) + `advice` every 5 s (relative URLs: the page is
 * served at the handler's base path with a trailing slash), keeps the last 5 minutes of
 * samples per pool in a ring buffer, and draws hand-made SVG line charts. Every value
 * from the server goes through `textContent` or numeric attributes, never HTML.
 */
export const DASHBOARD_SCRIPT = `
(function () {
  'use strict';
  var WINDOW_S = 300, POLL_MS = 1000, SLOW_MS = 5000;
  var W = 600, H = 150, L = 40, R = 8, T = 8, B = 18;
  var SVG = 'http://www.w3.org/2000/svg';
  var COUNTS = [['size', 'size'], ['borrowed', 'borrowed'], ['idle', 'idle'], ['pending', 'pending'], ['max', 'max']];
  var WAIT = [['p99', 'p99 wait (ms)']];
  var BANDS = [['saturation', 'saturation'], ['timeoutRate', 'timeouts'], ['errorRate', 'create errors']];
  var main = document.getElementById('pools');
  var status = document.getElementById('status');
  var pools = new Map();

  function el(tag, cls, parent, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    if (parent) parent.appendChild(e);
    return e;
  }
  function svgEl(tag, attrs, parent) {
    var e = document.createElementNS(SVG, tag);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    parent.appendChild(e);
    return e;
  }
  function fmt(v) {
    if (v >= 100 || v === 0) return String(Math.round(v));
    if (v >= 10) return v.toFixed(1);
    return v.toFixed(2);
  }
  function nice(v) {
    if (!(v > 0)) return 1;
    var p = Math.pow(10, Math.floor(Math.log10(v))), m = v / p;
    return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
  }

  function chart(parent, series, title, name) {
    var head = el('div', 'chart-title', parent);
    el('span', '', head, title);
    series.forEach(function (s) { el('span', 'key ' + s[0], head, s[1]); });
    var svg = svgEl('svg', { 'class': 'chart', viewBox: '0 0 ' + W + ' ' + H, role: 'img', 'aria-label': title + ' of ' + name }, parent);
    [0, 0.5, 1].forEach(function (f) {
      var y = T + (H - T - B) * f;
      svgEl('line', { 'class': 'grid', x1: L, x2: W - R, y1: y, y2: y }, svg);
    });
    var top = svgEl('text', { x: L - 4, y: T + 8, 'text-anchor': 'end' }, svg);
    var mid = svgEl('text', { x: L - 4, y: T + (H - T - B) / 2 + 3, 'text-anchor': 'end' }, svg);
    svgEl('text', { x: L - 4, y: H - B + 3, 'text-anchor': 'end' }, svg).textContent = '0';
    var left = svgEl('text', { x: L, y: H - 4 }, svg);
    svgEl('text', { x: W - R, y: H - 4, 'text-anchor': 'end' }, svg).textContent = 'now';
    var lines = series.map(function (s) { return svgEl('polyline', { 'class': s[0], points: '' }, svg); });
    return { series: series, lines: lines, top: top, mid: mid, left: left };
  }

  // The x axis spans the history kept, at least 30 s and at most WINDOW_S.
  function draw(c, ring, now) {
    var span = Math.min(WINDOW_S * 1000, Math.max(30000, ring.length ? now - ring[0].t : 0));
    c.left.textContent = span < 120000 ? '-' + Math.round(span / 1000) + ' s' : '-' + Math.round(span / 60000) + ' min';
    var max = 0;
    ring.forEach(function (r) { c.series.forEach(function (s) { if (r[s[0]] > max) max = r[s[0]]; }); });
    max = nice(max);
    c.top.textContent = fmt(max);
    c.mid.textContent = fmt(max / 2);
    c.series.forEach(function (s, i) {
      var pts = [];
      ring.forEach(function (r) {
        var x = L + (W - L - R) * (1 - (now - r.t) / span);
        if (x >= L) pts.push(x.toFixed(1) + ',' + (T + (H - T - B) * (1 - r[s[0]] / max)).toFixed(1));
      });
      c.lines[i].setAttribute('points', pts.join(' '));
    });
  }

  function card(name) {
    var p = pools.get(name);
    if (p) return p;
    var root = el('section', 'pool', main);
    root.setAttribute('data-pool', name);
    var h = el('h2', '', root);
    el('span', '', h, name);
    p = { ring: [], badge: el('span', 'badge', h, '…'), figures: el('div', 'figures', root) };
    p.bands = el('div', 'bands', root);
    p.reasons = el('ul', 'reasons', root);
    p.counts = chart(root, COUNTS, 'connections', name);
    p.wait = chart(root, WAIT, 'wait', name);
    el('div', 'chart-title', root, 'advice');
    p.advice = el('ul', 'advice', root);
    pools.set(name, p);
    return p;
  }

  function figures(p, s) {
    p.figures.textContent = '';
    // Destroys by reason (the recycle rate, and why), only the reasons that happened.
    var by = s.destroyedBy ? Object.keys(s.destroyedBy).filter(function (k) { return s.destroyedBy[k] > 0; })
      .map(function (k) { return k + ' ' + s.destroyedBy[k]; }).join(', ') : undefined;
    [['size', s.size + ' / ' + (s.limit !== undefined ? s.limit : s.max)], ['borrowed', s.borrowed], ['idle', s.idle], ['pending', s.pending],
      ['p99 wait', fmt(s.waitTime ? s.waitTime.p99 : 0) + ' ms'], ['timeouts', s.timeouts], ['create errors', s.createErrors],
      ['closing', s.closing], ['destroyed by', by === '' ? 'none' : by]]
      .forEach(function (f) {
        var span = el('span', '', p.figures, f[0] + ' ');
        el('b', '', span, String(f[1] === undefined ? '–' : f[1]));
      });
  }

  // A pool's stats, or a keyed pool's totals (max: maxTotal; p99 wait: the worst key's).
  function snapshot(entry) {
    var s = entry.stats;
    if (s && typeof s.size === 'number') return s;
    if (!s || !s.total || typeof s.total.size !== 'number') return null;
    var p99 = 0;
    (Array.isArray(s.perKey) ? s.perKey : []).forEach(function (k) { if (k.waitTime && k.waitTime.p99 > p99) p99 = k.waitTime.p99; });
    return Object.assign({}, s.total, { max: s.total.max !== undefined ? s.total.max : s.maxTotal, waitTime: { p99: p99 } });
  }

  function fetchJson(path) {
    return fetch(path, { cache: 'no-store', headers: { accept: 'application/json' } }).then(function (r) {
      if (r.status !== 200 && r.status !== 503) throw new Error(path + ': HTTP ' + r.status);
      return r.json();
    });
  }

  function pollStats() {
    fetchJson('stats').then(function (body) {
      var now = Date.now();
      body.pools.forEach(function (entry) {
        var s = snapshot(entry);
        var p = card(entry.name);
        if (!s) return;
        p.ring.push({ t: now, size: s.size, borrowed: s.borrowed, idle: s.idle, pending: s.pending, max: s.max, p99: s.waitTime ? s.waitTime.p99 : 0 });
        while (p.ring.length && now - p.ring[0].t > WINDOW_S * 1000) p.ring.shift();
        figures(p, s);
        draw(p.counts, p.ring, now);
        draw(p.wait, p.ring, now);
      });
      status.className = '';
      status.textContent = 'updated ' + new Date(now).toLocaleTimeString();
    }).catch(function (e) {
      status.className = 'error';
      status.textContent = 'cannot reach the pool admin handler (' + e.message + '); retrying';
    }).then(function () { setTimeout(pollStats, POLL_MS); });
  }

  function pollSlow() {
    Promise.all([fetchJson('health'), fetchJson('advice')]).then(function (res) {
      res[0].pools.forEach(function (h) {
        var p = card(h.name);
        p.badge.className = 'badge ' + h.status;
        p.badge.textContent = h.status;
        p.reasons.textContent = '';
        h.reasons.forEach(function (r) { el('li', '', p.reasons, r); });
        // Each figure with its band (option health): ok, warning or critical.
        p.bands.textContent = '';
        if (h.bands) BANDS.forEach(function (b) {
          var v = h[b[0]];
          if (typeof v !== 'number') return;
          var band = h.bands[b[0]] || 'ok';
          var span = el('span', 'band ' + band, p.bands, b[1] + ' ' + fmt(v * 100) + ' %');
          span.title = band;
        });
      });
      res[1].pools.forEach(function (a) {
        var p = card(a.name);
        p.advice.textContent = '';
        var list = a.advice || [];
        if (!list.length) el('li', 'empty', p.advice, a.error ? 'advice unavailable: ' + a.error : 'nothing to advise');
        list.forEach(function (x) {
          var li = el('li', '', p.advice);
          el('span', 'sev ' + x.severity, li, x.severity);
          el('span', '', li, x.issue + ': ' + x.suggestion);
          li.title = x.evidence || '';
        });
      });
    }).catch(function () {}).then(function () { setTimeout(pollSlow, SLOW_MS); });
  }

  pollStats();
  pollSlow();
})();
`;
