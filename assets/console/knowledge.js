// The knowledge page of the console: documents (upload, versions, delete),
// a question box showing what the bot would answer and from which source,
// gaps by volume and FAQ drafts to approve. Every text from the server is
// set with textContent, never as HTML.
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
    return api('GET', '/v1/knowledge/documents').then(function (r) {
      var s = r.stats;
      $('kb-stats').textContent = '· ' + s.documents + ' documents, ' + s.passages + ' passages, ' + s.faq_pairs + ' FAQ pairs, ' +
        s.entities + ' entities, ' + s.facts + ' facts, ' + s.products + ' products';
      var tb = $('kb-docs').querySelector('tbody');
      tb.textContent = '';
      r.documents.forEach(function (d) {
        var tr = el('tr', null, { 'data-id': d.id });
        [d.title, d.id, d.kind, 'v' + d.version, d.passages, d.faq_pairs, d.entities, (d.topics || []).join(', ')].forEach(function (v) { tr.appendChild(el('td', v)); });
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
        li.appendChild(el('b', g.count + '× '));
        li.appendChild(el('span', g.examples.join(' · ')));
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
        var q = el('input', null, { 'aria-label': 'Question', style: 'width:90%' }); q.value = d.question;
        var a = el('textarea', null, { 'aria-label': 'Answer', rows: '3', style: 'width:90%' }); a.value = d.answer;
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
  if (!token) { $('kb-login').hidden = false; return; }
  try { var me = JSON.parse(sessionStorage.getItem('kefu.agent') || 'null'); if (me) $('kb-me').textContent = me.name || me.email; } catch (e) { /* ignore */ }
  docs(); gaps(); drafts();
})();
