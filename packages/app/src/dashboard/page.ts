/**
 * The dashboard page: one self-contained HTML document (inline CSS and JS, no framework,
 * no network besides its own server). It opens a websocket to /ws, renders every `state`
 * message, and sends controls as POST /api/control with the token in the Authorization
 * header (a custom header cannot be forged cross-site, so controls are CSRF-proof even
 * though the page itself may be authorised by cookie).
 *
 * All text from the state is inserted with textContent, never innerHTML, so a market
 * ticker or an ops event cannot inject markup.
 *
 * Hooks for tests (stable, documented):
 *   body[data-updates]            number of state messages rendered
 *   [data-testid=market][data-market=T]  one card per market
 *   [data-testid=ladder]          its book table; data-book-sig / data-quote-sig change when
 *                                 the book levels / our quotes change
 *   [data-testid=control-result]  text of the last control answer; data-kind = its kind
 *   button[data-control=pause|resume|flatten|ack_breach|ack_config][data-market?]
 *   [data-testid=cluster]         the cluster panel (shown only for a state with `cluster`: `kmm
 *                                 cluster up`); inside it [data-testid=cluster-nodes] rows
 *                                 tr[data-node=ID], cluster-leases rows tr[data-lease=KEY],
 *                                 cluster-assignment, cluster-kill, cluster-risk and
 *                                 cluster-allowances rows tr[data-allowance=KEY]
 */

/** Levels shown per side of each ladder. */
export const LADDER_LEVELS = 10;
/** Ops events shown (newest first). */
export const DASHBOARD_EVENTS_SHOWN = 30;
/** Websocket reconnect attempts before the page gives up and says so. */
export const PAGE_RECONNECT_MAX = 30;

const CSS = `
:root { color-scheme: dark; --bg:#101418; --card:#182028; --fg:#dde3ea; --mut:#8a96a3; --bid:#2f9e62; --ask:#d0524a; --our:#f2c14e; }
* { box-sizing: border-box; }
body { margin:0; font: 13px/1.35 system-ui, sans-serif; background:var(--bg); color:var(--fg); }
header { display:flex; gap:16px; align-items:center; padding:10px 16px; background:#0b0e11; position:sticky; top:0; z-index:2; flex-wrap:wrap; }
header h1 { font-size:16px; margin:0; }
.badge { padding:2px 8px; border-radius:10px; background:#2a3440; font-size:12px; }
.badge.ok { background:#1f5136; } .badge.bad { background:#6b2420; } .badge.warn { background:#6b5420; }
button { background:#2a3440; color:var(--fg); border:1px solid #3b4856; border-radius:4px; padding:4px 10px; cursor:pointer; font:inherit; }
button:hover { background:#354252; } button:disabled { opacity:.4; cursor:default; }
button.armed { background:#6b2420; }
main { padding:12px 16px; }
#markets { display:grid; grid-template-columns: repeat(auto-fill, minmax(360px, 1fr)); gap:12px; }
.card { background:var(--card); border-radius:6px; padding:10px; }
.card h2 { font-size:14px; margin:0 0 6px; display:flex; gap:8px; align-items:center; flex-wrap:wrap; }
.stats { display:grid; grid-template-columns: repeat(4, 1fr); gap:4px; margin-bottom:6px; }
.stats div span { display:block; color:var(--mut); font-size:11px; }
table { border-collapse:collapse; width:100%; font-variant-numeric: tabular-nums; }
td, th { padding:1px 6px; text-align:right; }
th { color:var(--mut); font-weight:normal; font-size:11px; }
td.px { text-align:center; font-weight:600; }
#actors td:first-child, #actors th:first-child { text-align:left; }
tr.ask td.sz { color:var(--ask); } tr.bid td.sz { color:var(--bid); }
tr.ours td { background:rgba(242,193,78,.16); } td.our { color:var(--our); }
tr.spread td { border-top:1px dashed #3b4856; }
.blocks { color:var(--ask); font-size:12px; min-height:1em; }
.row { display:flex; gap:6px; margin-top:6px; }
section { margin-top:14px; }
section h3 { font-size:13px; color:var(--mut); margin:0 0 6px; }
#events li { list-style:none; padding:1px 0; } #events { padding:0; margin:0; max-height:240px; overflow:auto; }
.lvl-warn { color:#e8b04a; } .lvl-error { color:var(--ask); }
#control-result { color:var(--our); }
#cluster td, #cluster th { text-align:left; }
[hidden] { display:none !important; }
`;

const SCRIPT = `
(function () {
  'use strict';
  var LADDER_LEVELS = ${LADDER_LEVELS}, EVENTS_SHOWN = ${DASHBOARD_EVENTS_SHOWN}, RECONNECT_MAX = ${PAGE_RECONNECT_MAX};
  var params = new URLSearchParams(location.search);
  var token = params.get('token') || sessionStorage.getItem('kmm_token') || '';
  if (params.get('token')) {
    sessionStorage.setItem('kmm_token', token);
    history.replaceState(null, '', location.pathname);
  }
  var updates = 0, attempts = 0, cards = new Map(), lastTs = 0;

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  // Exact ordering of decimal strings without floats: "0.52" -> 520000 (6 dp integer).
  function units(s) {
    var neg = s.charAt(0) === '-'; if (neg || s.charAt(0) === '+') s = s.slice(1);
    var dot = s.indexOf('.'), w = dot < 0 ? s : s.slice(0, dot), f = dot < 0 ? '' : s.slice(dot + 1);
    f = (f + '000000').slice(0, 6);
    var v = Number(w + f); return neg ? -v : v;
  }
  function signClass(s) { return s.charAt(0) === '-' ? 'lvl-error' : ''; }
  function setText(node, text) { var t = String(text); if (node.textContent !== t) node.textContent = t; }

  function control(kind, market) {
    var out = document.getElementById('control-result');
    out.dataset.kind = kind; out.dataset.pending = '1';
    setText(out, kind + (market ? ' ' + market : '') + ': sending...');
    return fetch('/api/control', {
      method: 'POST',
      headers: { 'Authorization': 'Bearer ' + token, 'Content-Type': 'application/json' },
      body: JSON.stringify(market ? { kind: kind, market: market } : { kind: kind })
    }).then(function (r) {
      return r.json().then(function (j) { return { status: r.status, body: j }; },
                          function () { return { status: r.status, body: { ok: false, error: 'HTTP ' + r.status } }; });
    }).then(function (r) {
      out.dataset.pending = '';
      out.dataset.ok = r.body.ok ? '1' : '0';
      setText(out, kind + (market ? ' ' + market : '') + ': ' + (r.body.ok ? r.body.result : 'failed: ' + r.body.error));
    }, function (err) {
      out.dataset.pending = ''; out.dataset.ok = '0';
      setText(out, kind + ': failed: ' + err);
    });
  }
  // Flatten is two-step: the first click arms the button for 5 s, the second sends.
  function armed(btn, kind, market) {
    btn.addEventListener('click', function () {
      if (btn.classList.contains('armed')) {
        btn.classList.remove('armed'); btn.textContent = btn.dataset.label; control(kind, market);
      } else {
        btn.classList.add('armed'); btn.textContent = 'confirm ' + btn.dataset.label;
        setTimeout(function () { btn.classList.remove('armed'); btn.textContent = btn.dataset.label; }, 5000);
      }
    });
  }
  function button(label, kind, market, twoStep) {
    var b = el('button', '', label);
    b.dataset.control = kind; b.dataset.label = label;
    if (market) b.dataset.market = market;
    if (twoStep) armed(b, kind, market); else b.addEventListener('click', function () { control(kind, market); });
    return b;
  }

  function card(ticker) {
    var c = cards.get(ticker);
    if (c) return c;
    var root = el('div', 'card'); root.dataset.testid = 'market'; root.dataset.market = ticker;
    var h = el('h2'); var name = el('span', '', ticker); var trust = el('span', 'badge'); var risk = el('span', 'badge');
    trust.dataset.testid = 'trust'; risk.dataset.testid = 'risk-state';
    h.append(name, trust, risk);
    var stats = el('div', 'stats');
    function stat(label, id) { var d = el('div'); d.append(el('span', '', label)); var v = el('b'); v.dataset.testid = id; d.append(v); stats.append(d); return v; }
    var inv = stat('inventory', 'inventory'), rp = stat('realized', 'realized'), up = stat('unrealized', 'unrealized'), fl = stat('fills', 'fills');
    var blocks = el('div', 'blocks'); blocks.dataset.testid = 'blocks';
    var table = el('table'); table.dataset.testid = 'ladder';
    var thead = el('thead'); var hr = el('tr');
    ['our bid', 'bid', 'price', 'ask', 'our ask'].forEach(function (t) { hr.append(el('th', '', t)); });
    thead.append(hr); var tbody = el('tbody'); table.append(thead, tbody);
    var row = el('div', 'row');
    var ack = button('ack breach', 'ack_breach', ticker, false);
    row.append(button('flatten', 'flatten', ticker, true), ack);
    root.append(h, stats, blocks, table, row);
    document.getElementById('markets').append(root);
    c = { root: root, trust: trust, risk: risk, inv: inv, rp: rp, up: up, fl: fl, blocks: blocks, table: table, tbody: tbody, ack: ack };
    cards.set(ticker, c);
    return c;
  }

  function ladderRows(m) {
    var ours = { bid: new Map(), ask: new Map() };
    m.ourQuotes.forEach(function (q) { ours[q.side].set(units(q.price), q); });
    var asks = m.asks.slice(0, LADDER_LEVELS).map(function (l) { return { side: 'ask', p: l[0], s: l[1], u: units(l[0]) }; });
    var bids = m.bids.slice(0, LADDER_LEVELS).map(function (l) { return { side: 'bid', p: l[0], s: l[1], u: units(l[0]) }; });
    // Our quote at a price the snapshot has no level for still gets a row.
    ours.ask.forEach(function (q, u) { if (!asks.some(function (r) { return r.u === u; })) asks.push({ side: 'ask', p: q.price, s: '', u: u }); });
    ours.bid.forEach(function (q, u) { if (!bids.some(function (r) { return r.u === u; })) bids.push({ side: 'bid', p: q.price, s: '', u: u }); });
    asks.sort(function (a, b) { return b.u - a.u; });
    bids.sort(function (a, b) { return b.u - a.u; });
    return { rows: asks.concat(bids), ours: ours, firstBid: asks.length };
  }
  function quoteText(q) { return q ? q.size + (q.queueAhead !== undefined ? ' (q ' + q.queueAhead + ')' : '') : ''; }

  function renderMarket(m, breached) {
    var c = card(m.ticker);
    setText(c.trust, m.trust); c.trust.className = 'badge ' + (m.trust === 'TRUSTED' ? 'ok' : 'bad');
    setText(c.risk, m.riskState); c.risk.className = 'badge ' + (m.riskState === 'ok' ? 'ok' : 'warn');
    setText(c.inv, m.inventory); setText(c.rp, m.realizedPnl); setText(c.up, m.unrealizedPnl); setText(c.fl, m.fills);
    c.rp.className = signClass(m.realizedPnl); c.up.className = signClass(m.unrealizedPnl);
    setText(c.blocks, m.blocks.join(', '));
    c.ack.disabled = !breached;
    var bookSig = JSON.stringify([m.bids.slice(0, LADDER_LEVELS), m.asks.slice(0, LADDER_LEVELS)]);
    var quoteSig = JSON.stringify(m.ourQuotes);
    if (c.table.dataset.bookSig === bookSig && c.table.dataset.quoteSig === quoteSig) return;
    c.table.dataset.bookSig = bookSig; c.table.dataset.quoteSig = quoteSig;
    var lr = ladderRows(m), body = el('tbody');
    lr.rows.forEach(function (r, i) {
      var q = lr.ours[r.side].get(r.u);
      var tr = el('tr', r.side + (q ? ' ours' : '') + (i === lr.firstBid ? ' spread' : ''));
      if (q) tr.dataset.testid = 'our-quote';
      tr.append(el('td', 'our', r.side === 'bid' ? quoteText(q) : ''), el('td', 'sz', r.side === 'bid' ? r.s : ''),
                el('td', 'px', r.p), el('td', 'sz', r.side === 'ask' ? r.s : ''), el('td', 'our', r.side === 'ask' ? quoteText(q) : ''));
      body.append(tr);
    });
    c.table.replaceChild(body, c.tbody); c.tbody = body;
  }

  function renderActors(actors) {
    var body = el('tbody');
    actors.forEach(function (a) {
      var tr = el('tr'); tr.dataset.actor = a.name;
      tr.append(el('td', '', a.name), el('td', '', (a.elu * 100).toFixed(1) + '%'), el('td', '', a.mailboxDepth),
                el('td', '', a.msgsIn), el('td', '', a.msgsOut), el('td', '', a.dropped),
                el('td', '', a.conflated === undefined ? '' : a.conflated),
                el('td', '', a.handlerP50Us.toFixed(1)), el('td', '', a.handlerP99Us.toFixed(1)));
      body.append(tr);
    });
    var t = document.getElementById('actors'); t.replaceChild(body, t.tBodies[0]);
  }

  function renderEvents(events) {
    var ul = document.getElementById('events'); var frag = document.createDocumentFragment();
    var from = Math.max(0, events.length - EVENTS_SHOWN);
    for (var i = events.length - 1; i >= from; i--) {
      var e = events[i];
      var li = el('li', 'lvl-' + e.level, new Date(e.t).toISOString().slice(11, 23) + ' ' + e.level + ' ' + e.event +
                   (e.market ? ' [' + e.market + ']' : '') + (e.detail ? ' ' + e.detail : ''));
      frag.append(li);
    }
    ul.replaceChildren(frag);
  }

  // event risk: one row per event (README "Event risk")
  function renderEventRisk(list) {
    var tb = document.querySelector('#event-risk tbody'), frag = document.createDocumentFragment();
    list.forEach(function (e) {
      var tr = el('tr');
      tr.append(el('td', '', e.event), el('td', '', e.markets.join(', ')), el('td', '', e.worstLoss));
      frag.append(tr);
    });
    tb.replaceChildren(frag);
  }

  // the strategy scorecard so far (README "Strategy scorecard"): one row per figure, or why there is none
  function renderScorecard(sc) {
    var tb = document.querySelector('#scorecard tbody'), frag = document.createDocumentFragment();
    if (sc && sc.note) { var tr0 = el('tr'); tr0.append(el('td', '', sc.note)); frag.append(tr0); }
    ((sc && sc.rows) || []).forEach(function (r) {
      var tr = el('tr');
      tr.append(el('td', '', r[0]), el('td', '', r[1]));
      frag.append(tr);
    });
    tb.replaceChildren(frag);
    setText(document.getElementById('scorecard-at'), sc && sc.asOfMs ? 'as of ' + new Date(sc.asOfMs).toISOString().slice(11, 19) : '');
  }

  // the cluster panel (kmm cluster up): nodes, leases, assignment, kill switch, risk and allowances
  function rows(tableId, list, cells, key) {
    var tb = document.querySelector('#' + tableId + ' tbody'), frag = document.createDocumentFragment();
    list.forEach(function (x) {
      var tr = el('tr'); if (key) tr.dataset[key[0]] = key[1](x);
      cells(x).forEach(function (c) { tr.append(el('td', '', c)); });
      frag.append(tr);
    });
    tb.replaceChildren(frag);
  }
  function ago(ms) { return ms < 1000 ? ms + ' ms ago' : (ms / 1000).toFixed(1) + ' s ago'; }
  function renderCluster(c) {
    var panel = document.getElementById('cluster');
    panel.hidden = !c;
    // a cluster's markets and actors live in its nodes: this process has none to show or control
    document.getElementById('global-controls').hidden = !!c;
    ['actors', 'event-risk', 'scorecard'].forEach(function (id) { document.getElementById(id).closest('section').hidden = !!c; });
    if (!c) return;
    setText(document.getElementById('cluster-name'), c.name + ' on ' + c.nats);
    var k = document.getElementById('cluster-kill');
    setText(k, c.kill && c.kill.active ? 'kill switch ACTIVE: ' + c.kill.reason + ' (by ' + c.kill.byNode + ')' : 'kill switch off');
    k.className = 'badge ' + (c.kill && c.kill.active ? 'bad' : 'ok');
    rows('cluster-nodes', c.nodes, function (n) {
      return [n.id, n.roles.join(', '), n.leases.join(', ') || '-',
              Object.keys(n.load).map(function (x) { return x + '=' + n.load[x]; }).join(' ') || '-', ago(n.beatAgoMs), n.where];
    }, ['node', function (n) { return n.id; }]);
    rows('cluster-leases', c.leases, function (l) { return [l.key, l.holder, l.revision, ago(l.ageMs)]; }, ['lease', function (l) { return l.key; }]);
    var a = c.assignment;
    setText(document.getElementById('cluster-assignment'), 'v' + a.version + ': ' + a.events + ' events over ' + a.nodes.length + ' strategy nodes' +
            (a.nodes.length ? ' (' + Object.keys(a.byNode).map(function (n) { return n + ' ' + a.byNode[n]; }).join(', ') + ')' : ''));
    var r = c.risk;
    setText(document.getElementById('cluster-risk'), r ? 'aggregator ' + r.byNode + ' (' + ago(r.agoMs) + '): P&L $' + r.pnl + ', peak $' + r.peakPnl +
            ', drawdown $' + r.drawdown + ', worst case of all events $' + r.totalWorst + (r.breach ? ', BREACH ' + r.breach : '') : 'no figures from any gateway yet');
    rows('cluster-allowances', r ? r.allowances : [], function (x) { return [x.key, x.allowance, x.worst]; }, ['allowance', function (x) { return x.key; }]);
  }

  function render(s) {
    lastTs = s.ts;
    renderCluster(s.cluster);
    setText(document.getElementById('mode'), s.mode);
    var r = s.risk, rb = document.getElementById('risk');
    var txt = r.tradingEnabled ? (r.quotingPaused ? 'quoting paused' : 'trading') : 'read-only' + (r.readOnlyReason ? ': ' + r.readOnlyReason : '');
    setText(rb, txt); rb.className = 'badge ' + (r.tradingEnabled && !r.quotingPaused ? 'ok' : 'bad');
    var breached = new Set(r.breachedMarkets || []);
    setText(document.getElementById('breached'), breached.size ? 'start-up breach: ' + Array.from(breached).join(', ') : '');
    var seen = new Set();
    s.markets.forEach(function (m) { seen.add(m.ticker); renderMarket(m, breached.has(m.ticker)); });
    cards.forEach(function (c, t) { if (!seen.has(t)) { c.root.remove(); cards.delete(t); } });
    renderActors(s.actors);
    renderEventRisk(s.eventRisk || []);
    renderScorecard(s.scorecard);
    renderEvents(s.events);
    updates++; document.body.dataset.updates = String(updates);
    setText(document.getElementById('updated'), new Date(s.ts).toISOString().slice(11, 23));
  }

  function connect() {
    var conn = document.getElementById('conn');
    var ws = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/ws' +
                           (token ? '?token=' + encodeURIComponent(token) : ''));
    ws.onopen = function () { attempts = 0; setText(conn, 'live'); conn.className = 'badge ok'; };
    ws.onmessage = function (ev) {
      var msg; try { msg = JSON.parse(ev.data); } catch (e) { return; }
      if (msg.type === 'state') render(msg.state);
    };
    ws.onclose = function () {
      conn.className = 'badge bad';
      if (++attempts > RECONNECT_MAX) { setText(conn, 'disconnected (gave up after ' + RECONNECT_MAX + ' attempts; reload)'); return; }
      setText(conn, 'disconnected, retrying (' + attempts + ')');
      setTimeout(connect, Math.min(5000, 250 * attempts));
    };
  }

  document.getElementById('global-controls').append(
    button('pause quoting', 'pause', undefined, false),
    button('resume quoting', 'resume', undefined, false),
    button('flatten all', 'flatten', undefined, true),
    button('ack all breaches', 'ack_breach', undefined, false),
    // applies the risk-limit raises a config reload holds back (two clicks: it raises risk)
    button('ack config', 'ack_config', undefined, true));
  connect();
})();
`;

export function dashboardPage(nonce: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>KMM dashboard</title><style>${CSS}</style></head>
<body data-updates="0">
<header><h1>KMM</h1><span class="badge" id="mode">-</span><span class="badge" id="risk" data-testid="risk">-</span>
<span class="badge" id="conn">connecting</span><span>updated <b id="updated">-</b></span>
<span id="breached" class="lvl-error"></span>
<span id="global-controls" class="row" style="margin:0"></span>
<span id="control-result" data-testid="control-result"></span></header>
<main>
<section id="cluster" data-testid="cluster" hidden><h3>Cluster <span id="cluster-name"></span> <span class="badge" id="cluster-kill" data-testid="cluster-kill">-</span></h3>
<table id="cluster-nodes" data-testid="cluster-nodes"><thead><tr><th>node</th><th>roles</th><th>leases held</th><th>load</th><th>heartbeat</th><th>where</th></tr></thead><tbody></tbody></table>
<h3>Leases</h3><table id="cluster-leases" data-testid="cluster-leases"><thead><tr><th>lease</th><th>holder</th><th>revision</th><th>renewed</th></tr></thead><tbody></tbody></table>
<h3>Event assignment</h3><div id="cluster-assignment" data-testid="cluster-assignment"></div>
<h3>Risk aggregator</h3><div id="cluster-risk" data-testid="cluster-risk"></div>
<table id="cluster-allowances" data-testid="cluster-allowances"><thead><tr><th>allowance</th><th>allowance $</th><th>worst case $</th></tr></thead><tbody></tbody></table></section>
<div id="markets"></div>
<section><h3>Actors</h3><table id="actors"><thead><tr><th style="text-align:left">actor</th><th>ELU</th><th>mailbox</th><th>msgs in</th><th>msgs out</th><th>dropped</th><th>conflated</th><th>handler p50 µs</th><th>p99 µs</th></tr></thead><tbody></tbody></table></section>
<section><h3>Event risk</h3><table id="event-risk" data-testid="event-risk"><thead><tr><th style="text-align:left">event</th><th style="text-align:left">markets</th><th>worst-case loss $</th></tr></thead><tbody></tbody></table></section>
<section><h3>Strategy scorecard <small id="scorecard-at"></small></h3><table id="scorecard" data-testid="scorecard"><thead><tr><th style="text-align:left">figure</th><th style="text-align:left">value</th></tr></thead><tbody></tbody></table></section>
<section><h3>Ops events</h3><ul id="events"></ul></section>
</main>
<script nonce="${nonce}">${SCRIPT}</script>
</body></html>`;
}
