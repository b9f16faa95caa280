// The admin page of the console (owners and admins): sites and their
// allowed origins, agents (one-time password shown once, role, disable),
// API keys (key shown once, revoke) and the tenant's audit log. It calls
// the /v1/admin REST API; every value from the server is set with
// textContent, never as HTML.
(function () {
  'use strict';
  var token = sessionStorage.getItem('kefu.token') || '';
  var me = null;
  var $ = function (id) { return document.getElementById(id); };
  function el(tag, text, attrs) {
    var e = document.createElement(tag);
    if (text != null) e.textContent = String(text);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    return e;
  }
  function showError(msg) { var p = $('adm-error'); p.textContent = msg; p.hidden = !msg; }
  function api(method, path, body) {
    var opts = { method: method, headers: { Authorization: 'Bearer ' + token } };
    if (body != null) { opts.body = JSON.stringify(body); opts.headers['Content-Type'] = 'application/json'; }
    return fetch(path, opts).then(function (r) {
      if (r.status === 401) { $('adm-login').hidden = false; throw new Error('not signed in'); }
      if (r.status === 204) return null;
      return r.json().then(function (j) { if (!r.ok) throw new Error(j.error || r.statusText); return j; });
    });
  }
  // act runs an admin call, shows its error (the server's validation
  // message) and reloads the given lists after success.
  function act(p, then) {
    showError('');
    return p.then(function (v) { if (then) then(v); loadAudit(); return v; }).catch(function (e) { showError(e.message); });
  }
  function list(s) { return s.split(/[\s,]+/).filter(Boolean); }
  function row(tb, cells, attrs) {
    var tr = el('tr', null, attrs);
    cells.forEach(function (v) { tr.appendChild(el('td', v)); });
    tb.appendChild(tr);
    return tr;
  }
  function button(text, cls, fn) {
    var b = el('button', text, { 'class': cls || 'ghost', type: 'button' });
    b.addEventListener('click', fn);
    return b;
  }
  function when(t) { return t ? new Date(t).toLocaleString() : ''; }

  // ---- sites ----
  function loadSites() {
    return api('GET', '/v1/admin/sites').then(function (sites) {
      var tb = $('site-table').querySelector('tbody');
      tb.textContent = '';
      (sites || []).forEach(function (s) {
        var tr = row(tb, [s.site, s.name, (s.origins || []).join(', ')], { 'data-site': s.site });
        var td = el('td');
        td.appendChild(button('Edit origins', 'ghost', function () {
          var v = prompt('Allowed origins of ' + s.site + ' (comma separated)', (s.origins || []).join(', '));
          if (v == null) return;
          act(api('PATCH', '/v1/admin/sites/' + encodeURIComponent(s.site), { origins: list(v) }), loadSites);
        }));
        td.appendChild(button('Rename', 'ghost', function () {
          var v = prompt('Name of ' + s.site, s.name || '');
          if (v == null) return;
          act(api('PATCH', '/v1/admin/sites/' + encodeURIComponent(s.site), { name: v }), loadSites);
        }));
        td.appendChild(button('Remove', 'danger', function () {
          if (!confirm('Remove site ' + s.site + '? Its widget stops working.')) return;
          act(api('DELETE', '/v1/admin/sites/' + encodeURIComponent(s.site)), loadSites);
        }));
        tr.appendChild(td);
      });
    });
  }
  $('site-form').addEventListener('submit', function (e) {
    e.preventDefault();
    act(api('POST', '/v1/admin/sites', { site: $('site-key').value.trim(), name: $('site-name').value.trim(), origins: list($('site-origins').value) }),
      function () { $('site-form').reset(); loadSites(); });
  });

  // ---- agents ----
  function loadAgents() {
    return api('GET', '/v1/admin/agents').then(function (agents) {
      var tb = $('agent-table').querySelector('tbody');
      tb.textContent = '';
      (agents || []).forEach(function (a) {
        var status = a.disabled ? 'disabled' : (a.must_change_password ? 'must set password' : 'active');
        var tr = row(tb, [a.email, a.name, '', a.lang || '', status], { 'data-email': a.email });
        if (a.disabled) tr.className = 'adm-off';
        var sel = el('select', null, { 'aria-label': 'Role of ' + a.email });
        ['agent', 'admin', 'owner'].forEach(function (r) { var o = el('option', r, { value: r }); if (r === a.role) o.selected = true; sel.appendChild(o); });
        sel.disabled = me && me.id === a.id;
        sel.addEventListener('change', function () {
          act(api('PATCH', '/v1/admin/agents/' + encodeURIComponent(a.id), { role: sel.value }), loadAgents).then(loadAgents);
        });
        tr.children[2].appendChild(sel);
        var td = el('td');
        if (!(me && me.id === a.id)) {
          td.appendChild(button(a.disabled ? 'Enable' : 'Disable', a.disabled ? 'ghost' : 'danger', function () {
            act(api('PATCH', '/v1/admin/agents/' + encodeURIComponent(a.id), { disabled: !a.disabled }), loadAgents);
          }));
          td.appendChild(button('Reset password', 'ghost', function () {
            if (!confirm('Give ' + a.email + ' a new one-time password?')) return;
            act(api('PATCH', '/v1/admin/agents/' + encodeURIComponent(a.id), { reset_password: true }), function (r) { secret(r); loadAgents(); });
          }));
        }
        tr.appendChild(td);
      });
    });
  }
  function secret(r) {
    if (!r || !r.password) return;
    $('agent-secret-who').textContent = r.agent.email;
    $('agent-password').textContent = r.password;
    $('agent-secret').hidden = false;
  }
  $('agent-form').addEventListener('submit', function (e) {
    e.preventDefault();
    $('agent-secret').hidden = true;
    act(api('POST', '/v1/admin/agents', { email: $('agent-email').value.trim(), name: $('agent-name').value.trim(), role: $('agent-role').value, lang: $('agent-lang').value.trim() }),
      function (r) { secret(r); $('agent-form').reset(); loadAgents(); });
  });

  // ---- API keys ----
  function loadScopes() {
    return api('GET', '/v1/admin/scopes').then(function (scopes) {
      var fs = $('key-scopes');
      (scopes || []).forEach(function (s) {
        var lab = el('label', null, { title: s.doc || '' });
        var cb = el('input', null, { type: 'checkbox', value: s.scope, name: 'scope' });
        lab.appendChild(cb);
        lab.appendChild(document.createTextNode(' ' + s.scope));
        fs.appendChild(lab);
      });
    });
  }
  function loadKeys() {
    return api('GET', '/v1/admin/apikeys').then(function (keys) {
      var tb = $('key-table').querySelector('tbody');
      tb.textContent = '';
      (keys || []).forEach(function (k) {
        var tr = row(tb, [k.name, k.prefix, (k.scopes || []).join(', '), when(k.created_at) + (k.created_by ? ' · ' + k.created_by : ''),
          k.revoked_at ? 'revoked ' + when(k.revoked_at) : 'active'], { 'data-id': k.id });
        var td = el('td');
        if (k.revoked_at) tr.className = 'adm-off';
        else td.appendChild(button('Revoke', 'danger', function () {
          if (!confirm('Revoke key ' + k.name + '? Callers using it are refused at once.')) return;
          act(api('DELETE', '/v1/admin/apikeys/' + encodeURIComponent(k.id)), loadKeys);
        }));
        tr.appendChild(td);
      });
    });
  }
  $('key-form').addEventListener('submit', function (e) {
    e.preventDefault();
    $('key-secret').hidden = true;
    var scopes = Array.prototype.map.call($('key-scopes').querySelectorAll('input:checked'), function (c) { return c.value; });
    act(api('POST', '/v1/admin/apikeys', { name: $('key-name').value.trim(), scopes: scopes }), function (r) {
      $('key-value').textContent = r.key;
      $('key-secret').hidden = false;
      $('key-form').reset();
      loadKeys();
    });
  });

  // ---- webhooks (owners: webhooks:read/write): the secret is shown once;
  // the delivery log shows each delivery's status, attempts and answer ----
  function canHooks() { return me && (me.scopes || []).indexOf('webhooks:read') >= 0; }
  function loadHookEvents() {
    if (!canHooks()) return Promise.resolve();
    return api('GET', '/v1/webhook-events').then(function (events) {
      var fs = $('hook-events');
      ['*'].concat(events || []).forEach(function (ev) {
        var lab = el('label', null, { title: ev === '*' ? 'every event' : ev });
        lab.appendChild(el('input', null, { type: 'checkbox', value: ev, name: 'event' }));
        lab.appendChild(document.createTextNode(' ' + (ev === '*' ? 'all events' : ev)));
        fs.appendChild(lab);
      });
    });
  }
  function loadHooks() {
    if (!canHooks()) { $('adm-webhooks').hidden = true; return Promise.resolve(); }
    return api('GET', '/v1/webhooks').then(function (hooks) {
      var tb = $('hook-table').querySelector('tbody');
      tb.textContent = '';
      (hooks || []).forEach(function (h) {
        var tr = row(tb, [h.url, (h.events || []).join(', '), when(h.created_at)], { 'data-id': h.id });
        var td = el('td');
        td.appendChild(button('Deliveries', 'ghost', function () { loadHookLog(h); }));
        td.appendChild(button('Remove', 'danger', function () {
          if (!confirm('Remove the webhook to ' + h.url + '? Pending deliveries are dropped.')) return;
          act(api('DELETE', '/v1/webhooks/' + encodeURIComponent(h.id)), function () { $('hook-log').hidden = true; loadHooks(); });
        }));
        tr.appendChild(td);
      });
    });
  }
  function loadHookLog(h) {
    return api('GET', '/v1/webhooks/' + encodeURIComponent(h.id) + '/deliveries?limit=50').then(function (log) {
      $('hook-log-url').textContent = h.url;
      var tb = $('hook-log-table').querySelector('tbody');
      tb.textContent = '';
      (log || []).forEach(function (d) {
        var answer = d.last_status ? String(d.last_status) : '';
        if (d.last_error) answer += (answer ? ' · ' : '') + d.last_error;
        if (d.next_attempt_at) answer += (answer ? ' · ' : '') + 'next try ' + when(d.next_attempt_at);
        row(tb, [when(d.created_at), d.event, d.status, String(d.attempts), answer, d.latency_ms ? d.latency_ms + ' ms' : ''],
          { 'data-status': d.status, 'data-event': d.event });
      });
      if (!(log || []).length) row(tb, ['no deliveries yet', '', '', '', '', '']);
      $('hook-log').hidden = false;
    }).catch(function (e) { showError(e.message); });
  }
  $('hook-form').addEventListener('submit', function (e) {
    e.preventDefault();
    $('hook-secret').hidden = true;
    var events = Array.prototype.map.call($('hook-events').querySelectorAll('input:checked'), function (c) { return c.value; });
    act(api('POST', '/v1/webhooks', { url: $('hook-url').value.trim(), events: events }), function (r) {
      $('hook-value').textContent = r.secret;
      $('hook-secret').hidden = false;
      $('hook-form').reset();
      loadHooks();
    });
  });

  // ---- tenant settings: every known key with its doc; values are
  // checked by the server, whose reason is shown ----
  function loadSettings() {
    return api('GET', '/v1/admin/settings').then(function (v) {
      var tb = $('set-table').querySelector('tbody');
      tb.textContent = '';
      (v.keys || []).forEach(function (k) {
        var tr = el('tr', null, { 'data-key': k.key });
        var th = el('td');
        th.appendChild(el('code', k.key));
        th.appendChild(el('div', k.doc, { 'class': 'muted' }));
        tr.appendChild(th);
        var set = Object.prototype.hasOwnProperty.call(v.settings || {}, k.key);
        var inp = el('input', null, { 'aria-label': k.key, placeholder: 'default: ' + (k['default'] || '(empty)') });
        inp.value = set ? v.settings[k.key] : '';
        var tdv = el('td'); tdv.appendChild(inp); tr.appendChild(tdv);
        var td = el('td');
        td.appendChild(button('Save', 'primary', function () {
          var ch = {}; ch[k.key] = inp.value;
          act(api('PATCH', '/v1/admin/settings', { set: ch }), loadSettings);
        }));
        if (set) td.appendChild(button('Reset', 'ghost', function () {
          act(api('PATCH', '/v1/admin/settings', { reset: [k.key] }), loadSettings);
        }));
        tr.appendChild(td);
        tb.appendChild(tr);
      });
    });
  }

  // ---- audit log ----
  function loadAudit() {
    if (!me || (me.scopes || []).indexOf('audit:read') < 0) { $('adm-audit').hidden = true; return Promise.resolve(); }
    return api('GET', '/v1/admin/audit?limit=100').then(function (entries) {
      var tb = $('audit-table').querySelector('tbody');
      tb.textContent = '';
      (entries || []).forEach(function (a) {
        var d = Object.keys(a.detail || {}).sort().map(function (k) { return k + '=' + a.detail[k]; }).join(' ');
        row(tb, [when(a.at), a.actor, a.action, a.target, d], { 'data-action': a.action });
      });
    }).catch(function (e) { showError(e.message); });
  }

  api('GET', '/v1/me').then(function (m) {
    me = m;
    $('adm-me').textContent = (m.name || m.email || '') + ' · ' + (m.tenant || '') + ' · ' + (m.role || '');
    if (m.role !== 'owner' && m.role !== 'admin') {
      $('adm-forbidden').hidden = false;
      Array.prototype.forEach.call(document.querySelectorAll('.adm-card'), function (c) { c.hidden = true; });
      return;
    }
    return Promise.all([loadSites(), loadAgents(), loadScopes(), loadKeys(), loadHookEvents(), loadHooks(), loadSettings(), loadAudit()]);
  }).catch(function (e) { showError(e.message); });
})();
