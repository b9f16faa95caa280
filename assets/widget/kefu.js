/*! Kefu widget loader — https://github.com/kefu-io/kefu (Apache-2.0)
 * Loaded by the bootstrap kefu.js (boot.js): <script src="https://EDGE/kefu.js" data-site="SITE" async></script>
 * Options (data- attributes of that tag): data-site, data-title, data-color, data-lang, data-position="left".
 * API: Kefu.open() Kefu.close() Kefu.send(text) → Promise, Kefu.on(event, cb) / off, Kefu.setLanguage(code),
 *      Kefu.on('queue', cb) → {position, wait_s} while waiting for an agent; Kefu.track(event, data); calls made before this file arrived are queued by the bootstrap and run here.
 *      Kefu.identify({id, name, email, hash}) → Promise of {visitor, conversation_id}: hash is the hex HMAC-SHA256 of id with the tenant's
 *      identity secret, computed by the merchant's server; the edge verifies it (PROTOCOL.md 2.1a), a refusal rejects with code
 *      "identity_refused" and the shopper stays anonymous; Kefu.on('identity', cb) → {ok, visitor} or {ok: false, code, reason}.
 *      Kefu.sendPhoto(file) → Promise: a JPEG, PNG or WebP of at most 10 MB, re-encoded in the page (no EXIF or other
 *      metadata leaves the browser), uploaded to the edge and sent to the agent (PROTOCOL.md 2.13); the 📎 button does the same.
 * Wire protocol: docs/PROTOCOL.md (WebSocket /ws, JSON chat.Frame). Built per language by assets/widget.Build:
 * STRINGS becomes that language's i18n/<lang>.json, ASSETS the content-hashed file names, STYLE the minified kefu.css. */
(function (W, D) {
  'use strict';
  if (W.Kefu && W.Kefu.version) return;

  var STRINGS = "@@STRINGS@@", ASSETS = "@@ASSETS@@", STYLE = "@@CSS@@";
  var stub = W.Kefu || {};
  var script = stub._tag || D.currentScript || D.querySelector('script[data-site][src*="kefu"]');
  var self = D.currentScript && D.currentScript.src ? D.currentScript.src : (script && script.src) || '/kefu.js';
  var ROOT = new URL(self, location.href).href.replace(/[^/]*$/, '');
  var attr = function (n) { return script && script.getAttribute('data-' + n); };
  var SITE = attr('site') || 'demo';
  var Q = '?site=' + encodeURIComponent(SITE);
  var KEY = 'kefu:' + SITE + ':';
  var V = 1, started = Date.now();
  if (typeof ASSETS !== 'object') ASSETS = { css: 'kefu.css', wasm: 'kefu.wasm', exec: 'wasm_exec.js', langs: ['en'] };

  /* ---------- i18n: one language's strings are built in; others are fetched (setLanguage, in more.js) ---------- */
  var T = typeof STRINGS === 'object' ? STRINGS : { e: {} };
  var LANG = stub._lang || 'en';
  function t(k) { return T[k] != null ? T[k] : ''; }

  /* ---------- storage ---------- */
  function load(k, d) { try { var v = localStorage.getItem(KEY + k); return v == null ? d : JSON.parse(v); } catch (e) { return d; } }
  function save(k, v) { try { localStorage.setItem(KEY + k, JSON.stringify(v)); } catch (e) { /* private mode: memory only */ } }

  /* ---------- ids (ULID layout, like chat.NewID) ---------- */
  var B32 = '0123456789ABCDEFGHJKMNPQRSTVWXYZ', lastMs = 0, lastRand = null;
  function newID() {
    var ms = Date.now(), r;
    if (ms <= lastMs && lastRand) {
      ms = lastMs; r = lastRand.slice();
      for (var i = r.length - 1; i >= 0; i--) { r[i] = (r[i] + 1) & 31; if (r[i]) break; }
    } else {
      r = Array.prototype.slice.call(crypto.getRandomValues(new Uint8Array(16)), 0, 16).map(function (b) { return b & 31; });
    }
    lastMs = ms; lastRand = r;
    var s = '', t = ms;
    for (var j = 9; j >= 0; j--) { s = B32[t % 32] + s; t = Math.floor(t / 32); }
    return s + r.map(function (x) { return B32[x]; }).join('');
  }

  /* ---------- state ---------- */
  var visitor = load('visitor', '') || (function () { var v = newID(); save('visitor', v); return v; })();
  var conv = load('conv', '');
  var lastID = load('last', '');            // last message id rendered from the server
  var history = load('log', []);            // recent messages, re-rendered after a page load
  var answered = {};                        // shopper message ids a reply already came for
  var outbox = load('outbox', []);          // shopper messages sent but not accepted yet
  var rendered = {};                         // id → true
  var handlers = {};
  var waiters = {};                          // message id → {resolve, reject}
  var maxText = 4096;
  var ws = null, wsState = 'idle', backoff = 0, retryTimer = 0, pingTimer = 0, pongTimer = 0;
  var isOpen = false, unread = 0, opener = null;
  var features = {};                         // what the edge's welcome frame says it supports
  // Shared with more.js, which sets the rest: core and config (/w/config)
  // once loaded; identity, identify()'s signed-in shopper (memory only:
  // name and e-mail are personal data) sent with every hello of this page,
  // wait its pending promise, fresh; human: a person answers (no typing
  // dots until one types); sysAt: when the last system message came.
  var S = { human: load('human', false), sysAt: 0 };

  function emit(ev, data) { (handlers[ev] || []).forEach(function (cb) { try { cb(data); } catch (e) { setTimeout(function () { throw e; }); } }); }
  function pub(m) { return { id: m.id, role: m.role, text: m.text, source: m.source, author: m.author || undefined, at: m.at }; }
  // track records an analytics event (more.js track), with the time it happened.
  function track(name, data) { x('track', [name, data, Date.now()]); }
  function byteLen(s) { return new TextEncoder().encode(s).length; }

  /* ---------- DOM (a Shadow DOM: no style leaks either way) ---------- */
  var host = D.createElement('div');
  host.id = 'kefu-widget';
  if (attr('position') === 'left') host.setAttribute('data-position', 'left');
  // The host element lives in the page, where any global rule (even
  // "* { position: static !important }") reaches it. Its own style is
  // therefore set inline with !important, which beats every style sheet:
  // all: initial cuts off everything the page would pass down by
  // inheritance, and the few properties the widget needs are set again.
  // (CSSOM changes need no 'unsafe-inline' under a strict CSP.)
  var phone = W.matchMedia ? W.matchMedia('(max-width: 480px)') : { matches: false };
  var hostVars = {}, shown = false;
  function hostStyle() {
    var st = host.style, left = attr('position') === 'left', full = isOpen && phone.matches;
    var gap = phone.matches ? '12px' : '20px', k;
    // all: initial first (a later shorthand would reset the others).
    var p = { all: 'initial', display: 'block', position: 'fixed', 'z-index': '2147483000', visibility: shown ? 'visible' : 'hidden',
      direction: T.dir === 'rtl' ? 'rtl' : 'ltr', top: full ? '0' : 'auto', bottom: full ? '0' : 'max(' + gap + ', env(safe-area-inset-bottom))' };
    p[left ? 'left' : 'right'] = full ? '0' : 'max(' + gap + ', env(safe-area-inset-' + (left ? 'left' : 'right') + '))';
    p[left ? 'right' : 'left'] = full ? '0' : 'auto';
    st.cssText = '';
    for (k in p) st.setProperty(k, p[k], 'important');
    for (k in hostVars) st.setProperty(k, hostVars[k]);
  }
  function hostVar(k, v) { hostVars[k] = v; host.style.setProperty(k, v); }
  if (phone.addEventListener) phone.addEventListener('change', hostStyle);
  var root = host.attachShadow ? host.attachShadow({ mode: 'open' }) : host;
  var color = attr('color');
  function h(tag, cls, text) { var e = D.createElement(tag); if (cls) e.className = cls; if (text != null) e.textContent = text; return e; }
  // Icons are fixed markup of this file, never text from anyone else.
  var ICON = {
    chat: '<svg width="28" height="28" viewBox="0 0 24 24" fill="none" aria-hidden="true"><path d="M12 3C6.9 3 3 6.6 3 11c0 2.2 1 4.2 2.6 5.6L5 21l4.2-2.1c.9.3 1.8.4 2.8.4 5.1 0 9-3.6 9-8.1S17.1 3 12 3z" fill="currentColor"/><path d="M8.5 11h0m3.5 0h0m3.5 0h0" stroke="#4f46e5" stroke-width="2.4" stroke-linecap="round"/></svg>',
    close: '<svg width="24" height="24" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2.4" stroke-linecap="round" aria-hidden="true"><path d="M6 9l6 6 6-6"/></svg>',
    send: '<svg width="18" height="18" viewBox="0 0 24 24" fill="currentColor" aria-hidden="true"><path d="M3.4 20.4l17.5-7.5c.8-.4.8-1.5 0-1.8L3.4 3.6c-.7-.3-1.4.3-1.2 1l1.9 6.4 8.4 1-8.4 1-1.9 6.4c-.2.7.5 1.3 1.2 1z"/></svg>',
    bot: '<svg width="14" height="14" viewBox="0 0 24 24" fill="#fff" aria-hidden="true"><path d="M12 2l2.4 5.6L20 10l-5.6 2.4L12 18l-2.4-5.6L4 10l5.6-2.4z"/></svg>'
  };
  // icon returns a copy of an icon parsed once: an innerHTML parse on every
  // message was a ParseHTML task of up to 8 ms in the answer's path on a
  // busy machine (a DevTools trace of kefu bench widget --trace).
  var parsed = {};
  function icon(k) {
    if (!parsed[k]) { var d = h('div'); d.innerHTML = ICON[k]; parsed[k] = d.firstChild; }
    return parsed[k].cloneNode(true);
  }
  // style adds a style sheet to the Shadow DOM: the text built into the
  // file (["css"]) as a constructed sheet — no request, and like the host's
  // inline style it is CSSOM, which a strict CSP allows — else (a browser
  // without them, no Shadow DOM, or sources served unbuilt: a string has no
  // pop) a <link> to file. done, if any, runs once it applies.
  function style(text, file, done) {
    try {
      var s = new CSSStyleSheet(); s.replaceSync(text.pop());
      root.adoptedStyleSheets = [].slice.call(root.adoptedStyleSheets).concat(s);
      return done && done();
    } catch (e) { /* a <link> below */ }
    var l = h('link'); l.rel = 'stylesheet'; l.href = ROOT + file; l.onload = l.onerror = done;
    root.appendChild(l);
  }
  // The rest of the widget (more.js, which fetches the core) comes when the
  // page is idle after the launcher shows, so it never competes with the chat.
  function styled() {
    shown = true; hostStyle();
    ui.panel.style.display = ui.launcher.style.display = '';
    (W.requestIdleCallback || function (f) { setTimeout(f, 1200); })(more, { timeout: 4000 });
  }
  var ui = {};
  ui.panel = h('section', 'panel'); ui.panel.id = 'kefu-panel'; ui.panel.setAttribute('role', 'dialog'); ui.panel.setAttribute('aria-modal', 'false');
  var head = h('header', 'head');
  var avs = h('div', 'avatars'); avs.setAttribute('aria-hidden', 'true');
  ui.avatar = h('div', 'avatar'); avs.appendChild(ui.avatar);
  ui.avatars = avs; // more.js adds the team's second avatar
  var who = h('div', 'who');
  ui.title = h('h2', 'title'); who.appendChild(ui.title);
  ui.status = h('div', 'status'); ui.status.appendChild(h('span', 'dot')); ui.statusText = h('span', ''); ui.status.appendChild(ui.statusText);
  who.appendChild(ui.status);
  // The header's close button shows the launcher's chevron: the panel folds down into it.
  ui.x = h('button', 'icon-btn'); ui.x.type = 'button'; ui.x.innerHTML = ICON.close; ui.x.onclick = function () { api.close(); };
  head.appendChild(avs); head.appendChild(who); head.appendChild(ui.x);
  ui.log = h('div', 'log'); ui.log.setAttribute('role', 'log'); ui.log.setAttribute('aria-live', 'polite'); ui.log.setAttribute('aria-relevant', 'additions'); ui.log.tabIndex = 0;
  var composer = h('div', 'composer'), field = h('div', 'field');
  ui.input = h('textarea'); ui.input.rows = 1; ui.input.setAttribute('enterkeyhint', 'send');
  ui.send = h('button', 'send'); ui.send.type = 'button'; ui.send.innerHTML = ICON.send; ui.send.disabled = true;
  field.appendChild(ui.input); field.appendChild(ui.send); // more.js adds the photo button before the input
  var foot = h('div', 'foot'); ui.powered = h('span', ''); foot.appendChild(ui.powered);
  ui.count = h('span', 'count'); ui.count.setAttribute('aria-live', 'polite'); foot.appendChild(ui.count);
  composer.appendChild(field); composer.appendChild(foot);
  ui.panel.appendChild(head); ui.panel.appendChild(ui.log); ui.panel.appendChild(composer);
  ui.launcher = h('button', 'launcher'); ui.launcher.type = 'button';
  ui.launcher.setAttribute('aria-expanded', 'false'); ui.launcher.setAttribute('aria-controls', 'kefu-panel');
  ui.launcher.innerHTML = '<span class="ico ico-chat">' + ICON.chat + '</span><span class="ico ico-close">' + ICON.close + '</span>';
  ui.badge = h('span', 'badge'); ui.launcher.appendChild(ui.badge);
  ui.launcher.onclick = function () { isOpen ? api.close() : api.open(); };
  // Unstyled until the style sheet arrives: kept out of view meanwhile.
  ui.panel.style.display = ui.launcher.style.display = 'none';
  root.appendChild(ui.panel); root.appendChild(ui.launcher);
  style(STYLE, ASSETS.css, styled);
  if (color) { hostVar('--k-brand', color); hostVar('--k-brand-2', color); }

  // label (re)applies every UI string: at boot and when the language changes.
  function label() {
    var title = attr('title') || t('title');
    host.setAttribute('lang', LANG);
    host.setAttribute('dir', T.dir === 'rtl' ? 'rtl' : 'ltr');
    hostStyle();
    ui.panel.setAttribute('aria-label', title);
    ui.avatar.textContent = (title.trim()[0] || 'K').toUpperCase();
    ui.title.textContent = title;
    ui.x.setAttribute('aria-label', t('close'));
    ui.input.placeholder = t('ph'); ui.input.setAttribute('aria-label', t('ph'));
    ui.send.setAttribute('aria-label', t('send'));
    ui.powered.textContent = t('powered') + ' '; ui.powered.appendChild(h('b', '', 'Kefu'));
    ui.launcher.setAttribute('aria-label', isOpen ? t('close') : t('open'));
    setStatus(ui.statusState || 'online');
    if (X) X.label();
    if (lastShopper && lastShopper.meta) setState(lastShopper, lastShopper.state);
  }

  function autosize() {
    ui.input.style.height = 'auto'; ui.input.style.height = Math.min(ui.input.scrollHeight, 120) + 'px';
    var n = byteLen(ui.input.value);
    ui.send.disabled = !ui.input.value.trim() || n > maxText;
    ui.count.textContent = n > maxText * 0.8 ? n + ' / ' + maxText : '';
    ui.count.className = 'count' + (n > maxText ? ' over' : '');
  }
  ui.input.addEventListener('input', autosize);
  ui.input.addEventListener('keydown', function (e) {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); submit(); }
  });
  ui.send.onclick = submit;
  ui.panel.addEventListener('keydown', function (e) {
    if (e.key === 'Escape') { e.preventDefault(); api.close(); return; }
    if (e.key === 'Tab') trapFocus(e);
  });
  // trapFocus keeps Tab inside the open panel (the launcher counts as inside).
  function trapFocus(e) {
    var f = [].filter.call(ui.panel.querySelectorAll('button:not([disabled]),textarea,a[href],[tabindex="0"]'), function (el) { return el.offsetParent !== null || el === ui.input; });
    if (!f.length) return;
    var first = f[0], last = f[f.length - 1], cur = root.activeElement;
    if (e.shiftKey && (cur === first || !ui.panel.contains(cur))) { e.preventDefault(); last.focus(); }
    else if (!e.shiftKey && cur === last) { e.preventDefault(); first.focus(); }
  }
  function submit() {
    var v = ui.input.value.trim();
    if (!v || ui.send.disabled) return;
    ui.input.value = ''; autosize();
    api.send(v).catch(function () { /* shown in the log */ });
  }
  // On phones the panel follows the visual viewport, so the on-screen
  // keyboard never covers the input.
  function fitViewport() {
    var vv = W.visualViewport;
    if (!vv) return;
    hostVar('--k-vh', vv.height + 'px');
    hostVar('--k-vt', vv.offsetTop + 'px');
  }
  if (W.visualViewport) { W.visualViewport.addEventListener('resize', fitViewport); W.visualViewport.addEventListener('scroll', fitViewport); }

  function setStatus(s) {
    ui.statusState = s;
    ui.status.className = 'status ' + s;
    ui.statusText.textContent = s === 'connecting' ? t('connecting') : s === 'offline' ? t('offline') : t('online');
  }

  /* ---------- rendering: every text from anyone is rendered as text, never HTML ---------- */
  var lastRow = null, lastShopper = null;
  // link appends an anchor for an http(s) URL, showing its real host (and
  // path), never a text chosen by the sender.
  function link(el, raw) {
    var u;
    try { u = new URL(raw); } catch (e) { u = null; }
    if (!u || (u.protocol !== 'https:' && u.protocol !== 'http:')) { el.appendChild(D.createTextNode(raw)); return; }
    var shown = u.host + (u.pathname === '/' ? '' : u.pathname);
    if (shown.length > 48) shown = shown.slice(0, 47) + '…';
    var a = h('a', '', shown); a.href = u.href; a.title = u.href; a.target = '_blank'; a.rel = 'noopener noreferrer nofollow';
    el.appendChild(a);
  }
  function linkify(el, text) {
    var re = /\bhttps?:\/\/[^\s<>"'）)\]，。]+/g, i = 0, m;
    while ((m = re.exec(text))) {
      if (m.index > i) el.appendChild(D.createTextNode(text.slice(i, m.index)));
      link(el, m[0]);
      i = m.index + m[0].length;
    }
    if (i < text.length) el.appendChild(D.createTextNode(text.slice(i)));
  }
  // typo sets Chinese and Japanese answers with full-width punctuation:
  // an ASCII mark next to a CJK character becomes its full-width form.
  var FULL = { ',': '，', '.': '。', '?': '？', '!': '！', ':': '：', ';': '；', '(': '（', ')': '）' };
  var CJK = '\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff';
  var cjkRe = new RegExp('[' + CJK + ']');
  var typoRe = new RegExp('([' + CJK + '])[ ]?([,?!:;]|\\.(?![0-9A-Za-z]))|([,?!:;])[ ]?(?=[' + CJK + '])', 'g');
  function typo(text) {
    if (!cjkRe.test(text)) return text;
    text = text.replace(/ ?\(([^()]*)\)/g, function (all, inner) { return cjkRe.test(inner) ? '（' + inner + '）' : all; });
    return text.replace(typoRe, function (all, c, p1, p2) { return c ? c + FULL[p1] : FULL[p2]; });
  }
  function initials(s) { return (s || '?').trim().slice(0, 1).toUpperCase(); }
  function render(m, quiet) {
    if (rendered[m.id]) return null;
    rendered[m.id] = true;
    hideTyping();
    if (m.role === 'system') {
      var sys = h('div', 'system' + (m.warn ? ' warn' : ''), m.text);
      sys.setAttribute('role', m.warn ? 'alert' : 'status');
      ui.log.appendChild(sys); lastRow = null; scroll();
      return sys;
    }
    var cont = lastRow && lastRow.role === m.role && lastRow.author === (m.author || '') && lastRow.el.parentNode;
    var row = h('div', 'row ' + m.role + (cont ? ' cont' : ''));
    row.setAttribute('data-id', m.id);
    if (m.role !== 'shopper') {
      var av = h('div', 'avatar' + (m.role === 'bot' ? ' bot' : ''), m.role === 'agent' ? initials(m.author) : '');
      av.setAttribute('aria-hidden', 'true');
      if (m.role === 'bot') av.appendChild(icon('bot'));
      row.appendChild(av);
    }
    var st = h('div', 'stack');
    if (m.role === 'agent' && !cont && m.author) st.appendChild(h('div', 'author', m.author));
    var b = h('div', 'bubble');
    if (m.thumb) { b.className = 'bubble photo'; b.setAttribute('role', 'img'); b.setAttribute('aria-label', m.text); b.appendChild(m.thumb); }
    else linkify(b, m.role === 'shopper' ? m.text : typo(m.text));
    st.appendChild(b);
    if (m.products && m.products.length) { var box = h('div', 'cards'); st.appendChild(box); x('cards', [box, m.products]); }
    var meta = h('div', 'meta');
    if (m.role === 'bot' && m.source === 'local' && m.faqId) x('instant', [meta]);
    st.appendChild(meta);
    row.appendChild(st);
    ui.log.insertBefore(row, ui.chips && ui.chips.parentNode === ui.log && m.id === 'greet' ? ui.chips : null);
    lastRow = { role: m.role, author: m.author || '', el: row };
    m.el = row; m.meta = meta;
    if (m.role === 'shopper') {
      if (lastShopper && lastShopper !== m && lastShopper.state === 'sent' && lastShopper.meta) lastShopper.meta.textContent = '';
      lastShopper = m;
      setState(m, m.state || (quiet ? '' : 'sent'));
    }
    if (!quiet && m.role !== 'shopper' && !isOpen) { unread++; ui.badge.textContent = unread > 9 ? '9+' : unread; ui.badge.className = 'badge on'; }
    scroll();
    return row;
  }
  // scroll keeps the newest message in view at the next frame: reading
  // scrollHeight now would force a layout on every message.
  var scrollQueued = false;
  function scroll() {
    if (scrollQueued) return;
    scrollQueued = true;
    (W.requestAnimationFrame || setTimeout)(function () { scrollQueued = false; ui.log.scrollTop = ui.log.scrollHeight; });
  }
  function setState(m, s) {
    m.state = s;
    if (!m.meta) return;
    m.meta.textContent = '';
    m.el.classList.toggle('failed', s === 'failed' || s === 'refused');
    if (s === 'failed') {
      m.meta.appendChild(h('span', 'fail', t('failed')));
      var r = h('button', 'retry', t('retry')); r.type = 'button';
      r.onclick = function () { setState(m, 'sending'); queue(m); };
      m.meta.appendChild(r);
    } else if (s === 'refused') m.meta.appendChild(h('span', 'fail', t('failed'))); // resending cannot succeed: no Retry
    else if (s === 'sending') m.meta.textContent = t('sending');
    else if (m.source === 'edge' || m.source === 'local') m.meta.textContent = s === 'sent' ? t('sent') : '';
  }
  // The typing dots are more.js's (typing): none before it is there.
  function hideTyping() { if (X) X.hideTyping(); }
  function system(text, warn) { render({ id: 'sys-' + newID(), role: 'system', text: text, warn: warn }, true); }


  function remember(m) {
    history.push({ id: m.id, role: m.role, text: m.text, source: m.source, author: m.author, at: m.at, faqId: m.faqId, products: m.products });
    if (history.length > 60) history = history.slice(-60);
    if (!saveTimer) saveTimer = setTimeout(function () { saveTimer = 0; save('log', history); }, 0);
    // The panel keeps the latest 200 rows; older ones are in nobody's view and only cost layout.
    while (ui.log.childElementCount > 200 && ui.log.firstElementChild !== ui.chips) ui.log.removeChild(ui.log.firstElementChild);
  }
  var saveTimer = 0;
  function addMessage(m, quiet) {
    if (rendered[m.id]) return false;
    render(m, quiet);
    remember(m);
    emit('message', pub(m));
    return true;
  }

  /* ---------- WebSocket ---------- */
  function wsURL() {
    var p = (S.config && S.config.ws) || ('/ws' + Q);
    var u = new URL(p, ROOT);
    u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
    return u.href;
  }
  function connect() {
    if (ws || !W.WebSocket) return;
    clearTimeout(retryTimer);
    wsState = 'connecting'; setStatus('connecting');
    var s;
    try { s = new WebSocket(wsURL()); } catch (e) { return retry(); }
    ws = s;
    s.onopen = function () {
      var hello = { v: V, type: 'hello', site: SITE, visitor: visitor };
      if (conv && !S.fresh) { hello.conversation_id = conv; if (lastID) hello.resume_after = lastID; }
      if (S.identity) hello.identity = S.identity;
      s.send(JSON.stringify(hello));
      beat();
    };
    s.onmessage = function (ev) {
      if (ws !== s) return; // a socket identify() replaced
      var f; try { f = JSON.parse(ev.data); } catch (e) { return; }
      beat();
      onFrame(f);
    };
    s.onclose = function () {
      if (ws !== s) return;
      ws = null; wsState = 'idle'; clearInterval(pingTimer); clearTimeout(pongTimer);
      outbox.forEach(function (m) { m.inflight = false; });
      retry();
    };
    s.onerror = function () { /* onclose follows */ };
  }
  function retry() {
    setStatus('offline');
    var d = Math.min(30000, 500 * Math.pow(2, backoff++)) * (0.7 + Math.random() * 0.6);
    retryTimer = setTimeout(connect, d);
  }
  function beat() {
    clearTimeout(pongTimer);
    clearInterval(pingTimer);
    pingTimer = setInterval(function () {
      if (!ws || ws.readyState !== 1) return;
      ws.send(JSON.stringify({ v: V, type: 'ping', id: newID() }));
      pongTimer = setTimeout(function () { if (ws) ws.close(); }, 10000);
    }, 25000);
  }
  function frame(f) { if (ws && ws.readyState === 1 && wsState === 'ready') { f.v = V; ws.send(JSON.stringify(f)); return true; } return false; }
  function onFrame(f) {
    switch (f.type) {
      case 'welcome':
        wsState = 'ready'; backoff = 0; setStatus('online');
        if (f.max_text) maxText = f.max_text;
        (f.features || []).forEach(function (x) { features[x] = true; });
        welcomed(f);
        if (f.conversation_id && f.conversation_id !== conv) { conv = f.conversation_id; save('conv', conv); lastID = ''; save('last', ''); }
        if (X) X.flushLocal();
        flush();
        break;
      case 'accepted':
        var m = takeOutbox(f.id);
        if (f.conversation_id && !conv) { conv = f.conversation_id; save('conv', conv); }
        // An edge plugin may have answered before accepted: no typing dots then.
        if (m) { setState(m, 'sent'); if (!answered[f.id] && !S.human) x('typing', [0, f.id]); settle(f.id, true, pub(m)); }
        break;
      case 'message':
        if (!f.id || !f.text) break;
        var msg = { id: f.id, role: f.role || 'bot', text: f.text, source: f.source || 'central', author: f.author, at: f.at || Date.now(), products: Array.isArray(f.products) ? f.products : undefined };
        // A clarifying question's options: chips that send their text.
        if (Array.isArray(f.quick_replies)) msg.quickReplies = f.quick_replies.filter(function (q) { return typeof q === 'string' && q; }).slice(0, 4);
        if (f.reply_to) answered[f.reply_to] = true;
        if (msg.role === 'system') S.sysAt = Date.now();
        if (msg.role === 'shopper' && rendered[msg.id]) { takeOutbox(msg.id); }
        addMessage(msg);
        if (msg.quickReplies && msg.quickReplies.length) x('quick', [msg.quickReplies]);
        if (!lastID || msg.id > lastID) { lastID = msg.id; save('last', lastID); }
        frame({ type: 'ack', id: f.id });
        break;
      case 'event':
        // Handoffs, the queue, typing, CSAT, closing: more.js (in order,
        // once it is there). A person will answer: no typing dots until one types.
        if (f.event === 'conversation.handoff') { S.human = true; hideTyping(); }
        x('event', [f]);
        break;
      case 'error':
        // Its text, the outbox and Retry: more.js (error), in order.
        if (f.max_text) maxText = f.max_text;
        x('error', [f]);
        break;
    }
  }
  // welcomed adopts the visitor id of a welcome: after a verified identity
  // the contact's (the same on every device); the conversation and its
  // history follow in the welcome and the replay.
  function welcomed(f) {
    var was = visitor;
    if (f.visitor && f.visitor !== visitor) {
      visitor = f.visitor; save('visitor', visitor);
      if (/^u_/.test(was) && /^u_/.test(visitor)) {
        // Another signed-in shopper on this browser: not the last one's log.
        history = []; save('log', []); rendered = {}; answered = {};
        while (ui.log.firstElementChild && ui.log.firstElementChild !== ui.chips) ui.log.removeChild(ui.log.firstElementChild);
      }
    }
    S.fresh = false;
    if (S.wait) x('welcomed', [f]);
  }
  function findOutbox(id) { for (var i = 0; i < outbox.length; i++) if (outbox[i].id === id) return outbox[i]; return null; }
  function takeOutbox(id) {
    for (var i = 0; i < outbox.length; i++) if (outbox[i].id === id) { var m = outbox.splice(i, 1)[0]; saveOutbox(); return m; }
    return null;
  }
  function saveOutbox() { save('outbox', outbox.map(function (m) { return { id: m.id, text: m.text, at: m.at, lang: m.lang, intent: m.intent, anger: m.anger, answer: m.answer, ctx: m.ctx, hidden: m.hidden, upload: m.upload }; })); }
  function queue(m) {
    if (!findOutbox(m.id)) { outbox.push(m); saveOutbox(); }
    connect(); flush();
  }
  function flush() {
    outbox.forEach(function (m) {
      if (m.inflight) return;
      var f = { type: 'message', id: m.id, text: m.text, at: m.at, context: { url: location.href.slice(0, 512) } };
      if (conv) f.conversation_id = conv;
      if (m.lang) f.lang = m.lang;
      if (m.intent) f.intent = m.intent;
      if (m.anger) f.anger = Math.round(m.anger * 1000) / 1000;
      if (X) X.context(f);
      if (m.answer) f.answer = m.answer;
      if (m.upload) f.upload = m.upload;
      if (m.ctx) for (var c in m.ctx) f.context[c] = m.ctx[c];
      if (frame(f)) m.inflight = true;
    });
  }
  function settle(id, ok, v) { var w = waiters[id]; if (!w) return; delete waiters[id]; ok ? w.resolve(v) : w.reject(v); }
  // reconnect opens a new socket at once (identify: a new hello).
  function reconnect() {
    if (ws) {
      var o = ws; ws = null; wsState = 'idle'; clearInterval(pingTimer); clearTimeout(pongTimer);
      outbox.forEach(function (m) { m.inflight = false; });
      try { o.close(); } catch (e) { /* already closing */ }
    }
    backoff = 0; connect();
  }

  /* ---------- the rest of the widget (more.js): after the chat works, or at first need ---------- */
  // more loads the chunk once (kefu.<hash>.<lang>.more.js, content-hashed);
  // x calls one of its functions now, or once it has arrived, in call
  // order: a Promise of the result. A failed fetch is tried again.
  var X = null, xq = [], xLoading = false, xFails = 0;
  function more() {
    if (X || xLoading) return;
    xLoading = true;
    var s = D.createElement('script'); s.async = true; s.src = ROOT + ASSETS.strings + LANG + '.more.js';
    s.onerror = function () {
      xLoading = false;
      if (++xFails < 4) setTimeout(more, 2000 * xFails);
      else xq.splice(0).forEach(function (c) { c[3](new Error('kefu: could not load ' + s.src)); });
    };
    (D.head || D.documentElement).appendChild(s);
  }
  function x(name, a) {
    if (X) { try { return Promise.resolve(X[name].apply(null, a)); } catch (e) { return Promise.reject(e); } }
    more();
    return new Promise(function (ok, fail) { xq.push([name, a, ok, fail]); });
  }
  function removeChips() { if (ui.chips && ui.chips.parentNode) ui.chips.parentNode.removeChild(ui.chips); ui.chips = null; }
  W.addEventListener('online', function () { if (!ws && (outbox.length || conv)) { backoff = 0; connect(); } });

  // scriptLang guesses a language from the writing system alone, for the
  // messages sent before the core is there: enough to switch the labels for
  // Chinese, Japanese, Korean, Arabic and Russian.
  function scriptLang(s) {
    if (/[\u3040-\u30ff]/.test(s)) return 'ja';
    if (/[\uac00-\ud7af]/.test(s)) return 'ko';
    if (/[\u4e00-\u9fff]/.test(s)) return 'zh';
    if (/[\u0600-\u06ff]/.test(s)) return 'ar';
    if (/[\u0400-\u04ff]/.test(s)) return 'ru';
    return '';
  }
  /* ---------- public API ---------- */
  var api = {
    version: '2',
    open: function () {
      if (isOpen) return;
      isOpen = true; host.classList.add('open'); hostStyle();
      opener = root.activeElement || D.activeElement;
      ui.launcher.setAttribute('aria-expanded', 'true'); ui.launcher.setAttribute('aria-label', t('close'));
      unread = 0; ui.badge.className = 'badge';
      fitViewport();
      if (!ui.greeted) { ui.greeted = true; greet(); }
      if (X) X.open(); else more();
      if (conv || outbox.length) connect();
      setTimeout(function () { ui.input.focus(); scroll(); }, 60);
      emit('open', {}); track('open');
    },
    close: function () {
      if (!isOpen) return;
      isOpen = false; host.classList.remove('open'); hostStyle();
      ui.launcher.setAttribute('aria-expanded', 'false'); ui.launcher.setAttribute('aria-label', t('open'));
      // Focus goes back where it was when the panel opened (the launcher by default).
      var back = opener && opener !== D.body && opener.isConnected ? opener : ui.launcher;
      if (root.activeElement || D.activeElement === host) back.focus();
      emit('close', {}); track('close');
    },
    send: function (text) {
      text = String(text == null ? '' : text).trim();
      if (!text) return Promise.reject(new Error('kefu: empty message'));
      removeChips();
      var m = { id: newID(), role: 'shopper', text: text, source: 'edge', at: Date.now(), state: 'sending' };
      if (byteLen(text) > maxText) {
        render(m); setState(m, 'refused'); x('error', [{ code: 'too_large' }]);
        var err = new Error('kefu: message over ' + maxText + ' bytes'); err.code = 'too_large';
        return Promise.reject(err);
      }
      var guess = scriptLang(text);
      x('sent', [text, guess]); // its pack (the first question's) and the labels' language
      // Without the core (not there yet, or no chunk) the question goes over the WebSocket at once.
      if (X && S.core) return X.ask(m, guess);
      more();
      if (guess) m.lang = guess;
      return remote(m);
    },
    sendPhoto: function (file) { return x('sendPhoto', [file]); },
    on: function (ev, cb) { (handlers[ev] = handlers[ev] || []).push(cb); return api; },
    off: function (ev, cb) { handlers[ev] = (handlers[ev] || []).filter(function (f) { return f !== cb; }); return api; },
    setLanguage: function (code) { return x('setLanguage', [code]); },
    track: function (event, data) { if (event) track(event, data); return api; },
    identify: function (o) { return x('identify', [o]); },
    lang: function () { return LANG; }
  };
  // remote sends a question over the WebSocket with what the core found.
  function remote(m, an) {
    if (an) { m.lang = an.lang || m.lang; m.intent = an.intent; m.anger = an.anger; }
    hideTyping();
    addMessage(m);
    setState(m, 'sending');
    return new Promise(function (resolve, reject) {
      waiters[m.id] = { resolve: resolve, reject: reject };
      queue(m);
    });
  }

  function greet() {
    if (!history.length) render({ id: 'greet', role: 'bot', text: t('greet'), source: 'greeting' }, true);
    if (X) X.suggestions();
  }

  /* ---------- boot ---------- */
  function boot() {
    if (!host.parentNode) D.body.appendChild(host);
    label();
    history.forEach(function (m) { render(m, true); });
    if (history.length) { ui.greeted = true; lastRow = null; }
    outbox = outbox.map(function (o) {
      var m = Object.assign({ role: 'shopper', source: 'edge', state: 'sending' }, o); // o: the fields saveOutbox keeps
      if (o.answer) answered[o.id] = true;
      if (m.hidden || m.answer) return m;
      if (!rendered[m.id]) render(m, true); else { var el = ui.log.querySelector('[data-id="' + m.id + '"]'); if (el) { m.el = el; m.meta = el.querySelector('.meta'); setState(m, 'sending'); } }
      return m;
    });
    if (outbox.length || conv) connect();
    // Calls queued before this file arrived ([name, args, resolve, reject]), in order.
    var q = stub.q || [];
    W.Kefu = api;
    q.forEach(function (c) {
      try {
        var r = api[c[0]].apply(api, c[1] || []);
        if (c[2] && r && r.then) r.then(c[2], c[3]); else if (c[2]) c[2](r);
      } catch (e) { if (c[3]) c[3](e); }
    });
  }
  // more.js registers here, and gets what it shares with this file.
  api._x = function (f) {
    if (X) return;
    X = f({
      h: h, t: t, ICON: ICON, icon: icon, T: function () { return T; }, S: S, ui: ui, root: root, ROOT: ROOT, Q: Q, ASSETS: ASSETS, started: started,
      features: features, waiters: waiters, emit: emit, pub: pub, newID: newID, byteLen: byteLen, load: load, save: save,
      frame: frame, connect: connect, reconnect: reconnect, queue: queue, flush: flush, saveOutbox: saveOutbox, takeOutbox: takeOutbox, outbox: findOutbox, settle: settle,
      system: system, scroll: scroll, addMessage: addMessage, show: function (m) { render(m); remember(m); }, setState: setState, remote: remote, removeChips: removeChips, api: api,
      style: style, strings: function (s, l) { T = s; LANG = l; label(); },
      append: function (el, keep) { ui.log.appendChild(el); if (!keep) lastRow = null; scroll(); }, max: function (n) { maxText = n; },
      v: function () { return { conv: conv, visitor: visitor, lang: LANG, history: history, answered: answered, ready: !!(ws && wsState === 'ready') }; }
    });
    xq.splice(0).forEach(function (c) { x(c[0], c[1]).then(c[2], c[3]); });
  };
  W.Kefu = api;
  if (D.body) boot(); else D.addEventListener('DOMContentLoaded', boot);
})(window, document);
