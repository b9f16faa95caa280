// The admin page of the console (owners and admins): sites and their
// allowed origins, agents (one-time password shown once, role, disable),
// API keys (key shown once, revoke), webhooks, proactive notice rules
// (create, edit, enable/disable, delete), tenant settings and the
// tenant's audit log. It calls
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

  // ---- proactive notice rules (proactive:read/write): one form creates
  // and edits every kind the backend runs (PUT /v1/proactive/rules/{id}
  // replaces a rule whole, so editing starts from the stored rule and
  // keeps what the form does not show) ----
  var editing = null;
  function canRules() { return me && (me.scopes || []).indexOf('proactive:read') >= 0; }
  function canWriteRules() { return me && (me.scopes || []).indexOf('proactive:write') >= 0; }
  function showTrigger() {
    var tr = $('rule-trigger').value;
    Array.prototype.forEach.call(document.querySelectorAll('#rule-form fieldset[data-trigger]'), function (f) {
      f.hidden = f.getAttribute('data-trigger') !== tr;
    });
  }
  function addTextRow(lang, text) {
    var d = el('div', null, { 'class': 'adm-text-row' });
    var l = el('input', null, { 'aria-label': 'Language', placeholder: 'en', 'class': 'rule-lang' });
    l.value = lang || '';
    var t = el('textarea', null, { 'aria-label': 'Message', placeholder: 'Your order {order_id} is running late — sorry! It ships within 2 days.', 'class': 'rule-text', maxlength: '1000' });
    t.value = text || '';
    d.appendChild(l);
    d.appendChild(t);
    d.appendChild(button('Remove', 'ghost', function () { d.remove(); }));
    $('rule-texts').appendChild(d);
  }
  function durText(d) {
    if (!d) return '';
    return String(d).replace(/(\d)m0s$/, '$1m').replace(/(\d)h0m$/, '$1h');
  }
  function utcInput(iso) { return iso ? new Date(iso).toISOString().slice(0, 16) : ''; }
  function resetRuleForm() {
    editing = null;
    $('rule-form').reset();
    $('rule-id').disabled = false;
    $('rule-texts').textContent = '';
    addTextRow('en', '');
    $('rule-submit').textContent = 'Add rule';
    $('rule-cancel').hidden = true;
    showTrigger();
  }
  function editRule(r) {
    resetRuleForm();
    editing = r;
    $('rule-id').value = r.id;
    $('rule-id').disabled = true;
    $('rule-name').value = r.name || '';
    $('rule-trigger').value = r.trigger;
    $('rule-event').value = r.event_type || 'order.delayed';
    $('rule-idle').value = r.idle_s || 45;
    $('rule-url').value = r.url_contains || '';
    $('rule-sku').checked = !!r.require_sku;
    $('rule-at').value = utcInput(r.at);
    $('rule-audience').value = r.audience_days || 30;
    $('rule-region').value = r.region || '';
    $('rule-promotion').checked = !!r.promotion;
    $('rule-texts').textContent = '';
    Object.keys(r.text || {}).sort().forEach(function (l) { addTextRow(l, r.text[l]); });
    $('rule-control').value = r.control_pct == null ? 10 : r.control_pct;
    $('rule-cap').value = r.cap || 1;
    $('rule-window').value = durText(r.cap_window) || '24h';
    $('rule-quiet').value = r.quiet_hours || '';
    $('rule-enabled').checked = !!r.enabled;
    $('rule-submit').textContent = 'Save rule';
    $('rule-cancel').hidden = false;
    showTrigger();
    $('rule-form').scrollIntoView({ block: 'nearest' });
  }
  // ruleSpec is the stored rule without the view's fields.
  function ruleSpec(r) {
    var o = JSON.parse(JSON.stringify(r));
    delete o.updated_at; delete o.last_run;
    return o;
  }
  function num(id) { var v = $(id).value.trim(); return v === '' ? null : Number(v); }
  function formRule() {
    var r = editing ? ruleSpec(editing) : {};
    r.id = $('rule-id').value.trim();
    r.name = $('rule-name').value.trim();
    r.trigger = $('rule-trigger').value;
    ['event_type', 'idle_s', 'url_contains', 'require_sku', 'at', 'audience_days', 'region', 'promotion'].forEach(function (k) { delete r[k]; });
    if (r.trigger === 'event') r.event_type = $('rule-event').value.trim();
    if (r.trigger === 'idle') {
      r.idle_s = num('rule-idle') || 0;
      r.url_contains = $('rule-url').value.trim();
      r.require_sku = $('rule-sku').checked;
    }
    if (r.trigger === 'campaign') {
      var at = $('rule-at').value;
      if (at) r.at = new Date(at + ':00Z').toISOString();
      r.audience_days = num('rule-audience') || 0;
      r.region = $('rule-region').value.trim();
      r.promotion = $('rule-promotion').checked;
    }
    r.text = {};
    Array.prototype.forEach.call(document.querySelectorAll('#rule-texts .adm-text-row'), function (d) {
      var l = d.querySelector('.rule-lang').value.trim(), t = d.querySelector('.rule-text').value;
      if (l || t.trim()) r.text[l] = t;
    });
    var c = num('rule-control');
    if (c == null) delete r.control_pct; else r.control_pct = c;
    var cap = num('rule-cap');
    if (cap == null) delete r.cap; else r.cap = cap;
    var w = $('rule-window').value.trim();
    if (w) r.cap_window = w; else delete r.cap_window;
    r.quiet_hours = $('rule-quiet').value.trim();
    r.enabled = $('rule-enabled').checked;
    return r;
  }
  function triggerText(r) {
    switch (r.trigger) {
      case 'event': return 'event ' + (r.event_type || '');
      case 'idle': return 'idle ≥ ' + r.idle_s + ' s' + (r.url_contains ? ' on pages containing “' + r.url_contains + '”' : '') + (r.require_sku ? ', product pages' : '');
      case 'campaign': return 'campaign at ' + when(r.at) + ', shoppers active in the last ' + r.audience_days + ' d' +
        (r.region ? ', region ' + r.region : '') + (r.promotion ? ', regional promotion' : '');
    }
    return r.trigger;
  }
  function loadRules() {
    if (!canRules()) { $('adm-proactive').hidden = true; return Promise.resolve(); }
    $('rule-form').hidden = !canWriteRules();
    return api('GET', '/v1/proactive/rules').then(function (rules) {
      var tb = $('rule-table').querySelector('tbody');
      tb.textContent = '';
      (rules || []).forEach(function (r) {
        var tr = row(tb, [(r.name ? r.id + ' — ' + r.name : r.id), triggerText(r), '', (r.control_pct == null ? 10 : r.control_pct) + '%',
          (r.cap || 1) + ' per ' + (durText(r.cap_window) || '24h'), r.quiet_hours === '-' ? 'none' : (r.quiet_hours || "tenant's"),
          (r.enabled ? 'enabled' : 'disabled') + (r.last_run ? ' · last run ' + when(r.last_run) : '')], { 'data-id': r.id, 'data-enabled': String(!!r.enabled) });
        if (!r.enabled) tr.className = 'adm-off';
        tr.children[6].className = 'adm-nowrap';
        ['Rule', 'Trigger', 'Message', 'Control', 'Cap', 'Quiet hours', 'Status'].forEach(function (h, i) { tr.children[i].setAttribute('data-label', h); });
        var msg = tr.children[2];
        msg.className = 'adm-rule-msg';
        Object.keys(r.text || {}).sort().forEach(function (l) { msg.appendChild(el('div', l + ': ' + r.text[l])); });
        var td = el('td');
        if (canWriteRules()) {
          td.appendChild(button('Edit', 'ghost', function () { editRule(r); }));
          td.appendChild(button(r.enabled ? 'Disable' : 'Enable', r.enabled ? 'danger' : 'ghost', function () {
            var o = ruleSpec(r);
            o.enabled = !r.enabled;
            act(api('PUT', '/v1/proactive/rules/' + encodeURIComponent(r.id), o), loadRules);
          }));
          td.appendChild(button('Delete', 'danger', function () {
            if (!confirm('Delete rule ' + r.id + '? Its notices stay in the report.')) return;
            act(api('DELETE', '/v1/proactive/rules/' + encodeURIComponent(r.id)), function () { if (editing && editing.id === r.id) resetRuleForm(); loadRules(); });
          }));
        }
        tr.appendChild(td);
      });
    });
  }
  $('rule-trigger').addEventListener('change', showTrigger);
  $('rule-add-lang').addEventListener('click', function () { addTextRow('', ''); });
  $('rule-cancel').addEventListener('click', resetRuleForm);
  $('rule-form').addEventListener('submit', function (e) {
    e.preventDefault();
    var r = formRule();
    if (!r.id) { showError('A rule needs an id (letters, digits, - and _).'); return; }
    act(api('PUT', '/v1/proactive/rules/' + encodeURIComponent(r.id), r), function () { resetRuleForm(); loadRules(); });
  });
  resetRuleForm();

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
    return Promise.all([loadSites(), loadAgents(), loadScopes(), loadKeys(), loadHookEvents(), loadHooks(), loadRules(), loadSettings(), loadAudit()]);
  }).catch(function (e) { showError(e.message); });
})();
