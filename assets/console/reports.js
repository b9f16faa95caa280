// Kefu reports page: key figures, charts (uPlot, vendored) with a
// drill-down to the conversations behind each point, agents, channels, hot
// topics, the forecast with staffing, QA and staff alerts. Every text that
// comes from shoppers or agents is set with textContent, never as HTML.
(function () {
  'use strict';
  var token = sessionStorage.getItem('kefu.token') || '';
  if (!token) { location.href = './'; return; }
  var $ = function (id) { return document.getElementById(id); };
  var DAY = 86400000;
  var charts = {};

  function api(path) {
    return fetch(path, { headers: { Authorization: 'Bearer ' + token } }).then(function (r) {
      if (r.status === 401) { location.href = './'; throw new Error('signed out'); }
      if (!r.ok) { return r.json().then(function (e) { throw new Error(e.error || r.statusText); }); }
      return r;
    });
  }
  function json(path) { return api(path).then(function (r) { return r.json(); }); }

  function range() {
    var from = new Date($('from').value + 'T00:00:00Z'), to = new Date($('to').value + 'T00:00:00Z');
    to = new Date(to.getTime() + DAY);
    return { from: from, to: to };
  }
  function qs(extra) {
    var r = range(), p = new URLSearchParams({ from: r.from.toISOString().replace('.000', ''), to: r.to.toISOString().replace('.000', '') });
    if ($('channel').value) p.set('channel', $('channel').value);
    if ($('team').value.trim()) p.set('team', $('team').value.trim());
    Object.keys(extra || {}).forEach(function (k) { p.set(k, extra[k]); });
    return p.toString();
  }
  function setDays(n) {
    var now = new Date(), to = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
    $('to').value = to.toISOString().slice(0, 10);
    $('from').value = new Date(to.getTime() - (n - 1) * DAY).toISOString().slice(0, 10);
  }

  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }
  function row(tbody, cells) {
    var tr = el('tr');
    cells.forEach(function (c) {
      var td = el('td');
      if (c instanceof Node) td.appendChild(c); else td.textContent = c === null || c === undefined ? '–' : String(c);
      if (typeof c === 'number') td.className = 'num';
      tr.appendChild(td);
    });
    tbody.appendChild(tr);
  }
  function pct(v) { return v === null || v === undefined ? '–' : (100 * v).toFixed(1) + '%'; }
  function secs(v) {
    if (v === null || v === undefined) return '–';
    if (v < 90) return v.toFixed(0) + ' s';
    if (v < 5400) return (v / 60).toFixed(1) + ' min';
    return (v / 3600).toFixed(1) + ' h';
  }
  function num(v, d) { return v === null || v === undefined ? '–' : Number(v).toFixed(d || 0); }
  function fail(e) { $('error').hidden = false; $('error').textContent = e.message || String(e); }

  // Targets from the brief: FRT ≤ 5 s (bot-first), CSAT ≥ 4.5, deflection ≥ 35%.
  function kpis(s) {
    var box = $('kpis');
    box.textContent = '';
    var items = [
      ['Conversations', s.conversations, ''], ['Messages', s.messages, ''],
      ['Deflection', pct(s.deflection_rate), s.deflection_rate === null ? '' : (s.deflection_rate >= 0.35 ? 'ok:goal ≥ 35%' : 'bad:goal ≥ 35%')],
      ['Handoff rate', pct(s.handoff_rate), ''], ['First response p50', secs(s.frt_p50_s), ''], ['First response p90', secs(s.frt_p90_s), ''],
      ['Resolution p50', secs(s.resolution_p50_s), ''],
      ['CSAT', s.csat_avg === null ? '–' : num(s.csat_avg, 2) + ' (' + s.csat_count + ')', s.csat_avg === null ? '' : (s.csat_avg >= 4.5 ? 'ok:goal ≥ 4.5' : 'bad:goal ≥ 4.5')],
      ['SLA met', pct(s.sla_met), s.sla_breaches + ' breaches'], ['Cost / conversation', s.cost_per_conversation === null ? '–' : num(s.cost_per_conversation, 2), ''],
      ['Conversion', pct(s.conversion_rate), s.conversions + ' of ' + s.conversations], ['Browser answers', s.browser_answers, s.browser_sessions + ' sessions']
    ];
    items.forEach(function (it) {
      var c = el('div', null, 'card kpi');
      c.appendChild(el('div', it[1], 'v'));
      c.appendChild(el('div', it[0], 'l'));
      if (it[2]) {
        var g = it[2].split(':'), cls = g.length > 1 && (g[0] === 'ok' || g[0] === 'bad') ? g.shift() : '';
        c.appendChild(el('div', g.join(':'), 'goal ' + cls));
      }
      box.appendChild(c);
    });
  }

  function series(metric, interval) {
    return json('/v1/analytics/timeseries?' + qs({ metric: metric, interval: interval || 'day' }));
  }

  // plot draws a uPlot chart; onPick(i) is called with the clicked index.
  function plot(id, xs, ys, labels, colors, onPick) {
    var box = $(id);
    if (charts[id]) { charts[id].destroy(); }
    box.textContent = '';
    var opts = {
      width: Math.max(320, box.clientWidth || 540), height: 220,
      series: [{}].concat(labels.map(function (l, i) { return { label: l, stroke: colors[i], width: 2, points: { show: true, size: 4 }, spanGaps: false }; })),
      axes: [{}, {}], legend: { show: true }, cursor: { points: { size: 6 } }
    };
    var u = new uPlot(opts, [xs].concat(ys), box);
    charts[id] = u;
    if (onPick) {
      u.over.addEventListener('click', function (e) {
        var i = u.cursor.idx;
        if (i === null || i === undefined) i = u.posToIdx(e.clientX - u.over.getBoundingClientRect().left);
        if (i !== null && i !== undefined && i >= 0) onPick(i);
      });
      u.over.style.cursor = 'pointer';
    }
    return u;
  }
  function xs(points) { return points.map(function (p) { return new Date(p.t).getTime() / 1000; }); }
  function ys(points) { return points.map(function (p) { return p.v; }); }

  function drill(metric, t0, label) {
    var p = new URLSearchParams(qs({ metric: metric }));
    p.set('from', new Date(t0 * 1000).toISOString().replace('.000', ''));
    p.set('to', new Date(t0 * 1000 + DAY).toISOString().replace('.000', ''));
    json('/v1/analytics/conversations?' + p.toString()).then(function (list) {
      $('drill').hidden = false;
      $('drill-title').textContent = label + ' on ' + new Date(t0 * 1000).toISOString().slice(0, 10) + ': ' + list.length + ' conversations';
      var tb = $('drill-rows');
      tb.textContent = '';
      list.slice(0, 100).forEach(function (c) {
        var link = el('a', new Date(c.created_at).toISOString().slice(0, 16).replace('T', ' '));
        link.href = './#c=' + encodeURIComponent(c.id);
        row(tb, [link, c.channel, (c.agents || []).length, secs(c.first_response_s), secs(c.resolution_s), c.csat || '–', c.sla_breached ? 'breached' : 'met', c.intent || '']);
      });
      $('drill').scrollIntoView({ behavior: 'smooth', block: 'nearest' });
    }).catch(fail);
  }

  function charts4() {
    return Promise.all([series('conversations'), series('frt_p50_s'), series('frt_p90_s'), series('deflection_rate'), series('handoff_rate'), series('csat_avg')])
      .then(function (r) {
        var x = xs(r[0].points);
        plot('c-volume', x, [ys(r[0].points)], ['conversations'], ['#2563eb'], function (i) { drill('conversations', x[i], 'Conversations'); });
        plot('c-frt', x, [ys(r[1].points), ys(r[2].points)], ['p50', 'p90'], ['#16a34a', '#f59e0b'], function (i) { drill('frt_p50_s', x[i], 'Answered by an agent'); });
        plot('c-rates', x, [ys(r[3].points), ys(r[4].points)], ['deflection', 'handoff'], ['#7c3aed', '#dc2626'], function (i) { drill('deflected', x[i], 'Deflected'); });
        plot('c-csat', x, [ys(r[5].points)], ['CSAT'], ['#0891b2'], function (i) { drill('csat_avg', x[i], 'Rated'); });
      });
  }

  function agents() {
    return json('/v1/qa/agents?' + qs()).then(function (qa) {
      var tb = $('agents');
      tb.textContent = '';
      return Promise.all(qa.map(function (a) {
        return json('/v1/analytics/summary?' + qs({ agent: a.agent })).then(function (s) { return [a, s]; });
      })).then(function (rows) {
        rows.forEach(function (r) {
          var a = r[0], s = r[1];
          row(tb, [a.name || a.agent, s.conversations, secs(s.frt_p50_s), pct(s.sla_met), s.csat_avg === null ? '–' : num(s.csat_avg, 2), num(a.avg_score, 1), pct(a.pass_rate)]);
        });
      });
    });
  }

  function channels() {
    var tb = $('channels');
    tb.textContent = '';
    var list = ['web', 'wechat', 'app', 'douyin', 'email'];
    return Promise.all(list.map(function (ch) {
      var p = new URLSearchParams(qs());
      p.set('channel', ch);
      return json('/v1/analytics/summary?' + p.toString());
    })).then(function (rs) {
      rs.forEach(function (s, i) { row(tb, [list[i], s.conversations, pct(s.deflection_rate), secs(s.frt_p50_s), pct(s.sla_met), s.csat_avg === null ? '–' : num(s.csat_avg, 2)]); });
    });
  }

  function topics() {
    return json('/v1/analytics/topics?' + qs({ limit: 10 })).then(function (r) {
      var tb = $('topics');
      tb.textContent = '';
      r.topics.forEach(function (t) {
        var name = el('span', t.label);
        if (t.new) name.appendChild(el('span', 'new', 'tag-new'));
        var trend = el('span', (t.trend > 0 ? '▲ ' : t.trend < 0 ? '▼ ' : '') + (100 * t.trend).toFixed(0) + '%', t.trend > 0 ? 'up' : t.trend < 0 ? 'down' : '');
        row(tb, [name, t.count, trend, t.examples[0] || '']);
      });
    });
  }

  function forecast() {
    return json('/v1/analytics/forecast?days=7').then(function (f) {
      var x = f.hours.map(function (h) { return new Date(h.t).getTime() / 1000; });
      plot('c-forecast', x, [f.hours.map(function (h) { return h.volume; }), f.hours.map(function (h) { return h.staffing.scheduled; }), f.hours.map(function (h) { return h.scheduled; })],
        ['volume / h', 'agents needed', 'agents scheduled'], ['#2563eb', '#dc2626', '#16a34a']);
      var note = 'Erlang C for ' + (100 * f.target.level).toFixed(0) + '% answered within ' + (f.target.within / 1e9).toFixed(0) + ' s, handle time ' + secs(f.aht_s) +
        ', handoff rate ' + pct(f.handoff_rate) + '.';
      if (f.backtest) note += ' Backtest (last 2 weeks held out): daily MAPE ' + pct(f.backtest.model.daily_mape) + ' vs seasonal-naive ' + pct(f.backtest.seasonal_naive.daily_mape) + '.';
      $('forecast-note').textContent = note;
    }).catch(function (e) { $('forecast-note').textContent = 'Forecast: ' + e.message; });
  }

  function qaLow() {
    return json('/v1/qa/conversations?' + qs({ max_score: 69, limit: 8 })).then(function (list) {
      var tb = $('qa');
      tb.textContent = '';
      list.forEach(function (q) {
        // A promise outside policy quotes both sides (the reply and the
        // knowledge) below the first other item that failed.
        var off = (q.items || []).filter(function (i) { return i.name === 'off_policy' && i.policy; })[0];
        var worst = (q.items || []).filter(function (i) { return i.applies && i.score < 1 && i !== off; })[0];
        var ev = el('div', worst ? worst.name + ': “' + worst.evidence + '”' : '');
        if (off) {
          var p = off.policy, d = el('div', null, 'qa-policy');
          d.appendChild(el('div', 'Promise outside policy: “' + p.sentence + '”'));
          d.appendChild(el('div', 'Knowledge (' + p.title + (p.entity ? ', ' + p.entity : '') + '): “' + p.fact + '”', 'muted'));
          ev.appendChild(d);
        }
        row(tb, [q.agent_name || q.agent, num(q.score, 0), ev]);
      });
    });
  }

  function alerts() {
    return json('/v1/alerts?limit=8').then(function (list) {
      var tb = $('alerts');
      tb.textContent = '';
      list.forEach(function (a) {
        var sent = a.deliveries.filter(function (d) { return d.status === 'sent'; });
        row(tb, [new Date(a.created_at).toISOString().slice(0, 16).replace('T', ' '), a.kind + (a.words ? ' ' + a.words.join(', ') : ''), a.text,
          sent.length + '/' + a.deliveries.length + (sent.length ? ' (' + sent[0].latency_ms + ' ms)' : '')]);
      });
      if (!list.length) row(tb, ['–', 'none', '', '']);
    });
  }

  // proactive: notices sent, opened, and inbound of the reached shoppers
  // against the rule's held-out control group (/v1/proactive/report).
  function proactive() {
    return Promise.all([json('/v1/proactive/report?' + qs()), json('/v1/proactive/rules')]).then(function (r) {
      var rep = r[0], rules = r[1], tb = $('proactive');
      tb.textContent = '';
      rep.rules.forEach(function (x) {
        var rate = function (a) { return pct(a.inbound_rate) + ' (' + a.inbound + '/' + a.notices + ')'; };
        row(tb, [x.rule, x.sent.notices, pct(x.sent.open_rate), rate(x.sent), rate(x.control),
          x.inbound_change === null || x.inbound_change === undefined ? '–' : (x.inbound_change > 0 ? '+' : '') + (100 * x.inbound_change).toFixed(1) + '%', x.suppressed]);
      });
      if (!rep.rules.length) row(tb, ['–', 'no notices in this period', '', '', '', '', '']);
      $('proactive-note').textContent = 'Inbound: the share of notices whose shopper wrote within ' + rep.window + ' after it.' +
        (rep.demo ? ' Demo history: the effect is an assumption of the generator (central/demo/delayed.go), not a measurement of shoppers.' : '');
      var rt = $('proactive-rules');
      rt.textContent = '';
      rules.forEach(function (x) {
        row(rt, [x.id + (x.name ? ' — ' + x.name : ''), x.trigger + (x.event_type ? ' ' + x.event_type : x.idle_s ? ' ' + x.idle_s + ' s' : x.at ? ' ' + x.at.slice(0, 16) : ''),
          (x.control_pct === undefined ? 10 : x.control_pct) + '%', (x.cap || 1) + ' / ' + (x.cap_window || '24h'), x.enabled ? 'yes' : 'no']);
      });
      if (!rules.length) row(rt, ['–', 'no rules', '', '', '']);
    });
  }

  function load() {
    $('error').hidden = true;
    document.body.classList.add('loading');
    json('/v1/analytics/summary?' + qs()).then(function (s) {
      kpis(s);
      $('demo-badge').hidden = !s.demo_conversations;
      return Promise.all([charts4(), agents(), channels(), topics(), forecast(), qaLow(), alerts(), proactive()]);
    }).then(function () { document.body.classList.remove('loading'); document.body.dataset.ready = '1'; })
      .catch(function (e) { document.body.classList.remove('loading'); fail(e); });
  }

  function exportCSV() {
    api('/v1/analytics/export.csv?' + qs()).then(function (r) { return r.blob(); }).then(function (b) {
      var a = document.createElement('a');
      a.href = URL.createObjectURL(b);
      a.download = 'kefu-' + $('from').value + '-' + $('to').value + '.csv';
      document.body.appendChild(a); a.click(); a.remove();
    }).catch(fail);
  }

  document.addEventListener('DOMContentLoaded', function () {
    setDays(30);
    document.querySelectorAll('.presets button').forEach(function (b) { b.addEventListener('click', function () { setDays(+b.dataset.days); load(); }); });
    $('apply').addEventListener('click', load);
    $('export').addEventListener('click', exportCSV);
    load();
  });
})();
