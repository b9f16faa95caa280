// The knowledge page of the console: documents (upload, versions, delete,
// filtered by topic), the tenant's topic tree (add, rename, move, change
// words, delete or merge), a question box showing what the bot would
// answer and from which source, the weekly hot topics, gaps by volume with
// their topics, FAQ drafts to approve and the hot-topic templates to
// enable. Every text from the server is set with textContent, never as HTML.
(function () {
  'use strict';
  var token = sessionStorage.getItem('kefu.token') || '';
  var $ = function (id) { return document.getElementById(id); };
  function el(tag, text, attrs) {
    var e = document.createElement(tag);
    if (text != null) e.textContent = String(text);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    return e;
  }
  function api(method, path, body, ctype) {
    var opts = { method: method, headers: { Authorization: 'Bearer ' + token } };
    if (body != null) { opts.body = body; opts.headers['Content-Type'] = ctype || 'application/json'; }
    return fetch(path, opts).then(function (r) {
      if (r.status === 401) { $('kb-login').hidden = false; throw new Error('not signed in'); }
      if (r.status === 204) return null;
      return r.json().then(function (j) { if (!r.ok) throw new Error(j.error || r.statusText); return j; });
    });
  }
  function docs() {
    var f = $('kb-topic-filter').value;
    return api('GET', '/v1/knowledge/documents' + (f ? '?topic=' + encodeURIComponent(f) : '')).then(function (r) {
      var s = r.stats;
      $('kb-stats').textContent = '· ' + s.documents + ' documents, ' + s.passages + ' passages, ' + s.faq_pairs + ' FAQ pairs, ' +
        s.entities + ' entities, ' + s.facts + ' facts, ' + s.products + ' products';
      var tb = $('kb-docs').querySelector('tbody');
      tb.textContent = '';
      r.documents.forEach(function (d) {
        var tr = el('tr', null, { 'data-id': d.id });
        [d.title, d.id, d.kind, 'v' + d.version, d.passages, d.faq_pairs, d.entities, topicNames(d.topics)].forEach(function (v) { tr.appendChild(el('td', v)); });
        var td = el('td');
        var del = el('button', 'Delete', { 'class': 'ghost', type: 'button' });
        del.onclick = function () {
          if (!confirm('Delete ' + d.title + '? (its versions are kept)')) return;
          api('DELETE', '/v1/knowledge/documents/' + encodeURIComponent(d.id)).then(docs);
        };
        td.appendChild(del); tr.appendChild(td); tb.appendChild(tr);
      });
    });
  }
  $('kb-upload').onsubmit = function (e) {
    e.preventDefault();
    var files = [].slice.call($('kb-files').files);
    if (!files.length) return;
    var fd = new FormData();
    files.forEach(function (f) { fd.append('file', f, f.name); });
    $('kb-upload-result').textContent = 'Uploading ' + files.length + '…';
    fetch('/v1/knowledge/documents', { method: 'POST', headers: { Authorization: 'Bearer ' + token }, body: fd })
      .then(function (r) { return r.json().then(function (j) { if (!r.ok) throw new Error(j.error); return j; }); })
      .then(function (s) { $('kb-upload-result').textContent = s.documents + ' documents (' + s.changed + ' changed): ' + s.passages + ' passages, ' + s.faq_pairs + ' FAQ pairs, ' + s.entities + ' entities. Live in a few seconds.'; setTimeout(docs, 1500); })
      .catch(function (err) { $('kb-upload-result').textContent = 'Not uploaded: ' + err.message; });
  };
  $('kb-ask').onsubmit = function (e) {
    e.preventDefault();
    var q = $('kb-q').value.trim();
    if (!q) return;
    api('POST', '/v1/knowledge/ask', JSON.stringify({ q: q })).then(function (a) {
      var out = $('kb-answer');
      out.textContent = '';
      out.appendChild(el('div', a.kind + ' · confidence ' + a.confidence.toFixed(2)));
      if (a.text) out.appendChild(el('div', a.text, { id: 'kb-answer-text' }));
      (a.sources || []).forEach(function (s) { out.appendChild(el('div', 'Source: ' + s.title + (s.version ? ' (v' + s.version + ')' : ''))); });
      if (a.quick_replies && a.quick_replies.length) out.appendChild(el('div', 'Would ask: ' + a.quick_replies.join(' · ')));
      if (a.card) out.appendChild(el('div', 'Card: ' + a.card.name + ' · ' + (a.card.variant || '') + ' · stock ' + a.card.stock));
    });
  };
  function gaps() {
    return api('GET', '/v1/knowledge/gaps').then(function (r) {
      var ul = $('kb-gaps');
      ul.textContent = '';
      if (!r.gaps.length) ul.appendChild(el('li', 'No gaps: every recent question was answered with confidence.', { 'class': 'muted' }));
      r.gaps.forEach(function (g) {
        var li = el('li', null, { 'data-gap': g.id });
        li.appendChild(el('span', g.label, { 'class': 'kb-gap-label' }));
        li.appendChild(el('b', g.count + '× '));
        li.appendChild(el('span', g.examples.join(' · ')));
        li.appendChild(el('span', ' (' + g.reasons.join(', ') + ')', { 'class': 'muted' }));
        if (!g.draft) {
          var b = el('button', 'Draft an answer', { 'class': 'ghost', type: 'button' });
          b.onclick = function () { api('POST', '/v1/knowledge/drafts', JSON.stringify({ gap: g.id })).then(function () { gaps(); drafts(); }); };
          li.appendChild(b);
        } else {
          li.appendChild(el('span', ' (drafted)', { 'class': 'muted' }));
        }
        ul.appendChild(li);
      });
    });
  }
  function drafts() {
    return api('GET', '/v1/knowledge/drafts').then(function (r) {
      var ul = $('kb-drafts');
      ul.textContent = '';
      r.drafts.forEach(function (d) {
        var li = el('li', null, { 'data-draft': d.id });
        li.appendChild(el('div', d.status + ' · ' + d.lang, { 'class': 'muted' }));
        var q = el('input', null, { 'aria-label': 'Question', 'class': 'kb-draft-field' }); q.value = d.question;
        var a = el('textarea', null, { 'aria-label': 'Answer', rows: '3', 'class': 'kb-draft-field' }); a.value = d.answer;
        li.appendChild(q); li.appendChild(a);
        if (d.status === 'pending') {
          var ok = el('button', 'Approve', { 'class': 'primary', type: 'button' });
          ok.onclick = function () {
            api('POST', '/v1/knowledge/drafts/' + encodeURIComponent(d.id) + '/approve', JSON.stringify({ question: q.value, answer: a.value }))
              .then(function () { drafts(); docs(); });
          };
          var no = el('button', 'Reject', { 'class': 'ghost', type: 'button' });
          no.onclick = function () { api('POST', '/v1/knowledge/drafts/' + encodeURIComponent(d.id) + '/reject').then(drafts); };
          li.appendChild(ok); li.appendChild(no);
        }
        ul.appendChild(li);
      });
    });
  }
  function topicNames(ids) {
    return (ids || []).map(function (id) {
      for (var i = 0; i < topicList.length; i++) if (topicList[i].id === id) return topicList[i].name;
      return id;
    }).join(', ');
  }
  // Topic tree: add under a parent; Edit opens a panel to rename, move,
  // change the words, delete or merge.
  var topicList = [];
  function fillSelect(sel, first, skip) {
    var keep = sel.value;
    sel.textContent = '';
    sel.appendChild(el('option', first, { value: '' }));
    topicList.forEach(function (n) { if (!skip || !skip(n)) sel.appendChild(el('option', n.path, { value: n.id })); });
    sel.value = keep;
  }
  function editTopic(n) {
    var inside = {};
    (function mark(x) { inside[x.id] = true; x.children.forEach(mark); })(n);
    $('kb-topic-edit').hidden = false;
    $('kb-topic-edit').setAttribute('data-topic', n.id);
    $('kb-topic-edit-path').textContent = n.path;
    $('kb-topic-edit-name').value = n.name;
    $('kb-topic-edit-words').value = n.words.join(', ');
    fillSelect($('kb-topic-edit-parent'), '(top level)', function (x) { return inside[x.id]; });
    $('kb-topic-edit-parent').value = n.parent || '';
    fillSelect($('kb-topic-edit-merge'), '(do not merge)', function (x) { return x.id === n.id; });
    $('kb-topic-edit-merge').value = '';
  }
  function topics() {
    return api('GET', '/v1/knowledge/topics').then(function (r) {
      topicList = [];
      var ul = $('kb-topics');
      ul.textContent = '';
      function walk(nodes, into) {
        nodes.forEach(function (n) {
          topicList.push(n);
          var li = el('li', null, { 'data-topic': n.id });
          var row = el('div', null, { 'class': 'kb-topic-row' });
          row.appendChild(el('b', n.name, { 'class': 'kb-topic-name' }));
          row.appendChild(el('span', n.documents + ' docs · ' + n.passages + ' passages · ' + n.faq_pairs + ' FAQ', { 'class': 'muted' }));
          row.appendChild(el('span', n.words.slice(0, 6).join(', ') + (n.words.length > 6 ? '…' : ''), { 'class': 'muted kb-words' }));
          var b = el('button', 'Edit', { 'class': 'ghost', type: 'button', 'data-action': 'edit' });
          b.onclick = function () { editTopic(n); };
          row.appendChild(b);
          li.appendChild(row);
          if (n.children.length) {
            var sub = el('ul');
            walk(n.children, sub);
            li.appendChild(sub);
          }
          into.appendChild(li);
        });
      }
      walk(r.topics, ul);
      fillSelect($('kb-topic-parent'), '(top level)');
      fillSelect($('kb-topic-filter'), 'all topics');
    });
  }
  function topicWords(v) { return v.split(/[,，]/).map(function (w) { return w.trim(); }).filter(Boolean); }
  $('kb-topic-save').onclick = function () {
    var id = $('kb-topic-edit').getAttribute('data-topic');
    var body = { name: $('kb-topic-edit-name').value.trim(), parent: $('kb-topic-edit-parent').value, words: topicWords($('kb-topic-edit-words').value) };
    api('PATCH', '/v1/knowledge/topics/' + encodeURIComponent(id), JSON.stringify(body)).then(function () { $('kb-topic-edit').hidden = true; refreshTopics(); }, showTopicError);
  };
  $('kb-topic-delete').onclick = function () {
    var id = $('kb-topic-edit').getAttribute('data-topic'), into = $('kb-topic-edit-merge').value;
    api('DELETE', '/v1/knowledge/topics/' + encodeURIComponent(id) + (into ? '?merge_into=' + encodeURIComponent(into) : ''))
      .then(function () { $('kb-topic-edit').hidden = true; refreshTopics(); }, showTopicError);
  };
  $('kb-topic-cancel').onclick = function () { $('kb-topic-edit').hidden = true; };
  function showTopicError(err) { $('kb-topic-result').textContent = 'Not changed: ' + err.message; }
  function refreshTopics() { $('kb-topic-result').textContent = ''; topics(); gaps(); docs(); }
  $('kb-topic-add').onsubmit = function (e) {
    e.preventDefault();
    var name = $('kb-topic-name').value.trim();
    if (!name) return;
    var words = topicWords($('kb-topic-words').value);
    var body = { name: name, parent: $('kb-topic-parent').value };
    if (words.length) body.words = words;
    api('POST', '/v1/knowledge/topics', JSON.stringify(body)).then(function () {
      $('kb-topic-name').value = ''; $('kb-topic-words').value = ''; refreshTopics();
    }, showTopicError);
  };
  $('kb-topic-filter').onchange = docs;

  // The weekly hot-topic report.
  var week = '';
  function isoWeek(d) {
    var t = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
    var day = (t.getUTCDay() + 6) % 7;
    t.setUTCDate(t.getUTCDate() - day + 3);
    var y = t.getUTCFullYear(), jan4 = new Date(Date.UTC(y, 0, 4));
    var w = 1 + Math.round(((t - jan4) / 864e5 - 3 + ((jan4.getUTCDay() + 6) % 7)) / 7);
    return y + '-W' + (w < 10 ? '0' : '') + w;
  }
  function hot() {
    return api('GET', '/v1/knowledge/hot-topics' + (week ? '?week=' + week : '') + (week ? '&' : '?') + 'limit=15').then(function (r) {
      week = r.week;
      $('kb-hot-week').textContent = r.week + (r.partial ? ' (so far)' : '') + ' · ' + r.sampled + ' conversations, ' + r.previous_sampled + ' the week before · ' + r.new + ' new';
      var tb = $('kb-hot').querySelector('tbody');
      tb.textContent = '';
      if (!r.topics.length) { var tr0 = el('tr'); tr0.appendChild(el('td', 'No shopper questions this week.', { colspan: '6', 'class': 'muted' })); tb.appendChild(tr0); }
      r.topics.forEach(function (t) {
        var tr = el('tr', null, { 'data-hot': t.id });
        var label = el('td');
        label.appendChild(el('span', t.label));
        if (t.new) label.appendChild(el('span', 'new', { 'class': 'kb-badge' }));
        tr.appendChild(label);
        tr.appendChild(el('td', (t.topics || []).map(function (x) { return x.name; }).join(', ')));
        tr.appendChild(el('td', t.count, { align: 'right' }));
        tr.appendChild(el('td', t.previous, { align: 'right' }));
        tr.appendChild(el('td', (t.trend > 0 ? '+' : '') + Math.round(t.trend * 100) + '%', { align: 'right', 'class': t.trend > 0 ? 'kb-up' : 'kb-down' }));
        tr.appendChild(el('td', (t.examples || []).join(' · ')));
        tb.appendChild(tr);
      });
    }).catch(function (err) { $('kb-hot-week').textContent = err.message; });
  }
  function shiftWeek(days) {
    var m = /^(\d{4})-W(\d{2})$/.exec(week);
    if (!m) return;
    var jan4 = new Date(Date.UTC(+m[1], 0, 4));
    var monday = new Date(jan4.getTime() - ((jan4.getUTCDay() + 6) % 7) * 864e5 + (+m[2] - 1) * 7 * 864e5);
    var d = new Date(monday.getTime() + days * 864e5);
    if (d.getTime() > Date.now()) return;
    week = isoWeek(d);
    hot();
  }
  $('kb-hot-prev').onclick = function () { shiftWeek(-7); };
  $('kb-hot-next').onclick = function () { shiftWeek(7); };

  // Hot-topic templates: enable or disable; a window and whether it is on now.
  function templates() {
    return api('GET', '/v1/knowledge/templates').then(function (r) {
      var ul = $('kb-templates');
      ul.textContent = '';
      r.templates.forEach(function (t) {
        var li = el('li', null, { 'data-template': t.id });
        var lab = el('label');
        var cb = el('input', null, { type: 'checkbox', 'aria-label': 'Enable ' + (t.name.en || t.name.zh) });
        cb.checked = t.enabled;
        cb.onchange = function () {
          api('PUT', '/v1/knowledge/templates/' + encodeURIComponent(t.id), JSON.stringify({ enabled: cb.checked })).then(templates);
        };
        lab.appendChild(cb);
        lab.appendChild(el('b', ' ' + [t.name.en, t.name.zh].filter(Boolean).join(' / ')));
        li.appendChild(lab);
        var end = new Date(new Date(t.window.end).getTime() - 864e5);
        li.appendChild(el('span', ' · ' + t.window.start.slice(0, 10) + ' → ' + end.toISOString().slice(0, 10) + ' · ' + t.entries.length + ' entries', { 'class': 'muted' }));
        li.appendChild(el('span', t.active ? 'live now' : (t.enabled ? 'waiting for its window' : 'off'), { 'class': t.active ? 'kb-badge' : 'muted kb-state' }));
        ul.appendChild(li);
      });
    });
  }
  if (!token) { $('kb-login').hidden = false; return; }
  try { var me = JSON.parse(sessionStorage.getItem('kefu.agent') || 'null'); if (me) $('kb-me').textContent = me.name || me.email; } catch (e) { /* ignore */ }
  topics().then(docs); gaps(); drafts(); hot(); templates();
})();
