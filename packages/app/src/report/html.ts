/**
 * Renders the report model into one self-contained HTML page: uPlot's JS and CSS are read
 * from node_modules at report time and inlined, the model is inlined as JSON, and nothing
 * is fetched from the network (the page sets a CSP of default-src 'none' to guarantee it).
 *
 * Static parts (tables, notices) are rendered here with escaping; charts are drawn by a
 * small inline script from the JSON. Each chart lives in `<div class="chart" data-chart=NAME>`
 * and holds one uPlot canvas once drawn, or a `.empty` note when it has no data; the page
 * sets `body[data-charts-drawn]` to the number drawn (tests look at both).
 */
import { readFile } from 'node:fs/promises';
import { scorecardRows } from './scorecard-table.js';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Attribution, ReportModel } from './analyze.js';

const require = createRequire(import.meta.url);

/** uPlot's browser build and stylesheet, from the installed package. */
export async function loadUplotAssets(): Promise<{ js: string; css: string }> {
  const pkgDir = dirname(require.resolve('uplot/package.json'));
  const [js, css] = await Promise.all([
    readFile(join(pkgDir, 'dist', 'uPlot.iife.min.js'), 'utf8'),
    readFile(join(pkgDir, 'dist', 'uPlot.min.css'), 'utf8'),
  ]);
  return { js, css };
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** JSON safe to put inside a <script> element. */
function scriptJson(v: unknown): string {
  return JSON.stringify(v).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

function money(v: number | null): string {
  if (v === null) return '—';
  const s = v.toFixed(4);
  return v < 0 ? `<span class="neg">${s}</span>` : s;
}

function num(v: number | null, digits = 2): string {
  return v === null ? '—' : v.toFixed(digits);
}

function table(head: string[], rows: string[][], cls = ''): string {
  return `<table class="${cls}"><thead><tr>${head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

function attributionRow(name: string, a: Attribution, tapePnl: number | null): string[] {
  return [escapeHtml(name), money(a.spreadCaptured), money(a.inventoryDrift), money(-a.fees), money(a.net), money(tapePnl), String(a.fillsWithoutMid)];
}

function chart(name: string, title: string, wide = true): string {
  return `<figure class="${wide ? 'wide' : 'small'}"><figcaption>${escapeHtml(title)}</figcaption><div class="chart" data-chart="${escapeHtml(name)}"></div></figure>`;
}

const CSS = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 0 auto; max-width: 1100px; padding: 16px 24px 48px; color: #1c2430; background: #fff; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid #dde3ea; padding-bottom: 4px; }
.meta { color: #5b6775; font-size: 13px; }
.notice { background: #fff6e0; border-left: 4px solid #e8b04a; padding: 6px 10px; margin: 4px 0; font-size: 13px; }
table { border-collapse: collapse; margin: 6px 0; font-variant-numeric: tabular-nums; font-size: 13px; }
th, td { padding: 3px 10px; text-align: right; border-bottom: 1px solid #edf0f3; }
th:first-child, td:first-child { text-align: left; }
th { color: #5b6775; font-weight: 600; }
.neg { color: #c0392b; }
figure { margin: 10px 0; } figcaption { font-weight: 600; font-size: 13px; margin-bottom: 4px; }
.grid { display: grid; grid-template-columns: 1fr 1fr; gap: 8px 20px; }
.empty { color: #8a96a3; font-style: italic; padding: 8px 0; }
code { font-size: 12px; }
`;

const SCRIPT = `
(function () {
  'use strict';
  var M = JSON.parse(document.getElementById('kmm-report-data').textContent);
  var PALETTE = ['#2b6cb0', '#c05621', '#2f855a', '#b83280', '#6b46c1', '#c53030', '#2c7a7b', '#975a16', '#4a5568', '#d69e2e'];
  var drawn = 0;
  function box(name) { return document.querySelector('[data-chart="' + name + '"]'); }
  function empty(el, why) { var p = document.createElement('p'); p.className = 'empty'; p.textContent = why; el.appendChild(p); el.dataset.empty = '1'; }
  function width(el) { return Math.max(320, Math.floor(el.getBoundingClientRect().width || 900)); }
  function hasData(arr) { for (var i = 0; i < arr.length; i++) if (arr[i] !== null && arr[i] !== undefined) return true; return false; }
  var utc = function (ts) { return uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'); };

  function lines(name, x, series, yLabel, extra) {
    var el = box(name); if (!el) return;
    var live = series.filter(function (s) { return hasData(s.data); });
    if (x.length < 2 || live.length === 0) { empty(el, 'no data'); return; }
    var opts = {
      width: width(el), height: (extra && extra.height) || 260, tzDate: utc,
      scales: { x: { time: true } },
      series: [{}].concat(live.map(function (s, i) {
        var c = s.color || PALETTE[i % PALETTE.length];
        if (s.points) return { label: s.label, stroke: c, width: 0, paths: function () { return null; },
                               points: { show: true, size: 7, stroke: c, fill: c } };
        return { label: s.label, stroke: c, width: s.width || 1.5, spanGaps: true, dash: s.dash, points: { show: false },
                 paths: s.step ? uPlot.paths.stepped({ align: 1 }) : undefined };
      })),
      axes: [{}, { label: yLabel, size: 60 }]
    };
    new uPlot(opts, [x].concat(live.map(function (s) { return s.data; })), el);
    drawn++;
  }

  function bars(name, labels, values, yLabel, colors) {
    var el = box(name); if (!el) return;
    if (labels.length === 0 || !hasData(values)) { empty(el, 'no data'); return; }
    var idx = labels.map(function (_, i) { return i; });
    var lo = 0, hi = 0;
    values.forEach(function (v) { if (v !== null) { lo = Math.min(lo, v); hi = Math.max(hi, v); } });
    var pad = (hi - lo) * 0.1 || 1;
    var opts = {
      width: width(el), height: 240,
      scales: { x: { time: false, range: [-0.5, labels.length - 0.5] }, y: { range: [lo < 0 ? lo - pad : 0, hi > 0 ? hi + pad : pad] } },
      series: [{}, { label: yLabel, stroke: colors ? colors[0] : PALETTE[0], fill: (colors ? colors[0] : PALETTE[0]) + 'aa', fillTo: 0,
                     paths: uPlot.paths.bars({ size: [0.6, 80] }), points: { show: false } }],
      axes: [{ splits: function () { return idx; }, values: function (u, vals) { return vals.map(function (v) { return labels[v] === undefined ? '' : labels[v]; }); }, grid: { show: false } },
             { label: yLabel, size: 60 }],
      legend: { show: false }
    };
    new uPlot(opts, [idx, values], el);
    drawn++;
  }

  function markoutChart() {
    var el = box('markouts'); if (!el) return;
    var rows = M.markouts.filter(function (r) { return r.vsPriceCents !== null; });
    if (rows.length === 0) { empty(el, 'no fills with a price path after them'); return; }
    var x = rows.map(function (_, i) { return i; });
    var names = rows.map(function (r) { return r.horizonS + 's'; });
    var opts = {
      width: width(el), height: 260,
      scales: { x: { time: false, range: [-0.3, rows.length - 0.7] } },
      series: [{ label: 'horizon', value: function (u, v) { return v === null || v === undefined ? '--' : names[v]; } },
               { label: 'vs fill price (¢/contract)', stroke: PALETTE[0], width: 2, points: { show: true, size: 8 } },
               { label: 'vs mid at fill (¢/contract)', stroke: PALETTE[1], width: 2, points: { show: true, size: 8 } },
               { label: 'bid fills vs price', stroke: PALETTE[2], width: 1, dash: [4, 4], points: { show: true, size: 5 } },
               { label: 'ask fills vs price', stroke: PALETTE[5], width: 1, dash: [4, 4], points: { show: true, size: 5 } }],
      axes: [{ label: 'time after fill', splits: function () { return x; },
               values: function (u, v) { return v.map(function (i) { return names[i] === undefined ? '' : names[i]; }); } },
             { label: '¢ per contract', size: 60 }]
    };
    new uPlot(opts, [x, rows.map(function (r) { return r.vsPriceCents; }), rows.map(function (r) { return r.vsMidCents; }),
                     rows.map(function (r) { return r.bidVsPriceCents; }), rows.map(function (r) { return r.askVsPriceCents; })], el);
    drawn++;
  }

  lines('equity', M.equity.x,
        [{ label: 'total', data: M.equity.total, color: '#1c2430', width: 2.5 }].concat(
          M.markets.filter(function (m) { return M.equity.perMarket[m]; }).map(function (m) { return { label: m, data: M.equity.perMarket[m], dash: [5, 3] }; })),
        'P&L ($)');
  lines('inventory', M.inventory.x,
        M.markets.filter(function (m) { return M.inventory.perMarket[m]; }).map(function (m) { return { label: m, data: M.inventory.perMarket[m], step: true }; }),
        'contracts');
  M.marketViews.forEach(function (v, i) {
    lines('price-' + i, v.price.x, [
      { label: 'mid', data: v.price.mid, color: '#4a5568', width: 1.5 },
      { label: 'our bid', data: v.price.bid, color: '#2f855a', width: 1, step: true },
      { label: 'our ask', data: v.price.ask, color: '#c53030', width: 1, step: true },
      { label: 'buy fill', data: v.price.buys, color: '#2f855a', points: true },
      { label: 'sell fill', data: v.price.sells, color: '#c53030', points: true }], '$', { height: 280 });
  });
  markoutChart();
  var A = M.attribution;
  bars('attribution', ['spread captured', 'inventory drift', 'fees', 'net'], [A.spreadCaptured, A.inventoryDrift, -A.fees, A.net], '$');
  var codes = Object.keys(M.churn.rejectsByCode).sort();
  bars('rejects', codes, codes.map(function (c) { return M.churn.rejectsByCode[c]; }), 'rejects', ['#c53030']);
  var kinds = Object.keys(M.churn.commandsByKind).sort();
  bars('commands', kinds.concat(['fills']), kinds.map(function (k) { return M.churn.commandsByKind[k]; }).concat([M.churn.fills]), 'count', ['#6b46c1']);
  M.latency.forEach(function (a, i) { bars('latency-' + i, a.hist.labels, a.hist.counts, a.source === 'latency_hist' ? 'messages' : 'heartbeats', [PALETTE[i % PALETTE.length]]); });
  if (M.tapeLatency) bars('tape-latency', M.tapeLatency.labels, M.tapeLatency.counts, 'rows', ['#2c7a7b']);
  lines('elu', M.elu.x, Object.keys(M.elu.perActor).sort().map(function (a) { return { label: a, data: M.elu.perActor[a] }; }), 'ELU');
  document.body.dataset.chartsDrawn = String(drawn);
})();
`;

export function renderReportHtml(model: ReportModel, assets: { js: string; css: string }): string {
  const m = model;
  const files = table(
    ['file', 'present', 'lines', 'malformed', 'first problems'],
    m.files.map((f) => [
      `<code>${escapeHtml(f.file)}</code>`,
      f.present ? 'yes' : '<span class="neg">missing</span>',
      String(f.lines),
      f.malformed > 0 ? `<span class="neg">${f.malformed}</span>` : '0',
      escapeHtml(f.examples.map((e) => `line ${e.line}: ${e.why}`).join('; ') + (f.truncated ? ' (truncated)' : '')),
    ]),
  );
  const scorecard = m.scorecard === null
    ? '<p class="empty">no scorecard in summary.json</p>'
    : table(['figure', `strategy ${escapeHtml(String(m.summary.find(([k]) => k === 'strategy')?.[1] ?? 'default'))}`], scorecardRows([m.scorecard]).map(([k, v]) => [escapeHtml(k), escapeHtml(v[0])])) +
      '<p>Definitions: README "Strategy scorecard" (cents per contract; markout loss > 0 = the mid moved against the fill).</p>';
  const summary = m.summary.length === 0 ? '<p class="empty">no summary.json</p>' : table(['figure', 'value'], m.summary.map(([k, v]) => [escapeHtml(k), escapeHtml(v)]));
  const markets = m.marketViews
    .map(
      (v, i) =>
        `<h3>${escapeHtml(v.ticker)}</h3><p class="meta">${v.fills} fills (${v.buys} buys, ${v.sells} sells, ${num(v.contractsTraded)} contracts);` +
        ` final inventory ${num(v.finalInventory)}; net P&amp;L ${money(v.attribution.net)}; price path from ${escapeHtml(v.pricePathSource)}</p>` +
        chart(`price-${i}`, `${v.ticker}: mid, our quotes and fills`),
    )
    .join('');
  const markoutTable = table(
    ['horizon', 'fills', 'contracts', 'vs fill price ¢/ct', 'vs mid at fill ¢/ct', 'bid fills ¢/ct', 'ask fills ¢/ct', 'past end of path'],
    m.markouts.map((r) => [
      `${r.horizonS}s`,
      String(r.fills),
      num(r.contracts),
      num(r.vsPriceCents, 3),
      num(r.vsMidCents, 3),
      num(r.bidVsPriceCents, 3),
      num(r.askVsPriceCents, 3),
      String(r.beyondPath),
    ]),
  );
  const attrTable = table(
    ['market', 'spread captured $', 'inventory drift $', 'fees $', 'net $', 'tape final P&L $', 'fills w/o mid'],
    [...m.marketViews.map((v) => attributionRow(v.ticker, v.attribution, v.tapePnl)), attributionRow('total', m.attribution, m.marketViews.some((v) => v.tapePnl !== null) ? m.marketViews.reduce((a, v) => a + (v.tapePnl ?? 0), 0) : null)],
  );
  const eventRiskTable = m.eventRisk && m.eventRisk.length > 0
    ? table(['event', 'exclusive', 'markets', 'worst-case loss at the end $', 'largest during the run $'], m.eventRisk.map((e) => [escapeHtml(e.event), e.exclusive ? 'yes' : 'no', escapeHtml(e.markets.join(', ')), num(e.finalWorstLoss), num(e.maxWorstLoss)]))
    : '<p class="empty">no fills</p>';
  const c = m.churn;
  const churnTable = table(
    ['figure', 'value'],
    [
      ['order operations (all kinds; summary.json `commands` counts REST commands)', String(c.commands)],
      ['orders created (PLACE)', String(c.ordersSent)],
      ['cancels (CANCEL + CANCEL_ALL)', String(c.cancels)],
      ['amends (AMEND + DECREASE)', String(c.amends)],
      ['fills', String(c.fills)],
      ['order operations per fill', num(c.commandsPerFill)],
      ['orders per fill', num(c.ordersPerFill)],
      ['cancels per fill', num(c.cancelsPerFill)],
      ['amends per fill', num(c.amendsPerFill)],
      ['rejects (local + venue; split in summary.json)', String(c.rejects)],
      ['reject rate (rejects / order operations)', c.rejectRate === null ? '—' : `${(c.rejectRate * 100).toFixed(2)}%`],
      ...Object.keys(c.rejectsByCode)
        .sort()
        .map((k) => [`rejects ${escapeHtml(k)}`, String(c.rejectsByCode[k])]),
    ],
  );
  const latTable = table(
    ['actor', 'heartbeats', 'handler p50 µs (median)', 'p99 µs (max)', 'max µs', 'ELU mean', 'ELU max', 'mailbox max', 'msgs in'],
    m.latency.map((a) => [
      escapeHtml(a.actor),
      String(a.heartbeats),
      num(a.p50UsMedian, 1),
      num(a.p99UsMax, 1),
      num(a.maxUs, 1),
      a.eluMean.toFixed(3),
      a.eluMax.toFixed(3),
      String(a.mailboxMax),
      a.msgsIn === null ? '—' : String(a.msgsIn),
    ]),
  );
  const latCharts = m.latency
    .map((a, i) =>
      chart(
        `latency-${i}`,
        `${a.actor}: ${a.source === 'latency_hist' ? 'handler time per message' : a.source === 'p99_samples' ? 'handler p99 per heartbeat' : 'no latency data'}`,
        false,
      ),
    )
    .join('');
  const tl = m.tapeLatency;
  const notices = m.notices.map((n) => `<div class="notice">${escapeHtml(n)}</div>`).join('');

  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<title>${escapeHtml(m.title)}: ${escapeHtml(m.runDir)}</title>
<style>${assets.css}</style><style>${CSS}</style></head>
<body data-charts-drawn="0">
<h1>${escapeHtml(m.title)}</h1>
<p class="meta">run <code>${escapeHtml(m.runDir)}</code> · ${m.startIso === null ? 'no timed data' : `${escapeHtml(m.startIso)} → ${escapeHtml(m.endIso ?? '')} (${num(m.durationS, 0)} s)`} · markets: ${escapeHtml(m.markets.join(', ') || 'none')} · generated ${escapeHtml(m.generatedAtIso)}</p>
${notices}
<h2>Inputs</h2>${files}
<h2>Run summary</h2>${summary}
<h2>Strategy scorecard</h2>${scorecard}
<h2>Equity</h2>${chart('equity', 'Equity curve: realized + unrealized P&L (total and per market)')}
<h2>Inventory</h2>${chart('inventory', 'Inventory per market (contracts, + long YES)')}
<h2>Fills on the price path</h2>${markets || '<p class="empty">no markets</p>'}
<h2>Markouts</h2>${chart('markouts', 'Average markout per contract after each fill (positive = in our favour)')}${markoutTable}
<h2>P&amp;L attribution</h2>${chart('attribution', 'Spread captured vs mid, inventory drift, fees')}${attrTable}
<h2>Event risk</h2><p class="meta">worst-case loss of the position in each event (every outcome; an exclusive event's markets exclude each other, "none of them" counted), from the fills; README "Event risk"</p>${eventRiskTable}
<h2>Rejects and churn</h2><div class="grid">${chart('rejects', 'Rejects by code', false)}${chart('commands', 'Commands by kind vs fills', false)}</div>${churnTable}
<h2>Latency</h2>${latTable}<div class="grid">${latCharts}</div>
${tl === null ? '<p class="empty">no tape latency_ms values</p>' : `${chart('tape-latency', `Tape latency_ms per row (n=${tl.n}, p50 ${num(tl.p50Ms, 3)} ms, p99 ${num(tl.p99Ms, 3)} ms)`)}`}
${chart('elu', 'Event-loop utilisation per actor')}
<script type="application/json" id="kmm-report-data">${scriptJson(m)}</script>
<script>${assets.js}</script>
<script>${SCRIPT}</script>
</body></html>
`;
}
