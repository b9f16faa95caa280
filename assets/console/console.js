// Kefu agent console. Plain JavaScript, no framework: the REST API under /v1
// and the event WebSocket /v1/console/ws (docs/CONTRACTS.md).
(function () {
  'use strict';

  var $ = function (id) { return document.getElementById(id); };
  var state = {
    token: sessionStorage.getItem('kefu.token') || '',
    agent: JSON.parse(sessionStorage.getItem('kefu.agent') || 'null'),
    tab: 'queued',
    selected: '',
    conv: null,
    seen: {},        // message ids shown in the open conversation
    ws: null,
    wsRetry: 0,
    edges: {},       // region → edge base URL (GET /v1/console/config); none: this origin
    refreshTimer: 0
  };

  // ---- API ----
  function api(method, path, body) {
    var opts = { method: method, headers: {} };
    if (state.token) opts.headers['Authorization'] = 'Bearer ' + state.token;
    if (body !== undefined) {
      opts.headers['Content-Type'] = 'application/json';
      opts.body = JSON.stringify(body);
    }
    return fetch(path, opts).then(function (res) {
      if (res.status === 204) return null;
      return res.json().catch(function () { return {}; }).then(function (data) {
        if (res.status === 401 && path !== '/v1/login') { logout(); }
        if (!res.ok) {
          var err = new Error(data.error || ('HTTP ' + res.status));
          err.status = res.status; err.code = data.code;
          throw err;
        }
        return data;
      });
    });
  }

  // ---- login ----
  function showLogin() {
    $('app').hidden = true;
    $('login').hidden = false;
    $('login-email').focus();
  }

  function showApp() {
    $('login').hidden = true;
    $('app').hidden = false;
    $('me').textContent = state.agent ? (state.agent.name + ' · ' + state.agent.tenant) : '';
    refreshList();
    connect();
    api('GET', '/v1/console/config').then(function (c) { state.edges = (c && c.edges) || {}; }).catch(function () {});
  }

  $('login-form').addEventListener('submit', function (e) {
    e.preventDefault();
    var err = $('login-error');
    err.hidden = true;
    $('login-submit').disabled = true;
    api('POST', '/v1/login', {
      tenant: $('login-tenant').value.trim(),
      email: $('login-email').value.trim(),
      password: $('login-password').value
    }).then(function (r) {
      state.token = r.token; state.agent = r.agent;
      sessionStorage.setItem('kefu.token', r.token);
      sessionStorage.setItem('kefu.agent', JSON.stringify(r.agent));
      $('login-password').value = '';
      showApp();
    }).catch(function (e2) {
      err.textContent = e2.message; err.hidden = false;
    }).finally(function () { $('login-submit').disabled = false; });
  });

  function logout() {
    if (state.token) { fetch('/v1/logout', { method: 'POST', headers: { Authorization: 'Bearer ' + state.token } }).catch(function () {}); }
    state.token = ''; state.agent = null; state.selected = ''; state.conv = null;
    sessionStorage.removeItem('kefu.token'); sessionStorage.removeItem('kefu.agent');
    if (state.ws) { state.ws.onclose = null; state.ws.close(); state.ws = null; }
    setConn(false);
    showLogin();
  }
  $('logout').addEventListener('click', logout);

  // ---- list ----
  function angerBadge(a) {
    if (a >= 0.7) return ['badge badge-anger', 'angry'];
    if (a >= 0.4) return ['badge badge-annoyed', 'annoyed'];
    return null;
  }

  // GDPR erasure: a requested one waits for an agent's "Erase data".
  function erasureBadge(c) {
    if (!c.erasure) return null;
    var b = c.erasure.status === 'completed' ? el('span', 'badge badge-erased', 'data erased')
      : el('span', 'badge badge-erasure', 'GDPR erasure requested');
    b.title = c.erasure.status === 'completed'
      ? 'Erased ' + new Date(c.erasure.completed_at).toLocaleString() + ' by ' + (c.erasure.agent || '?')
      : 'Requested ' + new Date(c.erasure.requested_at).toLocaleString() + ' — complete within 30 days';
    return b;
  }

  function ago(ts) {
    if (!ts) return '';
    var s = Math.max(0, Math.round((Date.now() - new Date(ts).getTime()) / 1000));
    if (s < 60) return s + 's';
    if (s < 3600) return Math.floor(s / 60) + 'm';
    if (s < 86400) return Math.floor(s / 3600) + 'h';
    return Math.floor(s / 86400) + 'd';
  }

  function el(tag, cls, text) {
    var n = document.createElement(tag);
    if (cls) n.className = cls;
    if (text !== undefined) n.textContent = text;
    return n;
  }

  function visitorName(c) { return 'Visitor ' + (c.visitor || '').slice(0, 10); }

  function renderItem(c) {
    var li = el('li', 'item' + (c.id === state.selected ? ' selected' : ''));
    li.dataset.id = c.id;
    var top = el('div', 'item-top');
    var p = el('span', 'prio' + (c.priority >= 70 ? ' prio-high' : c.priority >= 40 ? ' prio-mid' : ''), String(c.priority));
    p.title = 'Priority';
    top.appendChild(p);
    top.appendChild(el('span', 'item-name', visitorName(c)));
    if (c.vip) top.appendChild(el('span', 'badge badge-vip', 'VIP'));
    var ab = angerBadge(c.anger);
    if (ab) top.appendChild(el('span', ab[0], ab[1]));
    var eb = erasureBadge(c);
    if (eb) top.appendChild(eb);
    li.appendChild(top);
    li.appendChild(el('div', 'item-text', c.last_text || ''));
    var bottom = el('div', 'item-bottom');
    bottom.appendChild(el('span', '', c.channel || 'web'));
    if (c.lang) bottom.appendChild(el('span', '', '· ' + c.lang));
    if (c.status === 'queued' && c.queued_at) bottom.appendChild(el('span', '', '· waiting ' + ago(c.queued_at)));
    else bottom.appendChild(el('span', '', '· ' + ago(c.updated_at) + ' ago'));
    if (c.reason) bottom.appendChild(el('span', '', '· ' + c.reason.replace('_', ' ')));
    li.appendChild(bottom);
    li.addEventListener('click', function () { openConversation(c.id); });
    return li;
  }

  function refreshList() {
    if (!state.token) return;
    var status = state.tab === 'mine' ? 'assigned' : state.tab;
    Promise.all([
      api('GET', '/v1/conversations?status=' + status),
      api('GET', '/v1/conversations?status=queued'),
      api('GET', '/v1/conversations?status=assigned')
    ]).then(function (r) {
      var list = r[0];
      var mine = r[2].filter(function (c) { return state.agent && c.agent === state.agent.id; });
      if (state.tab === 'mine') list = mine;
      $('count-queued').textContent = r[1].length;
      $('count-mine').textContent = mine.length;
      var ul = $('list');
      ul.textContent = '';
      list.forEach(function (c) { ul.appendChild(renderItem(c)); });
      $('list-empty').hidden = list.length > 0;
      $('take-next').disabled = r[1].length === 0;
    }).catch(function () {});
  }

  function scheduleRefresh() {
    clearTimeout(state.refreshTimer);
    state.refreshTimer = setTimeout(refreshList, 150);
  }

  Array.prototype.forEach.call(document.querySelectorAll('.tab'), function (b) {
    b.addEventListener('click', function () {
      Array.prototype.forEach.call(document.querySelectorAll('.tab'), function (x) { x.classList.remove('active'); });
      b.classList.add('active');
      state.tab = b.dataset.status;
      refreshList();
    });
  });

  $('take-next').addEventListener('click', function () {
    api('POST', '/v1/queue/next').then(function (c) {
      openConversation(c.id);
      refreshList();
    }).catch(function (e) { alert(e.message); });
  });

  // ---- conversation ----
  var roleLabel = { shopper: 'Shopper', bot: 'Bot', agent: 'Agent', system: '' };

  function renderMessage(m) {
    if (state.seen[m.id]) return;
    state.seen[m.id] = true;
    var li = el('li', 'msg msg-' + (m.role || 'shopper'));
    var who = roleLabel[m.role] || '';
    if (m.role === 'agent' && m.author) who = m.author;
    var when = m.at ? new Date(m.at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }) : '';
    if (who || when) li.appendChild(el('span', 'who', [who, when].filter(Boolean).join(' · ')));
    li.appendChild(bubble(m));
    var ol = $('messages');
    var atBottom = ol.scrollHeight - ol.scrollTop - ol.clientHeight < 60;
    ol.appendChild(li);
    if (atBottom || m.role === 'agent') ol.scrollTop = ol.scrollHeight;
  }

  // ---- PII reveal ----
  // A shopper message's text holds placeholders ([PHONE], [EMAIL]…) where the
  // edge masked personal data; m.pii lists the vault tokens in order of
  // appearance. The n-th [TYPE] of the text is the n-th token of that type.
  // With a token, the placeholder is a button: the agent gives a reason and
  // the edge of the token's region (POST /v1/reveal, audited there) answers
  // with the value, shown inline until the conversation is reloaded.
  function bubble(m) {
    var div = el('div', 'bubble');
    var toks = (m.role === 'shopper' && m.pii) || [];
    if (!toks.length) { div.textContent = m.text; return div; }
    var byType = {};
    toks.forEach(function (t) { (byType[t.type] = byType[t.type] || []).push(t); });
    var re = /\[([A-Z0-9_]{1,32})\]/g, last = 0, hit;
    while ((hit = re.exec(m.text)) !== null) {
      var t = byType[hit[1]] && byType[hit[1]].shift();
      if (!t || !t.token) continue; // an empty token: masked, not kept
      div.appendChild(document.createTextNode(m.text.slice(last, hit.index)));
      div.appendChild(piiButton(hit[0], t));
      last = hit.index + hit[0].length;
    }
    div.appendChild(document.createTextNode(m.text.slice(last)));
    return div;
  }

  function piiButton(label, t) {
    var b = el('button', 'pii', label);
    b.type = 'button';
    b.dataset.token = t.token;
    b.dataset.type = t.type;
    b.dataset.region = t.region || (state.conv && state.conv.region) || '';
    b.title = 'Masked ' + t.type.toLowerCase() + ' — click to reveal (your reason is audited)';
    b.addEventListener('click', function () { askReason(b); });
    return b;
  }

  var revealTarget = null; // the placeholder button the reason form is for

  // askReason opens the inline reason form under the message of button b.
  function askReason(b) {
    var form = revealForm();
    revealTarget = b;
    b.closest('li').appendChild(form);
    $('reveal-what').textContent = 'Reveal the masked ' + b.dataset.type.toLowerCase() +
      (b.dataset.region ? ' (kept in region ' + b.dataset.region + ')' : '') + '. Why do you need it? Your reason is recorded in the audit log.';
    $('reveal-error').textContent = '';
    $('reveal-reason').value = '';
    form.hidden = false;
    $('reveal-reason').focus();
  }

  function revealForm() {
    var form = $('reveal-form');
    if (form) return form;
    form = el('form', 'reveal-form');
    form.id = 'reveal-form';
    form.hidden = true;
    var what = el('p', 'reveal-what'); what.id = 'reveal-what';
    var reason = el('input'); reason.id = 'reveal-reason'; reason.maxLength = 1024;
    reason.placeholder = 'Reason, e.g. "courier needs to call the shopper"';
    var ok = el('button', 'primary', 'Reveal'); ok.id = 'reveal-submit'; ok.type = 'submit';
    var cancel = el('button', 'ghost', 'Cancel'); cancel.id = 'reveal-cancel'; cancel.type = 'button';
    var err = el('p', 'error'); err.id = 'reveal-error'; err.setAttribute('role', 'alert');
    var row = el('div', 'reveal-row');
    row.appendChild(reason); row.appendChild(ok); row.appendChild(cancel);
    form.appendChild(what); form.appendChild(row); form.appendChild(err);
    cancel.addEventListener('click', function () { form.hidden = true; revealTarget = null; });
    form.addEventListener('submit', function (e) {
      e.preventDefault();
      var b = revealTarget, why = reason.value.trim();
      if (!b) return;
      if (!why) { err.textContent = 'Give a reason: every reveal is audited.'; reason.focus(); return; }
      ok.disabled = true;
      err.textContent = '';
      reveal(b.dataset.token, b.dataset.region, why).then(function (value) {
        var v = el('span', 'pii-revealed', value);
        v.title = 'Revealed for: ' + why + ' (audited)';
        v.dataset.token = b.dataset.token;
        var tag = el('span', 'pii-tag', 'revealed');
        b.replaceWith(v);
        v.after(tag);
        form.hidden = true; revealTarget = null;
      }).catch(function (e2) { err.textContent = e2.message; })
        .finally(function () { ok.disabled = false; });
    });
    return form;
  }

  // reveal asks the edge of region for the value of token.
  function reveal(token, region, reason) {
    var base = (region && state.edges[region]) || '';
    var where = region ? 'the edge of region ' + region : 'the edge';
    return fetch(base + '/v1/reveal', {
      method: 'POST',
      headers: { 'Authorization': 'Bearer ' + state.token, 'Content-Type': 'application/json' },
      body: JSON.stringify({ token: token, reason: reason })
    }).catch(function () {
      throw new Error('Cannot reach ' + where + (base ? ' (' + base + ')' : '') + '.');
    }).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (d) {
        if (res.ok && typeof d.value === 'string') return d.value;
        var msg = {
          400: 'Refused: ' + (d.error || 'bad request') + '.',
          401: 'Refused: your session is not accepted (expired?). Sign in again.',
          403: 'Refused: the value is kept in another region; ' + where + ' cannot reveal it.',
          404: 'Unknown or expired token: ' + where + ' no longer keeps this value (erased, or lost in a restart).',
          503: where.charAt(0).toUpperCase() + where.slice(1) + ' cannot check your session right now; try again.'
        }[res.status] || ('Reveal failed (HTTP ' + res.status + ').');
        throw new Error(msg);
      });
    });
  }

  function renderHead(c) {
    state.conv = c;
    $('conv-title').textContent = visitorName(c);
    var meta = $('conv-meta');
    meta.textContent = '';
    meta.appendChild(el('span', 'badge badge-status', c.status));
    if (c.vip) meta.appendChild(el('span', 'badge badge-vip', 'VIP'));
    var ab = angerBadge(c.anger);
    if (ab) meta.appendChild(el('span', ab[0], ab[1]));
    meta.appendChild(el('span', '', 'priority ' + c.priority));
    meta.appendChild(el('span', '', '· ' + (c.channel || 'web') + (c.lang ? ' · ' + c.lang : '')));
    if (c.reason) meta.appendChild(el('span', '', '· handed off: ' + c.reason.replace('_', ' ')));
    var eb = erasureBadge(c);
    if (eb) meta.appendChild(eb);
    $('erase').hidden = !!(c.erasure && c.erasure.status === 'completed');
    $('erase').classList.toggle('primary-danger', !!(c.erasure && c.erasure.status === 'requested'));
    var mine = state.agent && c.agent === state.agent.id;
    $('claim').hidden = c.status === 'closed' || mine;
    $('claim').disabled = c.status === 'assigned' && !mine;
    $('claim').textContent = c.status === 'assigned' && !mine ? 'Taken' : 'Claim';
    $('close').hidden = c.status === 'closed';
    $('reply-text').disabled = c.status === 'closed' || (c.status === 'assigned' && !mine);
    $('send').disabled = $('reply-text').disabled;
  }

  function openConversation(id) {
    state.selected = id;
    state.seen = {};
    $('messages').textContent = '';
    $('reply-error').textContent = '';
    $('conv-empty').hidden = true;
    $('conv').hidden = false;
    Array.prototype.forEach.call(document.querySelectorAll('.item'), function (n) {
      n.classList.toggle('selected', n.dataset.id === id);
    });
    api('GET', '/v1/conversations/' + encodeURIComponent(id)).then(renderHead).catch(function (e) {
      $('reply-error').textContent = e.message;
    });
    api('GET', '/v1/conversations/' + encodeURIComponent(id) + '/messages').then(function (msgs) {
      if (state.selected !== id) return;
      msgs.forEach(renderMessage);
      var ol = $('messages'); ol.scrollTop = ol.scrollHeight;
    }).catch(function () {});
  }

  function reloadHead() {
    if (!state.selected) return;
    var id = state.selected;
    api('GET', '/v1/conversations/' + encodeURIComponent(id)).then(function (c) {
      if (state.selected === id) renderHead(c);
    }).catch(function () {});
  }

  $('claim').addEventListener('click', function () {
    api('POST', '/v1/conversations/' + encodeURIComponent(state.selected) + '/claim').then(function (c) {
      renderHead(c); refreshList(); $('reply-text').focus();
    }).catch(function (e) { $('reply-error').textContent = e.message; reloadHead(); });
  });

  $('close').addEventListener('click', function () {
    if (!confirm('Close this conversation?')) return;
    api('POST', '/v1/conversations/' + encodeURIComponent(state.selected) + '/close').then(function (c) {
      renderHead(c); refreshList();
    }).catch(function (e) { $('reply-error').textContent = e.message; });
  });

  $('erase').addEventListener('click', function () {
    if (!state.selected) return;
    if (!confirm('Erase this shopper\'s data?\n\nEvery message of their conversations is replaced by "[erased]", their visitor id is pseudonymised and the conversations are closed. This cannot be undone.')) return;
    $('erase').disabled = true;
    api('POST', '/v1/conversations/' + encodeURIComponent(state.selected) + '/erase').then(function () {
      openConversation(state.selected); refreshList();
    }).catch(function (e) { $('reply-error').textContent = e.message; reloadHead(); })
      .finally(function () { $('erase').disabled = false; });
  });

  function newID() {
    var a = new Uint8Array(16);
    crypto.getRandomValues(a);
    return 'a' + Array.prototype.map.call(a, function (b) { return ('0' + b.toString(16)).slice(-2); }).join('');
  }

  $('reply-form').addEventListener('submit', function (e) {
    e.preventDefault();
    var ta = $('reply-text');
    var text = ta.value.trim();
    if (!text || !state.selected) return;
    var id = ta.dataset.pendingId || newID();
    ta.dataset.pendingId = id; // a retry after an error reuses the id: never doubled
    $('send').disabled = true;
    api('POST', '/v1/conversations/' + encodeURIComponent(state.selected) + '/messages', { id: id, text: text }).then(function (m) {
      delete ta.dataset.pendingId;
      ta.value = '';
      $('reply-error').textContent = '';
      renderMessage(m);
      reloadHead();
    }).catch(function (err) {
      $('reply-error').textContent = err.message;
    }).finally(function () { $('send').disabled = false; ta.focus(); });
  });

  $('reply-text').addEventListener('keydown', function (e) {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      $('reply-form').requestSubmit();
    }
  });
  $('reply-text').addEventListener('input', function () { delete $('reply-text').dataset.pendingId; });

  // ---- live events ----
  function setConn(on) {
    var c = $('conn');
    c.className = 'conn ' + (on ? 'conn-on' : 'conn-off');
    c.textContent = on ? 'live' : 'offline';
  }

  function connect() {
    if (!state.token || state.ws) return;
    var proto = location.protocol === 'https:' ? 'wss://' : 'ws://';
    var ws = new WebSocket(proto + location.host + '/v1/console/ws?token=' + encodeURIComponent(state.token));
    state.ws = ws;
    ws.onopen = function () { state.wsRetry = 0; setConn(true); refreshList(); };
    ws.onmessage = function (e) {
      var ev;
      try { ev = JSON.parse(e.data); } catch (_) { return; }
      scheduleRefresh();
      if (ev.conversation_id === state.selected) {
        if (ev.type === 'conversation.message' && ev.message) renderMessage(ev.message);
        else if (ev.type === 'conversation.erasure' && ev.reason === 'completed') openConversation(state.selected); // texts are tombstones now
        else reloadHead();
      }
    };
    ws.onclose = function () {
      state.ws = null;
      setConn(false);
      if (!state.token) return;
      var wait = Math.min(10000, 500 * Math.pow(2, state.wsRetry++));
      setTimeout(connect, wait);
    };
  }

  // Waiting times and live priorities change with the clock.
  setInterval(function () { if (state.token && !document.hidden) refreshList(); }, 15000);

  if (state.token) {
    api('GET', '/v1/me').then(function (a) {
      state.agent = a; sessionStorage.setItem('kefu.agent', JSON.stringify(a)); showApp();
    }).catch(function () { logout(); });
  } else {
    showLogin();
  }
})();
