/*! Kefu widget loader — https://github.com/kefu-io/kefu (Apache-2.0)
 * One tag: <script src="/kefu.js" data-site="demo" async></script>
 * Optional: data-title, data-color, data-lang, data-position="left".
 * API: Kefu.open() Kefu.close() Kefu.send(text) → Promise, Kefu.on('message', cb)
 * Wire protocol: docs/PROTOCOL.md (WebSocket /ws, JSON chat.Frame). */
(function (W, D) {
  'use strict';
  if (W.Kefu && W.Kefu.version) return;

  var script = D.currentScript || D.querySelector('script[src*="kefu.js"]');
  var BASE = new URL(script && script.src ? script.src : '/kefu.js', location.href);
  var ROOT = BASE.href.replace(/[^/]*$/, '');
  var SITE = (script && script.getAttribute('data-site')) || 'demo';
  var attr = function (n) { return script && script.getAttribute('data-' + n); };
  var Q = '?site=' + encodeURIComponent(SITE);
  var KEY = 'kefu:' + SITE + ':';
  var V = 1;

  /* ---------- i18n ---------- */
  var I18N = {
    en: { title: 'Customer support', online: 'We typically reply in a few minutes', connecting: 'Connecting…', offline: 'Offline — we will retry', greet: 'Hi there 👋 How can we help you today?', ph: 'Write a message…', send: 'Send', open: 'Open chat', close: 'Close chat', instant: 'Instant answer', sending: 'Sending…', sent: 'Sent', failed: 'Not sent', retry: 'Retry', typing: 'typing', you: 'You', bot: 'Assistant', today: 'Today', handoff: 'Connecting you with a human agent…', assigned: '{a} joined the conversation', closed: 'This conversation was closed. Write again any time.', powered: 'Powered by', suggest: 'Popular questions',
      e: { too_large: 'That message is too long. Please shorten it and try again.', rate_limited: 'You are sending messages a bit fast — we will send it in a moment.', dropped: 'Sorry, we could not deliver that message.', bad_frame: 'Something went wrong sending that message.', unavailable: 'We could not deliver that right now — retrying…', bad_version: 'Please reload the page to keep chatting.', need_hello: 'Reconnecting…', x: 'Something went wrong. Please try again.' } },
    zh: { title: '在线客服', online: '通常几分钟内回复', connecting: '正在连接…', offline: '网络已断开，正在重试', greet: '您好 👋 有什么可以帮您？', ph: '输入消息…', send: '发送', open: '打开客服', close: '关闭客服', instant: '即时回答', sending: '发送中…', sent: '已发送', failed: '发送失败', retry: '重试', typing: '正在输入', you: '我', bot: '智能助手', today: '今天', handoff: '正在为您转接人工客服…', assigned: '{a} 已加入对话', closed: '本次会话已结束，随时可以再次留言。', powered: '技术支持', suggest: '常见问题',
      e: { too_large: '消息太长了，请缩短后再发送。', rate_limited: '发送太快了，稍后会自动发送。', dropped: '抱歉，这条消息无法送达。', bad_frame: '消息发送出错。', unavailable: '暂时无法送达，正在重试…', bad_version: '请刷新页面后继续对话。', need_hello: '正在重新连接…', x: '出错了，请重试。' } },
    de: { title: 'Kundenservice', online: 'Wir antworten meist in wenigen Minuten', connecting: 'Verbinde…', offline: 'Offline – neuer Versuch folgt', greet: 'Hallo 👋 Wie können wir helfen?', ph: 'Nachricht schreiben…', send: 'Senden', open: 'Chat öffnen', close: 'Chat schließen', instant: 'Sofortantwort', sending: 'Wird gesendet…', sent: 'Gesendet', failed: 'Nicht gesendet', retry: 'Erneut senden', typing: 'schreibt', you: 'Sie', bot: 'Assistent', today: 'Heute', handoff: 'Sie werden mit einem Mitarbeiter verbunden…', assigned: '{a} ist dem Gespräch beigetreten', closed: 'Das Gespräch wurde beendet. Schreiben Sie uns jederzeit wieder.', powered: 'Bereitgestellt von', suggest: 'Häufige Fragen',
      e: { too_large: 'Die Nachricht ist zu lang. Bitte kürzen Sie sie.', rate_limited: 'Etwas zu schnell – wir senden gleich.', dropped: 'Diese Nachricht konnte leider nicht zugestellt werden.', bad_frame: 'Beim Senden ist ein Fehler aufgetreten.', unavailable: 'Gerade nicht zustellbar – neuer Versuch…', bad_version: 'Bitte laden Sie die Seite neu.', need_hello: 'Verbinde neu…', x: 'Etwas ist schiefgelaufen. Bitte erneut versuchen.' } },
    fr: { title: 'Service client', online: 'Nous répondons en quelques minutes', connecting: 'Connexion…', offline: 'Hors ligne — nouvel essai bientôt', greet: 'Bonjour 👋 Comment pouvons-nous vous aider ?', ph: 'Écrire un message…', send: 'Envoyer', open: 'Ouvrir le chat', close: 'Fermer le chat', instant: 'Réponse instantanée', sending: 'Envoi…', sent: 'Envoyé', failed: 'Non envoyé', retry: 'Réessayer', typing: 'écrit', you: 'Vous', bot: 'Assistant', today: "Aujourd'hui", handoff: 'Nous vous mettons en relation avec un conseiller…', assigned: '{a} a rejoint la conversation', closed: 'Conversation terminée. Écrivez-nous quand vous voulez.', powered: 'Propulsé par', suggest: 'Questions fréquentes',
      e: { too_large: 'Ce message est trop long. Merci de le raccourcir.', rate_limited: 'Un peu trop rapide — envoi dans un instant.', dropped: "Désolé, ce message n'a pas pu être transmis.", bad_frame: "Une erreur est survenue lors de l'envoi.", unavailable: 'Envoi impossible pour le moment — nouvel essai…', bad_version: 'Veuillez recharger la page.', need_hello: 'Reconnexion…', x: 'Une erreur est survenue. Réessayez.' } },
    es: { title: 'Atención al cliente', online: 'Solemos responder en pocos minutos', connecting: 'Conectando…', offline: 'Sin conexión — reintentando', greet: 'Hola 👋 ¿En qué podemos ayudarte?', ph: 'Escribe un mensaje…', send: 'Enviar', open: 'Abrir chat', close: 'Cerrar chat', instant: 'Respuesta instantánea', sending: 'Enviando…', sent: 'Enviado', failed: 'No enviado', retry: 'Reintentar', typing: 'escribiendo', you: 'Tú', bot: 'Asistente', today: 'Hoy', handoff: 'Te estamos conectando con un agente…', assigned: '{a} se unió a la conversación', closed: 'La conversación ha terminado. Escríbenos cuando quieras.', powered: 'Con la tecnología de', suggest: 'Preguntas frecuentes',
      e: { too_large: 'El mensaje es demasiado largo. Acórtalo e inténtalo de nuevo.', rate_limited: 'Vas un poco rápido — lo enviaremos enseguida.', dropped: 'Lo sentimos, no pudimos entregar ese mensaje.', bad_frame: 'Hubo un error al enviar el mensaje.', unavailable: 'No se pudo entregar ahora — reintentando…', bad_version: 'Recarga la página para seguir.', need_hello: 'Reconectando…', x: 'Algo salió mal. Inténtalo de nuevo.' } },
    ja: { title: 'カスタマーサポート', online: '通常数分以内に返信します', connecting: '接続中…', offline: 'オフライン — 再接続します', greet: 'こんにちは 👋 ご用件をお聞かせください。', ph: 'メッセージを入力…', send: '送信', open: 'チャットを開く', close: 'チャットを閉じる', instant: '即時回答', sending: '送信中…', sent: '送信済み', failed: '送信失敗', retry: '再送', typing: '入力中', you: 'あなた', bot: 'アシスタント', today: '今日', handoff: '担当者におつなぎしています…', assigned: '{a} が参加しました', closed: 'チャットは終了しました。いつでもご連絡ください。', powered: 'Powered by', suggest: 'よくある質問',
      e: { too_large: 'メッセージが長すぎます。短くしてもう一度お試しください。', rate_limited: '送信が速すぎます。まもなく送信します。', dropped: '申し訳ありません。このメッセージは送信できませんでした。', bad_frame: '送信中にエラーが発生しました。', unavailable: '現在送信できません — 再試行中…', bad_version: 'ページを再読み込みしてください。', need_hello: '再接続中…', x: 'エラーが発生しました。もう一度お試しください。' } }
  };
  var LANG = (attr('lang') || D.documentElement.lang || navigator.language || 'en').toLowerCase().split('-')[0];
  if (!I18N[LANG]) LANG = 'en';
  var T = I18N[LANG];

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
  var config = null, core = null, coreP = null;
  var ws = null, wsState = 'idle', backoff = 0, retryTimer = 0, pingTimer = 0, pongTimer = 0;
  var hits = [], hitTimer = 0;
  var isOpen = false, unread = 0, typingTimer = 0;

  function emit(ev, data) { (handlers[ev] || []).forEach(function (cb) { try { cb(data); } catch (e) { setTimeout(function () { throw e; }); } }); }
  function pub(m) { return { id: m.id, role: m.role, text: m.text, source: m.source, author: m.author || undefined, at: m.at }; }

  /* ---------- DOM ---------- */
  var host = D.createElement('div');
  host.id = 'kefu-widget';
  host.style.visibility = 'hidden';
  if (attr('position') === 'left') host.setAttribute('data-position', 'left');
  var root = host.attachShadow ? host.attachShadow({ mode: 'open' }) : host;
  var color = attr('color');
  function h(tag, cls, text) { var e = D.createElement(tag); if (cls) e.className = cls; if (text != null) e.textContent = text; return e; }
  var ICON = {
    chat: '<svg width="28" height="28" viewBox="0 0 24 24" fill="none"><path d="M12 3C6.9 3 3 6.6 3 11c0 2.2 1 4.2 2.6 5.6L5 21l4.2-2.1c.9.3 1.8.4 2.8.4 5.1 0 9-3.6 9-8.1S17.1 3 12 3z" fill="currentColor"/><circle cx="8.5" cy="11" r="1.2" fill="#4f46e5"/><circle cx="12" cy="11" r="1.2" fill="#4f46e5"/><circle cx="15.5" cy="11" r="1.2" fill="#4f46e5"/></svg>',
    close: '<svg width="24" height="24" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2.4" stroke-linecap="round"><path d="M6 9l6 6 6-6"/></svg>',
    x: '<svg width="20" height="20" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2.2" stroke-linecap="round"><path d="M6 6l12 12M18 6L6 18"/></svg>',
    send: '<svg width="18" height="18" viewBox="0 0 24 24" fill="currentColor"><path d="M3.4 20.4l17.5-7.5c.8-.4.8-1.5 0-1.8L3.4 3.6c-.7-.3-1.4.3-1.2 1l1.9 6.4 8.4 1-8.4 1-1.9 6.4c-.2.7.5 1.3 1.2 1z"/></svg>',
    bolt: '<svg width="11" height="11" viewBox="0 0 24 24" fill="currentColor"><path d="M13 2L4 14h7l-1 8 9-12h-7l1-8z"/></svg>'
  };
  var css = h('link'); css.rel = 'stylesheet'; css.href = ROOT + 'kefu.css';
  css.onload = css.onerror = function () { host.style.visibility = ''; };
  var title = attr('title') || T.title;
  var ui = {};
  ui.panel = h('section', 'panel'); ui.panel.setAttribute('role', 'dialog'); ui.panel.setAttribute('aria-label', title);
  var head = h('header', 'head');
  var avs = h('div', 'avatars');
  avs.appendChild(h('div', 'avatar', (title.trim()[0] || 'K').toUpperCase()));
  var a2 = h('div', 'avatar a2'); a2.innerHTML = '<svg width="18" height="18" viewBox="0 0 24 24" fill="#fff"><path d="M12 12a4 4 0 100-8 4 4 0 000 8zm0 2c-4 0-7 2-7 4.5V20h14v-1.5C19 16 16 14 12 14z"/></svg>';
  avs.appendChild(a2);
  var who = h('div', 'who');
  who.appendChild(h('div', 'title', title));
  ui.status = h('div', 'status'); ui.status.appendChild(h('span', 'dot')); ui.statusText = h('span', '', T.online); ui.status.appendChild(ui.statusText);
  who.appendChild(ui.status);
  var xb = h('button', 'icon-btn'); xb.innerHTML = ICON.x; xb.setAttribute('aria-label', T.close); xb.onclick = function () { api.close(); };
  head.appendChild(avs); head.appendChild(who); head.appendChild(xb);
  ui.log = h('div', 'log'); ui.log.setAttribute('role', 'log'); ui.log.setAttribute('aria-live', 'polite');
  var composer = h('div', 'composer'), field = h('div', 'field');
  ui.input = h('textarea'); ui.input.rows = 1; ui.input.placeholder = T.ph; ui.input.setAttribute('aria-label', T.ph);
  ui.send = h('button', 'send'); ui.send.innerHTML = ICON.send; ui.send.setAttribute('aria-label', T.send); ui.send.disabled = true;
  field.appendChild(ui.input); field.appendChild(ui.send);
  var foot = h('div', 'foot'); var pw = h('span', '', T.powered + ' '); pw.appendChild(h('b', '', 'Kefu')); foot.appendChild(pw);
  ui.count = h('span', 'count'); foot.appendChild(ui.count);
  composer.appendChild(field); composer.appendChild(foot);
  ui.panel.appendChild(head); ui.panel.appendChild(ui.log); ui.panel.appendChild(composer);
  ui.launcher = h('button', 'launcher'); ui.launcher.setAttribute('aria-label', T.open);
  ui.launcher.innerHTML = '<span class="ico ico-chat">' + ICON.chat + '</span><span class="ico ico-close">' + ICON.close + '</span>';
  ui.badge = h('span', 'badge'); ui.launcher.appendChild(ui.badge);
  ui.launcher.onclick = function () { isOpen ? api.close() : api.open(); };
  root.appendChild(css); root.appendChild(ui.panel); root.appendChild(ui.launcher);
  if (color) { host.style.setProperty('--k-brand', color); host.style.setProperty('--k-brand-2', color); }

  function autosize() {
    ui.input.style.height = 'auto'; ui.input.style.height = Math.min(ui.input.scrollHeight, 120) + 'px';
    var n = new TextEncoder().encode(ui.input.value).length;
    ui.send.disabled = !ui.input.value.trim() || n > maxText;
    ui.count.textContent = n > maxText * 0.8 ? n + ' / ' + maxText : '';
    ui.count.className = 'count' + (n > maxText ? ' over' : '');
  }
  ui.input.addEventListener('input', autosize);
  ui.input.addEventListener('keydown', function (e) {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); submit(); }
  });
  ui.send.onclick = submit;
  ui.panel.addEventListener('keydown', function (e) { if (e.key === 'Escape') api.close(); });
  function submit() {
    var t = ui.input.value.trim();
    if (!t || ui.send.disabled) return;
    ui.input.value = ''; autosize();
    api.send(t).catch(function () { /* shown in the log */ });
  }

  function setStatus(s) {
    ui.status.className = 'status ' + s;
    ui.statusText.textContent = s === 'connecting' ? T.connecting : s === 'offline' ? T.offline : T.online;
  }

  /* ---------- rendering ---------- */
  var lastRow = null, lastShopper = null;
  function linkify(el, text) {
    var re = /\bhttps?:\/\/[^\s<>"')\]]+/g, i = 0, m;
    while ((m = re.exec(text))) {
      if (m.index > i) el.appendChild(D.createTextNode(text.slice(i, m.index)));
      var a = h('a', '', m[0]); a.href = m[0]; a.target = '_blank'; a.rel = 'noopener noreferrer'; el.appendChild(a);
      i = m.index + m[0].length;
    }
    if (i < text.length) el.appendChild(D.createTextNode(text.slice(i)));
  }
  function initials(s) { return (s || '?').trim().slice(0, 1).toUpperCase(); }
  function render(m, quiet) {
    if (rendered[m.id]) return null;
    rendered[m.id] = true;
    hideTyping();
    if (m.role === 'system') {
      var sys = h('div', 'system' + (m.warn ? ' warn' : ''), m.text);
      ui.log.appendChild(sys); lastRow = null; scroll();
      return sys;
    }
    var cont = lastRow && lastRow.role === m.role && lastRow.author === (m.author || '') && lastRow.el.parentNode;
    var row = h('div', 'row ' + m.role + (cont ? ' cont' : ''));
    row.setAttribute('data-id', m.id);
    if (m.role !== 'shopper') {
      var av = h('div', 'avatar' + (m.role === 'bot' ? ' bot' : ''), m.role === 'agent' ? initials(m.author) : '');
      if (m.role === 'bot') av.innerHTML = '<svg width="14" height="14" viewBox="0 0 24 24" fill="#fff"><path d="M12 2l2.4 5.6L20 10l-5.6 2.4L12 18l-2.4-5.6L4 10l5.6-2.4z"/></svg>';
      row.appendChild(av);
    }
    var st = h('div', 'stack');
    if (m.role === 'agent' && !cont && m.author) st.appendChild(h('div', 'author', m.author));
    var b = h('div', 'bubble'); linkify(b, m.text); st.appendChild(b);
    var meta = h('div', 'meta');
    if (m.role === 'bot' && m.source === 'local') { var ins = h('span', 'instant'); ins.innerHTML = ICON.bolt; ins.appendChild(D.createTextNode(T.instant)); meta.appendChild(ins); }
    st.appendChild(meta);
    row.appendChild(st);
    ui.log.appendChild(row);
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
  function scroll() { ui.log.scrollTop = ui.log.scrollHeight; }
  function setState(m, s) {
    m.state = s;
    if (!m.meta) return;
    m.meta.textContent = '';
    m.el.classList.toggle('failed', s === 'failed');
    if (s === 'failed') {
      m.meta.appendChild(h('span', 'fail', T.failed));
      var r = h('button', 'retry', T.retry);
      r.onclick = function () { setState(m, 'sending'); queue(m); };
      m.meta.appendChild(r);
    } else if (s === 'sending') m.meta.textContent = T.sending;
    else if (m.source === 'edge' || m.source === 'local') m.meta.textContent = s === 'sent' ? T.sent : '';
  }
  var typingRow = null;
  function showTyping(ms) {
    if (!typingRow) {
      typingRow = h('div', 'row bot typing');
      var av = h('div', 'avatar bot'); av.innerHTML = '<svg width="14" height="14" viewBox="0 0 24 24" fill="#fff"><path d="M12 2l2.4 5.6L20 10l-5.6 2.4L12 18l-2.4-5.6L4 10l5.6-2.4z"/></svg>';
      var b = h('div', 'bubble'); b.setAttribute('aria-label', T.typing); b.innerHTML = '<i></i><i></i><i></i>';
      typingRow.appendChild(av); typingRow.appendChild(b);
    }
    ui.log.appendChild(typingRow); scroll();
    clearTimeout(typingTimer); typingTimer = setTimeout(hideTyping, ms || 25000);
  }
  function hideTyping() { clearTimeout(typingTimer); if (typingRow && typingRow.parentNode) typingRow.parentNode.removeChild(typingRow); }
  // Central usually says the handoff in the conversation's language; the
  // widget's own notice only stands in when no such message comes with it.
  var lastSystemAt = 0;
  function handoffNotice() {
    var at = Date.now();
    setTimeout(function () { if (lastSystemAt < at - 3000) system(T.handoff); }, 1500);
  }
  function system(text, warn) { render({ id: 'sys-' + newID(), role: 'system', text: text, warn: warn }, true); }

  function remember(m) {
    history.push({ id: m.id, role: m.role, text: m.text, source: m.source, author: m.author, at: m.at });
    if (history.length > 60) history = history.slice(-60);
    save('log', history);
  }
  function addMessage(m, quiet) {
    if (rendered[m.id]) return false;
    render(m, quiet);
    remember(m);
    emit('message', pub(m));
    return true;
  }

  /* ---------- WebSocket ---------- */
  function wsURL() {
    var p = (config && config.ws) || ('/ws' + Q);
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
      if (conv) { hello.conversation_id = conv; if (lastID) hello.resume_after = lastID; }
      s.send(JSON.stringify(hello));
      beat();
    };
    s.onmessage = function (ev) {
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
        if (f.conversation_id && f.conversation_id !== conv) { conv = f.conversation_id; save('conv', conv); }
        flush();
        break;
      case 'accepted':
        var m = takeOutbox(f.id);
        if (f.conversation_id && !conv) { conv = f.conversation_id; save('conv', conv); }
        // An edge plugin may have answered before accepted: no typing dots then.
        if (m) { setState(m, 'sent'); if (!answered[f.id]) showTyping(); settle(f.id, true, pub(m)); }
        break;
      case 'message':
        if (!f.id || !f.text) break;
        var msg = { id: f.id, role: f.role || 'bot', text: f.text, source: f.source || 'central', author: f.author, at: f.at || Date.now() };
        if (f.reply_to) answered[f.reply_to] = true;
        if (msg.role === 'system') lastSystemAt = Date.now();
        if (msg.role === 'shopper' && rendered[msg.id]) { takeOutbox(msg.id); }
        addMessage(msg);
        if (!lastID || msg.id > lastID) { lastID = msg.id; save('last', lastID); }
        frame({ type: 'ack', id: f.id });
        break;
      case 'event':
        var ev = f.event || '';
        if (ev === 'conversation.handoff') { handoffNotice(); showTyping(60000); }
        else if (ev === 'conversation.assigned') system(T.assigned.replace('{a}', f.author || f.reason || 'Agent'));
        else if (ev === 'conversation.closed') { hideTyping(); system(T.closed); }
        emit('event', { event: ev, reason: f.reason, author: f.author });
        break;
      case 'error':
        onError(f);
        break;
    }
  }
  function onError(f) {
    var code = f.code || 'x', text = T.e[code] || T.e.x;
    if (f.max_text) maxText = f.max_text;
    var m = f.id && findOutbox(f.id);
    if (code === 'unavailable' || code === 'rate_limited') {
      if (m) { m.inflight = false; setTimeout(flush, code === 'rate_limited' ? 1500 : 3000); }
      system(text, true);
      return;
    }
    if (code === 'need_hello') { if (ws) ws.close(); return; }
    if (m) {
      takeOutbox(f.id); setState(m, 'failed'); hideTyping();
      var err = new Error(f.reason || code); err.code = code;
      settle(f.id, false, err);
    }
    system(text, true);
    emit('error', { code: code, reason: f.reason, id: f.id });
  }
  function findOutbox(id) { for (var i = 0; i < outbox.length; i++) if (outbox[i].id === id) return outbox[i]; return null; }
  function takeOutbox(id) {
    for (var i = 0; i < outbox.length; i++) if (outbox[i].id === id) { var m = outbox.splice(i, 1)[0]; saveOutbox(); return m; }
    return null;
  }
  function saveOutbox() { save('outbox', outbox.map(function (m) { return { id: m.id, text: m.text, at: m.at, lang: m.lang, intent: m.intent, anger: m.anger }; })); }
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
      var sku = D.querySelector('[data-kefu-sku]');
      if (sku) f.context.sku = sku.getAttribute('data-kefu-sku');
      if (frame(f)) m.inflight = true;
    });
  }
  function settle(id, ok, v) { var w = waiters[id]; if (!w) return; delete waiters[id]; ok ? w.resolve(v) : w.reject(v); }

  /* ---------- config, WASM core, local answers ---------- */
  function getConfig() {
    if (!config) config = fetch(ROOT + 'w/config' + Q, { credentials: 'omit' }).then(function (r) {
      if (!r.ok) throw new Error('kefu: config ' + r.status);
      return r.json();
    }).then(function (c) {
      config = c; if (c.max_text) maxText = c.max_text;
      suggestions(c);
      return c;
    }, function (e) { config = null; throw e; });
    return config.then ? config : Promise.resolve(config);
  }
  function loadScript(src) {
    return new Promise(function (ok, fail) { var s = D.createElement('script'); s.src = src; s.async = true; s.onload = ok; s.onerror = fail; D.head.appendChild(s); });
  }
  function loadCore() {
    if (coreP) return coreP;
    coreP = getConfig().then(function (c) {
      return (W.Go ? Promise.resolve() : loadScript(ROOT + 'wasm_exec.js')).then(function () {
        var go = new W.Go(), url = ROOT + 'kefu.wasm';
        var inst = WebAssembly.instantiateStreaming
          ? WebAssembly.instantiateStreaming(fetch(url), go.importObject).catch(function () { return fetch(url).then(function (r) { return r.arrayBuffer(); }).then(function (b) { return WebAssembly.instantiate(b, go.importObject); }); })
          : fetch(url).then(function (r) { return r.arrayBuffer(); }).then(function (b) { return WebAssembly.instantiate(b, go.importObject); });
        return inst.then(function (res) {
          go.run(res.instance);
          var k = W.kefuCore;
          if (!k) throw new Error('kefu: core did not register');
          var err = k.loadFAQ((c.faq && c.faq.entries) || c.faq || []);
          if (err) throw new Error(err);
          core = k;
          // Models sharpen language and intent; FAQ answers work without
          // them, so they load in the background (only those the core uses).
          var models = c.models || {};
          ['langid', 'intent'].forEach(function (name) {
            if (!models[name]) return;
            fetch(new URL(models[name], ROOT)).then(function (r) {
              if (!r.ok) throw new Error('HTTP ' + r.status);
              return r.arrayBuffer();
            }).then(function (b) {
              var e = k.load(name, new Uint8Array(b));
              if (e) throw new Error(e);
              emit('model', { name: name });
            }).catch(function (e) { if (W.console) console.info('kefu: model ' + name + ' not loaded', e); });
          });
          emit('ready', { core: true });
          return k;
        });
      });
    }).catch(function (e) {
      if (W.console) console.info('kefu: answering over the network only', e);
      return null;
    });
    return coreP;
  }
  function suggestions(c) {
    var entries = (c.faq && c.faq.entries) || [];
    if (!entries.length || ui.chips || history.some(function (m) { return m.role === 'shopper'; })) return;
    var picks = [];
    entries.forEach(function (e) {
      var q = e.local && e.questions && (e.questions[LANG] || e.questions.en);
      if (q && q[0] && picks.length < 3) picks.push(q[0]);
    });
    if (!picks.length) return;
    ui.chips = h('div', 'chips'); ui.chips.setAttribute('aria-label', T.suggest);
    picks.forEach(function (q) {
      var b = h('button', 'chip', q);
      b.onclick = function () { removeChips(); api.send(q).catch(function () {}); };
      ui.chips.appendChild(b);
    });
    ui.log.appendChild(ui.chips); scroll();
  }
  function removeChips() { if (ui.chips && ui.chips.parentNode) ui.chips.parentNode.removeChild(ui.chips); }

  function hit(r, id) {
    hits.push({ faq_id: r.faqId, intent: r.intent || undefined, lang: r.lang, score: Math.round(r.score * 1000) / 1000, conversation_id: conv || undefined, at: Date.now() });
    if (hits.length >= 20) flushHits(); else if (!hitTimer) hitTimer = setTimeout(flushHits, 5000);
  }
  function flushHits() {
    clearTimeout(hitTimer); hitTimer = 0;
    if (!hits.length) return;
    var body = JSON.stringify({ visitor: visitor, hits: hits.splice(0, 100) });
    var url = ROOT + 'w/hits' + Q, blob = new Blob([body], { type: 'text/plain' });
    if (!(navigator.sendBeacon && navigator.sendBeacon(url, blob))) fetch(url, { method: 'POST', body: body, keepalive: true }).catch(function () {});
  }
  D.addEventListener('visibilitychange', function () { if (D.visibilityState === 'hidden') flushHits(); });
  W.addEventListener('pagehide', flushHits);
  W.addEventListener('online', function () { if (!ws && (outbox.length || conv)) { backoff = 0; connect(); } });

  function byteLen(s) { return new TextEncoder().encode(s).length; }

  /* ---------- public API ---------- */
  var api = {
    version: '1',
    open: function () {
      if (isOpen) return;
      isOpen = true; host.classList.add('open');
      unread = 0; ui.badge.className = 'badge';
      if (!ui.greeted) { ui.greeted = true; greet(); }
      loadCore();
      if (conv || outbox.length) connect();
      setTimeout(function () { ui.input.focus(); scroll(); }, 60);
      emit('open', {});
    },
    close: function () {
      if (!isOpen) return;
      isOpen = false; host.classList.remove('open');
      emit('close', {});
    },
    send: function (text) {
      text = String(text == null ? '' : text).trim();
      if (!text) return Promise.reject(new Error('kefu: empty message'));
      removeChips();
      var m = { id: newID(), role: 'shopper', text: text, source: 'edge', at: Date.now(), state: 'sending' };
      if (byteLen(text) > maxText) {
        render(m); setState(m, 'failed'); system(T.e.too_large, true);
        var err = new Error('kefu: message over ' + maxText + ' bytes'); err.code = 'too_large';
        return Promise.reject(err);
      }
      // Wait briefly for the core if it is on its way, so that FAQ questions
      // are answered in the browser; never longer than 2.5 s.
      var ready = core ? Promise.resolve(core) : Promise.race([loadCore(), new Promise(function (ok) { setTimeout(ok, 2500, null); })]);
      if (!core) showTyping(3000);
      return ready.then(function (k) {
        var r = null;
        try { r = k && k.answer(text); } catch (e) { r = null; }
        if (r && r.text) {
          m.source = 'local'; m.lang = r.lang;
          addMessage(m);
          setState(m, '');
          var a = { id: newID(), role: 'bot', text: r.text, source: 'local', at: Date.now(), faqId: r.faqId, replyTo: m.id };
          addMessage(a);
          hit(r, a.id);
          var out = pub(a); out.faqId = r.faqId; out.replyTo = m.id; out.question = pub(m);
          return out;
        }
        if (k) { try { var an = k.analyze(text); if (an) { m.lang = an.lang; m.intent = an.intent; m.anger = an.anger; } } catch (e) { /* send without hints */ } }
        hideTyping();
        addMessage(m);
        setState(m, 'sending');
        return new Promise(function (resolve, reject) {
          waiters[m.id] = { resolve: resolve, reject: reject };
          queue(m);
        });
      });
    },
    on: function (ev, cb) { (handlers[ev] = handlers[ev] || []).push(cb); return api; },
    off: function (ev, cb) { handlers[ev] = (handlers[ev] || []).filter(function (f) { return f !== cb; }); return api; }
  };

  function greet() {
    if (!history.length) { render({ id: 'greet', role: 'bot', text: T.greet, source: 'local' }, true); }
    if (config && !config.then) suggestions(config);
    else getConfig().catch(function () {});
  }

  /* ---------- boot ---------- */
  function boot() {
    D.body.appendChild(host);
    history.forEach(function (m) { render(m, true); });
    if (history.length) { ui.greeted = true; lastRow = null; }
    outbox = outbox.map(function (o) {
      var m = { id: o.id, role: 'shopper', text: o.text, source: 'edge', at: o.at, lang: o.lang, intent: o.intent, anger: o.anger, state: 'sending' };
      if (!rendered[m.id]) render(m, true); else { var el = ui.log.querySelector('[data-id="' + m.id + '"]'); if (el) { m.el = el; m.meta = el.querySelector('.meta'); setState(m, 'sending'); } }
      return m;
    });
    if (outbox.length || conv) connect();
    var pre = W.requestIdleCallback || function (f) { setTimeout(f, 1200); };
    pre(function () { loadCore(); }, { timeout: 4000 });
    var q = (W.Kefu && W.Kefu.q) || [];
    W.Kefu = api;
    q.forEach(function (c) { try { api[c[0]].apply(api, c[1] || []); } catch (e) { /* ignore bad queued call */ } });
  }
  // A stub that queued calls (window.Kefu = {q: [[name, args]]}) is replaced at boot.
  if (!(W.Kefu && W.Kefu.q)) W.Kefu = api;
  if (D.body) boot(); else D.addEventListener('DOMContentLoaded', boot);
})(window, document);
