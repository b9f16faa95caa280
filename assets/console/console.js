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
    li.appendChild(el('div', 'bubble', m.text));
    var ol = $('messages');
    var atBottom = ol.scrollHeight - ol.scrollTop - ol.clientHeight < 60;
    ol.appendChild(li);
    if (atBottom || m.role === 'agent') ol.scrollTop = ol.scrollHeight;
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
