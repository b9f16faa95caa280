// The canned replies page of the console: a tenant's canned replies listed,
// searched, created, edited (also renamed) and deleted through
// /v1/canned, with the variables the workspace fills in and a preview of
// each text with example values. Every text from the server is set with
// textContent, never as HTML.
(function () {
  'use strict';
  var token = sessionStorage.getItem('kefu.token') || '';
  var $ = function (id) { return document.getElementById(id); };
  // The variables console.js fills in ({name} and so on) with an example each.
  var VARS = { name: 'Anna', visitor: 'v-1842', order: '12345', agent: 'Sam', product: 'Storm jacket M', url: 'https://shop.example/p/storm-jacket' };
  var list = [], editing = '';
  function el(tag, text, attrs) {
    var e = document.createElement(tag);
    if (text != null) e.textContent = String(text);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    return e;
  }
  function api(method, path, body) {
    var opts = { method: method, headers: { Authorization: 'Bearer ' + token } };
    if (body != null) { opts.body = JSON.stringify(body); opts.headers['Content-Type'] = 'application/json'; }
    return fetch(path, opts).then(function (r) {
      if (r.status === 401) { $('cn-login').hidden = false; throw new Error('not signed in'); }
      if (r.status === 204) return null;
      return r.json().then(function (j) {
        if (!r.ok) throw new Error(r.status === 403 ? 'Only owners and admins may change canned replies.' : (j.error || r.statusText));
        return j;
      });
    });
  }
  function preview(text) {
    return text.replace(/\{(\w+)\}/g, function (all, k) { return VARS[k] !== undefined ? VARS[k] : all; });
  }
  function unknownVars(text) {
    var out = [];
    text.replace(/\{(\w+)\}/g, function (all, k) { if (VARS[k] === undefined && out.indexOf(all) < 0) out.push(all); return all; });
    return out;
  }
  function showError(msg) { $('cn-error').textContent = msg; $('cn-error').hidden = !msg; }
  function render() {
    var q = $('cn-filter').value.trim().toLowerCase();
    var rows = list.filter(function (c) { return !q || c.shortcut.indexOf(q) >= 0 || c.text.toLowerCase().indexOf(q) >= 0; });
    $('cn-count').textContent = '· ' + list.length;
    var tb = $('cn-table').querySelector('tbody');
    tb.textContent = '';
    if (!rows.length) {
      var tr = el('tr'); tr.appendChild(el('td', list.length ? 'No canned reply matches.' : 'No canned replies yet: add the first above.', { colspan: '4', 'class': 'muted' }));
      tb.appendChild(tr);
    }
    rows.forEach(function (c) {
      var tr = el('tr', null, { 'data-shortcut': c.shortcut });
      tr.appendChild(el('td', '/' + c.shortcut));
      tr.appendChild(el('td', c.text, { 'class': 'cn-text' }));
      tr.appendChild(el('td', preview(c.text), { 'class': 'muted' }));
      var td = el('td');
      var ed = el('button', 'Edit', { 'class': 'ghost cn-edit', type: 'button' });
      ed.onclick = function () { edit(c); };
      var del = el('button', 'Delete', { 'class': 'ghost cn-delete', type: 'button' });
      del.onclick = function () {
        if (!confirm('Delete /' + c.shortcut + '?')) return;
        api('DELETE', '/v1/canned/' + encodeURIComponent(c.shortcut)).then(function () {
          if (editing === c.shortcut) reset();
          $('cn-result').textContent = 'Deleted /' + c.shortcut + '.';
          return load();
        }).catch(function (err) { showError(err.message); });
      };
      td.appendChild(ed); td.appendChild(del); tr.appendChild(td); tb.appendChild(tr);
    });
  }
  function load() {
    return api('GET', '/v1/canned').then(function (l) { list = l || []; render(); }).catch(function (err) { showError(err.message); });
  }
  function edit(c) {
    editing = c.shortcut;
    $('cn-form-title').textContent = 'Edit /' + c.shortcut;
    $('cn-shortcut').value = c.shortcut;
    $('cn-text').value = c.text;
    $('cn-cancel').hidden = false;
    updatePreview();
    $('cn-text').focus();
  }
  function reset() {
    editing = '';
    $('cn-form-title').textContent = 'New canned reply';
    $('cn-shortcut').value = ''; $('cn-text').value = '';
    $('cn-cancel').hidden = true;
    updatePreview();
  }
  function updatePreview() {
    var t = $('cn-text').value, unk = unknownVars(t);
    $('cn-preview').textContent = t ? 'Preview: ' + preview(t) + (unk.length ? '  (not a variable, sent as written: ' + unk.join(' ') + ')' : '') : '';
  }
  $('cn-text').addEventListener('input', updatePreview);
  $('cn-filter').addEventListener('input', render);
  $('cn-cancel').onclick = function () { reset(); showError(''); };
  Object.keys(VARS).forEach(function (k, i) {
    var b = el('button', '{' + k + '}', { 'class': 'ghost cn-var', type: 'button', title: 'Insert {' + k + '} (e.g. ' + VARS[k] + ')' });
    b.onclick = function () {
      var ta = $('cn-text'), s = ta.selectionStart || ta.value.length, v = '{' + k + '}';
      ta.value = ta.value.slice(0, s) + v + ta.value.slice(ta.selectionEnd || s);
      ta.focus(); ta.setSelectionRange(s + v.length, s + v.length);
      updatePreview();
    };
    $('cn-vars').appendChild(b);
    if (i < Object.keys(VARS).length - 1) $('cn-vars').appendChild(document.createTextNode(' '));
  });
  $('cn-form').onsubmit = function (e) {
    e.preventDefault();
    showError('');
    var sc = $('cn-shortcut').value.trim().toLowerCase().replace(/^\//, ''), text = $('cn-text').value.trim();
    if (!/^[a-z0-9_-]{1,32}$/.test(sc)) { showError('The shortcut must be 1-32 characters of a-z, 0-9, _ and -.'); return; }
    if (!text) { showError('The text must not be empty.'); return; }
    if (sc !== editing && list.some(function (c) { return c.shortcut === sc; }) && !confirm('/' + sc + ' exists. Replace it?')) return;
    var old = editing;
    api('PUT', '/v1/canned/' + encodeURIComponent(sc), { text: text }).then(function () {
      // Renamed: the old shortcut goes once the new one is stored.
      return old && old !== sc ? api('DELETE', '/v1/canned/' + encodeURIComponent(old)) : null;
    }).then(function () {
      $('cn-result').textContent = 'Saved /' + sc + '.';
      reset();
      return load();
    }).catch(function (err) { showError(err.message); });
  };
  if (!token) { $('cn-login').hidden = false; return; }
  try { var me = JSON.parse(sessionStorage.getItem('kefu.agent') || 'null'); if (me) $('cn-me').textContent = me.name || me.email; } catch (e) { /* ignore */ }
  load();
})();
