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
    refreshTimer: 0,
    // The workspace (issue 10): reply or internal note, canned replies,
    // agents and teams for transfers, the open conversation's work view.
    mode: 'reply',
    canned: [],
    agents: [],
    teams: [],
    myTeams: [],
    work: null,
    items: [],       // the list as shown, for Alt+↑/↓
    suggestion: null
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

  // First sign-in with a one-time password: the agent chooses a new one
  // (POST /v1/password) before the console opens.
  function showPasswordChange(current) {
    $('app').hidden = true;
    $('login').hidden = false;
    $('login-form').hidden = true;
    $('pw-form').hidden = false;
    $('pw-current').value = current || '';
    (current ? $('pw-new') : $('pw-current')).focus();
  }
  $('pw-form').addEventListener('submit', function (e) {
    e.preventDefault();
    var err = $('pw-error');
    err.hidden = true;
    if ($('pw-new').value !== $('pw-repeat').value) { err.textContent = 'The two new passwords differ.'; err.hidden = false; return; }
    $('pw-submit').disabled = true;
    api('POST', '/v1/password', { current: $('pw-current').value, 'new': $('pw-new').value }).then(function (r) {
      state.token = r.token; state.agent = r.agent;
      sessionStorage.setItem('kefu.token', r.token);
      sessionStorage.setItem('kefu.agent', JSON.stringify(r.agent));
      $('pw-form').reset(); $('pw-form').hidden = true; $('login-form').hidden = false;
      showApp();
    }).catch(function (e2) {
      err.textContent = e2.message; err.hidden = false;
    }).finally(function () { $('pw-submit').disabled = false; });
  });

  function showApp() {
    $('login').hidden = true;
    $('app').hidden = false;
    $('me').textContent = state.agent ? (state.agent.name + ' · ' + state.agent.tenant) : '';
    $('admin-link').hidden = !(state.agent && (state.agent.role === 'owner' || state.agent.role === 'admin'));
    refreshList();
    connect();
    api('GET', '/v1/console/config').then(function (c) { state.edges = (c && c.edges) || {}; }).catch(function () {});
    loadWorkspace();
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
      var typed = $('login-password').value;
      $('login-password').value = '';
      if (r.agent && r.agent.must_change_password) { showPasswordChange(typed); return; }
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

  // Invisible and direction-changing characters are shown visibly in every
  // text the console draws (SECURITY.md): a file named "gnp\u202Eexe.png"
  // must not read "exe.png", nor "pay\u200Bpal.com" "paypal.com". Bidi
  // controls, zero-width characters, soft hyphens, fillers and BOMs become
  // ⟦U+XXXX⟧; the zero-width joiner (emoji sequences) is kept.
  var INVISIBLE = /[\u00AD\u034F\u061C\u115F\u1160\u17B4\u17B5\u180B-\u180F\u200B\u200C\u200E\u200F\u202A-\u202E\u2060-\u206F\u3164\uFE00-\uFE0E\uFEFF\uFFA0\uFFF9-\uFFFB]/g;
  function shown(s) {
    if (typeof s !== 'string') return s;
    return s.replace(INVISIBLE, function (c) {
      var h = c.charCodeAt(0).toString(16).toUpperCase();
      return '\u27E6U+' + '0000'.slice(h.length) + h + '\u27E7';
    });
  }
  window.kefuShown = shown; // for tests

  function el(tag, cls, text) {
    var n = document.createElement(tag);
    if (cls) n.className = cls;
    if (text !== undefined) n.textContent = shown(text);
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
    if (c.team) bottom.appendChild(el('span', 'badge badge-team', c.team));
    li.appendChild(bottom);
    if (c.tags && c.tags.length) {
      var tg = el('div', 'item-tags');
      c.tags.forEach(function (x) { tg.appendChild(el('span', 'tag', x)); });
      li.appendChild(tg);
    }
    li.addEventListener('click', function () { openConversation(c.id); });
    return li;
  }

  function refreshList() {
    if (!state.token) return;
    var status = { mine: 'assigned', team: '', all: '', tickets: 'queued' }[state.tab];
    if (status === undefined) status = state.tab;
    Promise.all([
      api('GET', '/v1/conversations' + (status ? '?status=' + status : '')),
      api('GET', '/v1/conversations?status=queued'),
      api('GET', '/v1/conversations?status=assigned'),
      api('GET', '/v1/tickets?status=open')
    ]).then(function (r) {
      var list = r[0];
      var mine = r[2].filter(function (c) { return state.agent && c.agent === state.agent.id; });
      if (state.tab === 'mine') list = mine;
      if (state.tab === 'team') list = list.filter(function (c) { return c.team && state.myTeams.indexOf(c.team) >= 0; });
      var tag = $('tag-filter').value.trim().toLowerCase();
      if (tag) list = list.filter(function (c) { return (c.tags || []).indexOf(tag) >= 0; });
      $('count-queued').textContent = r[1].length;
      $('count-mine').textContent = mine.length;
      var tickets = r[3].filter(function (t) { return t.kind === 'callback' || t.kind === 'after_hours' || t.kind === 'complaint'; });
      $('count-tickets').textContent = tickets.length;
      // Never under a pressed pointer: a row rebuilt between press and
      // release would swallow the click (the two land on different nodes).
      if (listPressed) { pendingList = function () { renderList(list, tickets, r); }; return; }
      renderList(list, tickets, r);
    }).catch(function () {});
  }

  function renderList(list, tickets, r) {
    var ul = $('list');
    ul.textContent = '';
    if (state.tab === 'tickets') {
      state.items = [];
      tickets.forEach(function (t) { ul.appendChild(renderTicket(t)); });
      $('list-empty').hidden = tickets.length > 0;
    } else {
      state.items = list.map(function (c) { return c.id; });
      list.forEach(function (c) { ul.appendChild(renderItem(c)); });
      $('list-empty').hidden = list.length > 0;
    }
    $('take-next').disabled = r[1].length === 0;
    var known = {};
    r[0].concat(r[2]).forEach(function (c) { (c.tags || []).forEach(function (x) { known[x] = true; }); });
    var dl = $('tag-list'); dl.textContent = '';
    Object.keys(known).sort().forEach(function (x) { var o = el('option'); o.value = x; dl.appendChild(o); });
  }

  var listPressed = false, pendingList = null;
  $('list').addEventListener('pointerdown', function () { listPressed = true; });
  function listReleased() {
    if (!listPressed) return;
    listPressed = false;
    var render = pendingList;
    pendingList = null;
    if (render) setTimeout(render, 0); // after the click this release makes
  }
  window.addEventListener('pointerup', listReleased, true);
  window.addEventListener('pointercancel', listReleased, true);

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

  // addTranslation shows a shopper message's translation, or what an agent
  // wrote before it was translated for the shopper (translation.go).
  function addTranslation(li, m) {
    var old = li.querySelector('.tr');
    if (old) old.remove();
    var tr = m.translation, orig = m.original, line = null;
    if (tr && tr.error) line = el('div', 'tr failed', 'Not translated (' + (tr.lang || '?') + '): ' + tr.error);
    else if (tr && tr.text) line = el('div', 'tr', '🌐 ' + tr.lang + ': ' + tr.text);
    else if (orig && orig.text) line = el('div', 'tr', 'You wrote (' + orig.lang + '): ' + orig.text + ' — sent in ' + (m.lang || '?'));
    if (line) li.appendChild(line);
  }

  // addShown shows what the shopper was shown of a reply when an edge
  // plugin changed it (a promotion line appended…): message.shown.
  function addShown(li, m) {
    var old = li.querySelector('.shown');
    if (old) old.remove();
    if (m.shown) li.appendChild(el('div', 'tr shown', 'Shopper saw: ' + m.shown));
  }

  // ---- channels (one customer across channels) ----
  var channelNames = { web: 'Web', app: 'App', wechat: 'WeChat', wecom: 'WeCom', douyin: 'Douyin', email: 'E-mail',
    telegram: 'Telegram', whatsapp: 'WhatsApp', webhook: 'Webhook' };
  function channelName(kind, id) {
    return (channelNames[kind] || kind) + (id ? ' (' + id + ')' : '');
  }
  // loadChannels fills the reply's channel picker: the shopper's latest
  // channel is the default; the others are those the shopper used or that
  // are linked to the contact (GET /v1/conversations/{id}/channels).
  function loadChannels(id) {
    api('GET', '/v1/conversations/' + encodeURIComponent(id) + '/channels').then(function (v) {
      if (state.selected !== id) return;
      var sel = $('reply-channel'), keep = sel.value, chs = (v && v.channels) || [];
      sel.textContent = '';
      chs.forEach(function (c, i) {
        var o = document.createElement('option');
        o.value = i === 0 ? '' : (c.channel_id || c.channel);
        o.textContent = (i === 0 ? 'Last used: ' : '') + channelName(c.channel, c.channel_id);
        sel.appendChild(o);
      });
      sel.hidden = chs.length < 2;
      if (keep && Array.prototype.some.call(sel.options, function (o) { return o.value === keep; })) sel.value = keep;
    }).catch(function () { $('reply-channel').hidden = true; });
  }

  function renderMessage(m) {
    if (state.seen[m.id]) {
      // A later event may carry the message's translation.
      var seenLi = $('messages').querySelector('li[data-id="' + CSS.escape(m.id) + '"]');
      if (seenLi && (m.translation || m.original)) addTranslation(seenLi, m);
      if (seenLi && m.shown) addShown(seenLi, m);
      return;
    }
    state.seen[m.id] = true;
    var li = el('li', 'msg msg-' + (m.role || 'shopper'));
    li.dataset.id = m.id;
    li.dataset.at = m.at ? new Date(m.at).getTime() : Date.now();
    var who = roleLabel[m.role] || '';
    if (m.role === 'agent' && m.author) who = m.author;
    if (m.role === 'note') who = '🔒 Note · ' + (m.author || '');
    if (m.role === 'bot' && m.source === 'local') who = 'Answered in the browser';
    if (m.role === 'bot' && m.source === 'edge') who = 'Answered at the edge' + (m.author ? ' (' + m.author + ')' : '');
    var when = m.at ? new Date(m.at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }) : '';
    var via = m.channel && m.role !== 'note' ? 'via ' + channelName(m.channel, m.channel_id) : '';
    if (who || when || via) {
      var w = el('span', 'who', [who, via, when].filter(Boolean).join(' · '));
      if (m.channel) { w.dataset.channel = m.channel; if (m.channel_id) w.dataset.channelId = m.channel_id; }
      li.appendChild(w);
    }
    li.appendChild(bubble(m));
    if (m.attachments && m.attachments.length) li.appendChild(photos(m));
    if (m.role === 'bot' && m.sources && m.sources.length) {
      // What the bot's answer cited, as text (titles are the merchant's).
      li.appendChild(el('div', 'sources', 'Source: ' + m.sources.map(function (s) {
        return (s.title || s.doc) + (s.version ? ' (v' + s.version + ')' : '');
      }).join('; ')));
    }
    addTranslation(li, m);
    addShown(li, m);
    var ol = $('messages');
    var atBottom = ol.scrollHeight - ol.scrollTop - ol.clientHeight < 60;
    // Keep time order (a note or a reported local answer may come late).
    var next = null, at = Number(li.dataset.at);
    for (var n = ol.lastElementChild; n; n = n.previousElementSibling) {
      if (n.dataset && n.dataset.at && Number(n.dataset.at) > at) next = n; else if (n.dataset && n.dataset.at) break;
    }
    if (next) ol.insertBefore(li, next); else ol.appendChild(li);
    if (atBottom || m.role === 'agent') ol.scrollTop = ol.scrollHeight;
  }

  // ---- photos ----
  // A shopper's photo is fetched with the agent's token (GET
  // /v1/conversations/:id/attachments/:aid: an image type central checked,
  // without metadata) and shown from a blob: URL; a click opens it full size.
  function photos(m) {
    var box = el('div', 'photos'), conv = m.conversation_id || (state.conv && state.conv.id) || '';
    m.attachments.forEach(function (a) {
      if (!/^image\/(jpeg|png|webp)$/.test(a.type || '')) return;
      var img = el('img', 'photo');
      img.alt = 'Photo from the shopper' + (a.width ? ' (' + a.width + '×' + a.height + ')' : '');
      img.dataset.attachment = a.id;
      box.appendChild(img);
      fetch('/v1/conversations/' + encodeURIComponent(conv) + '/attachments/' + encodeURIComponent(a.id), {
        headers: { 'Authorization': 'Bearer ' + state.token }
      }).then(function (r) {
        if (!r.ok) throw new Error('HTTP ' + r.status);
        return r.blob();
      }).then(function (b) {
        var url = URL.createObjectURL(b);
        img.src = url;
        img.addEventListener('click', function () { window.open(url, '_blank', 'noopener'); });
      }).catch(function (e) { box.replaceChild(el('span', 'photo-missing', 'Photo not available (' + e.message + ')'), img); });
    });
    return box;
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
    if (!toks.length) { div.textContent = shown(m.text); return div; }
    var byType = {};
    toks.forEach(function (t) { (byType[t.type] = byType[t.type] || []).push(t); });
    var re = /\[([A-Z0-9_]{1,32})\]/g, last = 0, hit;
    while ((hit = re.exec(m.text)) !== null) {
      var t = byType[hit[1]] && byType[hit[1]].shift();
      if (!t || !t.token) continue; // an empty token: masked, not kept
      div.appendChild(document.createTextNode(shown(m.text.slice(last, hit.index))));
      div.appendChild(piiButton(hit[0], t));
      last = hit.index + hit[0].length;
    }
    div.appendChild(document.createTextNode(shown(m.text.slice(last))));
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
    $('reopen').hidden = c.status !== 'closed';
    $('transfer').hidden = c.status === 'closed' || (c.status === 'assigned' && !mine);
    $('reply-text').disabled = c.status === 'closed' || (c.status === 'assigned' && !mine);
    $('send').disabled = $('reply-text').disabled;
    if (state.work) { renderPanel(state.work); tickSLA(); }
  }

  var drafts = {}; // conversation id → unsent reply text
  function openConversation(id) {
    closePopups();
    if (state.selected) drafts[state.selected] = $('reply-text').value;
    $('reply-text').value = drafts[id] || '';
    delete $('reply-text').dataset.pendingId;
    state.work = null; state.suggestion = null; $('suggest').hidden = true; $('typing').hidden = true;
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
    $('reply-channel').textContent = ''; $('reply-channel').hidden = true;
    loadChannels(id);
    loadWork(id);
    loadSuggestion(id);
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
    if (state.mode === 'note') {
      api('POST', '/v1/conversations/' + encodeURIComponent(state.selected) + '/notes', { id: id, text: text }).then(function (n) {
        delete ta.dataset.pendingId;
        ta.value = '';
        $('reply-error').textContent = '';
        renderMessage(noteMessage(n));
      }).catch(function (err) { $('reply-error').textContent = err.message; })
        .finally(function () { $('send').disabled = false; ta.focus(); });
      return;
    }
    var body = { id: id, text: text };
    if ($('reply-channel').value) body.channel = $('reply-channel').value;
    api('POST', '/v1/conversations/' + encodeURIComponent(state.selected) + '/messages', body).then(function (m) {
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
    if (cannedKey(e)) return;
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
      if (ev.type === 'conversation.typing') { if (ev.conversation_id === state.selected && ev.reason === 'shopper') showTyping(); return; }
      if (ev.type === 'agent.presence') { loadAgents(); return; }
      scheduleRefresh();
      if (ev.conversation_id === state.selected) {
        if (ev.type === 'conversation.message' && ev.message) { renderMessage(ev.message); if (ev.message.role === 'shopper') { $('typing').hidden = true; loadSuggestion(state.selected); loadChannels(state.selected); } }
        else if ((ev.type === 'conversation.note' || ev.type === 'message.shown') && ev.message) renderMessage(ev.message);
        else if (ev.type === 'conversation.tags' || ev.type === 'csat.submitted' || ev.type === 'ticket.created') loadWork(state.selected);
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

  // ---- the workspace (issue 10) ----
  function loadWorkspace() {
    api('GET', '/v1/canned').then(function (l) { state.canned = l || []; }).catch(function () {});
    api('GET', '/v1/teams').then(function (l) {
      state.teams = l || [];
      var sel = $('transfer-team'); sel.length = 1;
      state.teams.forEach(function (t) { var o = el('option', '', t.name || t.id); o.value = t.id; sel.appendChild(o); });
    }).catch(function () {});
    loadAgents();
    sendPresence('online');
  }

  function loadAgents() {
    api('GET', '/v1/agents').then(function (l) {
      state.agents = l || [];
      var me = state.agents.filter(function (a) { return state.agent && a.id === state.agent.id; })[0];
      state.myTeams = (me && me.teams) || [];
      var sel = $('transfer-agent'), keep = sel.value; sel.length = 1;
      state.agents.forEach(function (a) {
        if (state.agent && a.id === state.agent.id) return;
        var o = el('option', '', a.name + ' — ' + a.presence + ' (' + a.active + '/' + a.capacity + ')'); o.value = a.id; sel.appendChild(o);
      });
      sel.value = keep;
    }).catch(function () {});
  }

  function wsSend(f) { if (state.ws && state.ws.readyState === 1) state.ws.send(JSON.stringify(f)); }

  function sendPresence(p) {
    $('presence').value = p;
    $('presence-dot').className = 'pdot pdot-' + p;
    wsSend({ type: 'presence', status: p });
    api('POST', '/v1/me/presence', { status: p }).catch(function () {});
  }
  $('presence').addEventListener('change', function () { sendPresence($('presence').value); });

  // Activity keeps the agent online (auto-away after the tenant's idle time).
  var lastActivity = 0;
  function activity() {
    var now = Date.now();
    if (now - lastActivity < 30000 || $('presence').value !== 'online') return;
    lastActivity = now;
    wsSend({ type: 'activity' });
  }
  document.addEventListener('keydown', activity, true);
  document.addEventListener('click', activity, true);

  // Typing reaches the shopper as "agent is typing" (at most every 2 s).
  var lastTyping = 0;
  $('reply-text').addEventListener('input', function () {
    cannedUpdate();
    if (state.mode !== 'reply' || !state.selected) return;
    var now = Date.now();
    if (now - lastTyping < 2000 || !$('reply-text').value.trim() || $('reply-text').value[0] === '/') return;
    lastTyping = now;
    wsSend({ type: 'typing', conversation_id: state.selected });
  });

  var typingTimer = 0;
  function showTyping() {
    $('typing').hidden = false;
    clearTimeout(typingTimer);
    typingTimer = setTimeout(function () { $('typing').hidden = true; }, 5000);
  }

  function setMode(m) {
    state.mode = m;
    $('mode-reply').classList.toggle('active', m === 'reply');
    $('mode-note').classList.toggle('active', m === 'note');
    $('reply-form').classList.toggle('note-mode', m === 'note');
    $('reply-text').placeholder = m === 'note' ? 'Internal note — only agents see it' : 'Write a reply… (Enter to send, Shift+Enter for a new line, / for canned replies)';
    $('send').textContent = m === 'note' ? 'Add note' : 'Send';
    $('reply-text').focus();
  }
  $('mode-reply').addEventListener('click', function () { setMode('reply'); });
  $('mode-note').addEventListener('click', function () { setMode('note'); });

  function noteMessage(n) { return { id: n.id, role: 'note', text: n.text, author: n.author, at: n.at }; }

  // ---- work view: customer panel, SLA timers, notes ----
  function loadWork(id) {
    api('GET', '/v1/conversations/' + encodeURIComponent(id) + '/work').then(function (w) {
      if (state.selected !== id) return;
      state.work = w;
      (w.notes || []).forEach(function (n) { renderMessage(noteMessage(n)); });
      renderPanel(w);
      tickSLA();
    }).catch(function () {});
  }

  function fact(dl, k, v) {
    if (v === undefined || v === null || v === '') return;
    dl.appendChild(el('dt', '', k));
    var dd = el('dd');
    if (/^https?:\/\//.test(v)) { var a = el('a', '', v); a.href = v; a.target = '_blank'; a.rel = 'noopener noreferrer'; dd.appendChild(a); }
    else dd.textContent = shown(v);
    dl.appendChild(dd);
  }

  function renderPanel(w) {
    var c = state.conv || {};
    $('panel-empty').hidden = true; $('panel-body').hidden = false;
    var cust = $('cust'); cust.textContent = '';
    fact(cust, 'Visitor', c.visitor); fact(cust, 'Channel', c.channel); fact(cust, 'Region', c.region); fact(cust, 'Language', c.lang);
    fact(cust, 'VIP', c.vip ? 'yes' : ''); fact(cust, 'Team', w.team);
    var page = $('page'); page.textContent = '';
    var ctx = w.context || {};
    ['url', 'title', 'product', 'sku', 'cart', 'referrer', 'locale'].forEach(function (k) { fact(page, k, ctx[k]); });
    if (!page.childNodes.length) page.appendChild(el('dd', 'muted', 'No page context.'));
    renderTags(w.tags || []);
    var cs = $('csat'); cs.textContent = '';
    (w.csat || []).forEach(function (r) {
      cs.appendChild(el('li', '', '★'.repeat(r.rating) + '☆'.repeat(5 - r.rating) + (r.comment ? ' “' + r.comment + '”' : '') + ' · ' + new Date(r.at).toLocaleDateString()));
    });
    if (!cs.childNodes.length) cs.appendChild(el('li', 'muted', 'No rating yet.'));
    var tk = $('tickets'); tk.textContent = '';
    (w.tickets || []).filter(function (t) { return t.kind === 'callback' || t.kind === 'after_hours' || t.kind === 'complaint'; }).forEach(function (t) {
      var li = el('li', '', (t.kind === 'callback' ? '📞 ' : '🌙 ') + t.detail + (t.due_at ? ' · due ' + new Date(t.due_at).toLocaleString() : '') + ' · ' + t.status);
      tk.appendChild(li);
    });
    if (!tk.childNodes.length) tk.appendChild(el('li', 'muted', 'None.'));
    var pv = $('previous'); pv.textContent = '';
    (w.previous || []).forEach(function (p) {
      var li = el('li', '', new Date(p.updated_at).toLocaleDateString() + ' · ' + (p.last_text || ''));
      li.style.cursor = 'pointer';
      li.addEventListener('click', function () { openConversation(p.id); });
      pv.appendChild(li);
    });
    if (!pv.childNodes.length) pv.appendChild(el('li', 'muted', 'None.'));
  }

  function renderTags(tags) {
    var box = $('tags'); box.textContent = '';
    tags.forEach(function (x) {
      var t = el('span', 'tag', x);
      var rm = el('button', '', '×'); rm.type = 'button'; rm.setAttribute('aria-label', 'Remove tag ' + x);
      rm.addEventListener('click', function () { saveTags(tags.filter(function (y) { return y !== x; })); });
      t.appendChild(rm); box.appendChild(t);
    });
  }

  function saveTags(tags) {
    var id = state.selected;
    api('PUT', '/v1/conversations/' + encodeURIComponent(id) + '/tags', { tags: tags }).then(function (r) {
      if (state.work && state.selected === id) { state.work.tags = r.tags; renderTags(r.tags); }
      scheduleRefresh();
    }).catch(function (e) { $('reply-error').textContent = e.message; });
  }
  $('tag-form').addEventListener('submit', function (e) {
    e.preventDefault();
    var v = $('tag-input').value.trim().toLowerCase();
    if (!v || !state.work) return;
    $('tag-input').value = '';
    saveTags((state.work.tags || []).concat([v]));
  });
  $('tag-filter').addEventListener('input', scheduleRefresh);

  // SLA timers: time left to the first response and to resolution.
  function fmt(ms) {
    var neg = ms < 0, s = Math.floor(Math.abs(ms) / 1000);
    var t = (s >= 3600 ? Math.floor(s / 3600) + 'h ' : '') + Math.floor(s % 3600 / 60) + 'm ' + ('0' + s % 60).slice(-2) + 's';
    return neg ? '-' + t : t;
  }
  function timer(label, due, done) {
    if (!due) return null;
    var span = el('span', 'timer');
    if (done) { span.className = 'timer met' + (done > due ? ' breached' : ''); span.textContent = label + (done > due ? ' missed' : ' met'); return span; }
    var left = due - Date.now();
    span.className = 'timer' + (left < 0 ? ' breached' : left < 60000 ? ' warn' : '');
    span.textContent = label + ' ' + (left < 0 ? 'breached ' + fmt(-left) + ' ago' : fmt(left));
    return span;
  }
  function tickSLA() {
    var box = $('sla'); box.textContent = '';
    var w = state.work;
    if (!w || !w.sla || !state.conv) return;
    var t1 = timer('First response', w.sla.first_response_due, w.sla.first_response_at);
    var t2 = timer('Resolution', w.sla.resolution_due, w.sla.closed_at || (state.conv.status === 'closed' ? Date.now() : 0));
    if (t1) box.appendChild(t1);
    if (t2) box.appendChild(t2);
  }
  setInterval(tickSLA, 1000);

  // ---- suggested answer ----
  function loadSuggestion(id) {
    api('GET', '/v1/conversations/' + encodeURIComponent(id) + '/suggest').then(function (sg) {
      if (state.selected !== id) return;
      state.suggestion = sg;
      $('suggest-text').textContent = shown(sg.answer);
      $('suggest-score').textContent = 'for “' + sg.question.slice(0, 60) + '” · score ' + sg.score.toFixed(2);
      $('suggest').hidden = !state.conv || state.conv.status === 'closed';
    }).catch(function () { if (state.selected === id) { state.suggestion = null; $('suggest').hidden = true; } });
  }
  function insertSuggestion() {
    if (!state.suggestion) return;
    setMode('reply');
    var ta = $('reply-text');
    ta.value = (ta.value ? ta.value + '\n' : '') + state.suggestion.answer;
    ta.focus(); ta.setSelectionRange(ta.value.length, ta.value.length);
    $('suggest').hidden = true;
  }
  $('suggest-insert').addEventListener('click', insertSuggestion);
  $('suggest-dismiss').addEventListener('click', function () { $('suggest').hidden = true; });

  // ---- canned replies: "/" then type to search; variables filled in ----
  var cannedSel = 0, cannedHits = [];
  function vars(text) {
    var c = state.conv || {}, ctx = (state.work && state.work.context) || {};
    var order = '';
    Array.prototype.forEach.call($('messages').querySelectorAll('li.msg-shopper .bubble'), function (b) {
      var m = b.textContent.match(/\b\d{5,12}\b/);
      if (m) order = m[0];
    });
    var v = { name: visitorName(c), visitor: c.visitor || '', order: order, agent: (state.agent && state.agent.name) || '', product: ctx.product || ctx.sku || '', url: ctx.url || '' };
    return text.replace(/\{(\w+)\}/g, function (all, k) { return v[k] !== undefined && v[k] !== '' ? v[k] : all; });
  }
  function cannedUpdate() {
    var t = $('reply-text').value, pop = $('canned-pop');
    if (t[0] !== '/' || /\s/.test(t)) { pop.hidden = true; return; }
    var q = t.slice(1).toLowerCase();
    cannedHits = state.canned.filter(function (c) { return c.shortcut.toLowerCase().indexOf(q) === 0 || c.text.toLowerCase().indexOf(q) >= 0; }).slice(0, 8);
    pop.textContent = '';
    if (!cannedHits.length) { pop.appendChild(el('li', 'muted', state.canned.length ? 'No canned reply matches.' : 'No canned replies yet (add them on the Canned page).')); pop.hidden = false; return; }
    cannedSel = Math.min(cannedSel, cannedHits.length - 1);
    cannedHits.forEach(function (c, i) {
      var li = el('li', i === cannedSel ? 'active' : '');
      li.setAttribute('role', 'option');
      li.appendChild(el('b', '', '/' + c.shortcut)); li.appendChild(el('span', '', c.text));
      li.addEventListener('mousedown', function (e) { e.preventDefault(); pickCanned(i); });
      pop.appendChild(li);
    });
    pop.hidden = false;
  }
  function pickCanned(i) {
    var c = cannedHits[i];
    if (!c) return;
    $('reply-text').value = vars(c.text);
    $('canned-pop').hidden = true;
    $('reply-text').focus();
  }
  function cannedKey(e) {
    if ($('canned-pop').hidden) return false;
    if (e.key === 'ArrowDown') { cannedSel = Math.min(cannedSel + 1, cannedHits.length - 1); cannedUpdate(); }
    else if (e.key === 'ArrowUp') { cannedSel = Math.max(cannedSel - 1, 0); cannedUpdate(); }
    else if (e.key === 'Enter' || e.key === 'Tab') pickCanned(cannedSel);
    else if (e.key === 'Escape') $('canned-pop').hidden = true;
    else return false;
    e.preventDefault();
    return true;
  }

  // ---- transfer, reopen ----
  $('transfer').addEventListener('click', function () { $('transfer-form').hidden = !$('transfer-form').hidden; $('transfer-error').textContent = ''; loadAgents(); });
  $('transfer-cancel').addEventListener('click', function () { $('transfer-form').hidden = true; });
  $('transfer-form').addEventListener('submit', function (e) {
    e.preventDefault();
    var body = { agent: $('transfer-agent').value, team: $('transfer-team').value, note: $('transfer-note').value.trim() };
    if (!body.agent && !body.team) { $('transfer-error').textContent = 'Choose an agent or a team.'; return; }
    api('POST', '/v1/conversations/' + encodeURIComponent(state.selected) + '/transfer', body).then(function (c) {
      $('transfer-form').hidden = true; $('transfer-note').value = '';
      renderHead(c); refreshList(); loadWork(c.id);
    }).catch(function (e2) { $('transfer-error').textContent = e2.message; });
  });
  $('reopen').addEventListener('click', function () {
    api('POST', '/v1/conversations/' + encodeURIComponent(state.selected) + '/reopen').then(function (c) {
      renderHead(c); refreshList();
    }).catch(function (e) { $('reply-error').textContent = e.message; });
  });

  // ---- callbacks (tickets) ----
  function renderTicket(t) {
    var li = el('li', 'item');
    li.dataset.id = t.conversation_id;
    var top = el('div', 'item-top');
    top.appendChild(el('span', 'item-name', (t.kind === 'callback' ? '📞 Callback' : '🌙 After hours')));
    if (t.due_at) top.appendChild(el('span', 'badge badge-wait', 'due ' + new Date(t.due_at).toLocaleString([], { weekday: 'short', hour: '2-digit', minute: '2-digit' })));
    li.appendChild(top);
    li.appendChild(el('div', 'item-text', t.detail));
    var done = el('button', 'ghost', 'Done');
    done.addEventListener('click', function (e) {
      e.stopPropagation();
      api('POST', '/v1/tickets/' + encodeURIComponent(t.id) + '/done').then(refreshList).catch(function () {});
    });
    li.appendChild(done);
    li.addEventListener('click', function () { openConversation(t.conversation_id); });
    return li;
  }

  // ---- keyboard shortcuts ----
  function closePopups() {
    $('canned-pop').hidden = true; $('shortcuts').hidden = true; $('transfer-form').hidden = true;
  }
  $('shortcuts-btn').addEventListener('click', function () { $('shortcuts').hidden = !$('shortcuts').hidden; });
  $('shortcuts-close').addEventListener('click', function () { $('shortcuts').hidden = true; });
  function move(d) {
    if (!state.items.length) return;
    var i = state.items.indexOf(state.selected) + d;
    i = Math.max(0, Math.min(state.items.length - 1, i));
    openConversation(state.items[i]);
  }
  document.addEventListener('keydown', function (e) {
    if ($('app').hidden) return;
    var typing = /^(INPUT|TEXTAREA|SELECT)$/.test((e.target && e.target.tagName) || '');
    if (e.key === 'Escape') { closePopups(); return; }
    if (!e.altKey) {
      if (e.key === '?' && !typing) { $('shortcuts').hidden = !$('shortcuts').hidden; e.preventDefault(); }
      return;
    }
    var k = e.key.toLowerCase(), done = true;
    if (e.code === 'KeyN' || k === 'n') $('take-next').click();
    else if (e.key === 'ArrowDown') move(1);
    else if (e.key === 'ArrowUp') move(-1);
    else if (e.code === 'KeyR' || k === 'r') setMode('reply');
    else if (e.code === 'KeyM' || k === 'm') setMode('note');
    else if (e.code === 'KeyI' || k === 'i') insertSuggestion();
    else if ((e.code === 'KeyT' || k === 't') && state.selected) $('transfer').click();
    else if ((e.code === 'KeyC' || k === 'c') && state.selected && !$('close').hidden) $('close').click();
    else done = false;
    if (done) e.preventDefault();
  });

  if (state.token) {
    api('GET', '/v1/me').then(function (a) {
      state.agent = a; sessionStorage.setItem('kefu.agent', JSON.stringify(a));
      if (a.must_change_password) showPasswordChange(''); else showApp();
    }).catch(function () { logout(); });
  } else {
    showLogin();
  }
})();
