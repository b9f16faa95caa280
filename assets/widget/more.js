/*! Kefu widget, the rest — https://github.com/kefu-io/kefu (Apache-2.0)
 * The loader (kefu.js) carries what a text chat over the WebSocket needs; this
 * chunk carries the rest and is fetched after the chat works, or at first need
 * (a product card or a CSAT request arrives, the shopper picks a photo,
 * Kefu.identify or Kefu.sendPhoto is called): photo upload with the EXIF
 * stripped, product cards, CSAT, proactive notices, identify, the callback
 * form, and the WASM core with the FAQ packs that answer in the browser.
 * Calls made before it arrived wait in the loader, in order (kefu.js "x").
 * Built per language by assets/widget.Build: STRINGS becomes the strings of
 * that language that only this chunk uses (the loader's table lacks them). */
(function (W, D) {
  'use strict';
  var STRINGS = "@@STRINGS@@", STYLE = "@@CSS@@", ASSETS = "@@ASSETS@@";
  var K = W.Kefu;
  if (!K || !K._x) return;
  K._x(function (I) {
    var h = I.h, t = I.t, S = I.S, ui = I.ui, ROOT = I.ROOT, Q = I.Q;
    // The names of the core, its glue, this chunk's style sheet and the UI
    // languages are this file's; the loader's (served unbuilt) otherwise.
    if (typeof ASSETS !== 'object') ASSETS = I.ASSETS;
    // The loader's string table lacks this chunk's strings; a table
    // fetched by setLanguage has them all already.
    (function fill(to, from) {
      for (var k in from) {
        if (from[k] && typeof from[k] === 'object') fill(to[k] = to[k] || {}, from[k]);
        else if (!(k in to)) to[k] = from[k];
      }
    })(I.T(), typeof STRINGS === 'object' ? STRINGS : {});
    function q() { return I.T().q || {}; }
    function retryFrame(f) { var tries = 0; (function go() { if (!I.frame(f) && tries++ < 20) { I.connect(); setTimeout(go, 500); } })(); }

    /* ---------- chips: options that send their text when picked ---------- */
    function chips(list) {
      I.removeChips();
      var box = ui.chips = h('div', 'chips'); box.setAttribute('role', 'group'); box.setAttribute('aria-label', t('suggest'));
      // A pointer over a chip or the focus on one: its pack loads before the pick.
      ['pointerover', 'focusin'].forEach(function (e) { box.addEventListener(e, function () { if (!primed) prime(list[0]); }); });
      list.forEach(function (q) {
        var b = h('button', 'chip', q); b.type = 'button';
        b.onclick = function () { I.removeChips(); ui.input.focus(); I.api.send(q).catch(function () {}); };
        box.appendChild(b);
      });
      return box;
    }
    // quick shows a clarifying question's options under it.
    function quick(list) { ui.log.appendChild(chips(list)); I.scroll(); }

    /* ---------- product cards: every field is text; the image and link only http(s) ---------- */
    function safeURL(s) { try { var u = new URL(String(s)); return u.protocol === 'https:' || u.protocol === 'http:' ? u.href : ''; } catch (e) { return ''; } }
    function cards(box, list) {
      list.slice(0, 6).forEach(function (p) {
        if (!p || typeof p !== 'object') return;
        var c = h('div', 'card');
        if (safeURL(p.image)) { var img = h('img'); img.src = safeURL(p.image); img.alt = String(p.name || ''); img.loading = 'lazy'; img.referrerPolicy = 'no-referrer'; c.appendChild(img); }
        var body = h('div', 'card-body');
        body.appendChild(h('div', 'card-name', String(p.name || '')));
        if (p.price != null) body.appendChild(h('div', 'card-price', String(p.price) + (p.currency ? ' ' + String(p.currency) : '')));
        if (p.stock != null) body.appendChild(h('div', 'card-stock' + (p.stock > 0 || p.stock === true ? '' : ' out'), p.stock > 0 || p.stock === true ? t('stock_in') : t('stock_out')));
        if (safeURL(p.url)) { var a = h('a', 'card-link', t('view')); a.href = safeURL(p.url); a.target = '_blank'; a.rel = 'noopener noreferrer nofollow'; a.title = safeURL(p.url); body.appendChild(a); }
        c.appendChild(body); box.appendChild(c);
      });
      I.scroll();
    }

    /* ---------- CSAT ---------- */
    // csatPrompt asks for a 1–5 rating at close (conversation.closed with
    // reason "csat"); the choice is emitted as Kefu.on('csat') and sent as
    // a csat frame when the edge supports it (welcome frame feature "csat").
    function csatPrompt(convID) {
      if (ui.csat && ui.csat.parentNode) return;
      var box = ui.csat = h('div', 'csat'); box.setAttribute('role', 'group'); box.setAttribute('aria-label', t('csat_q'));
      box.appendChild(h('div', 'csat-q', t('csat_q')));
      var row = h('div', 'csat-stars');
      [1, 2, 3, 4, 5].forEach(function (n) {
        var b = h('button', 'star', '★'); b.type = 'button'; b.setAttribute('aria-label', t('star').replace('{n}', n));
        b.onclick = function () {
          box.textContent = t('csat_thanks');
          var ev = { score: n, conversation_id: convID || I.v().conv || undefined };
          if (I.features.csat) I.frame({ type: 'csat', id: I.newID(), conversation_id: ev.conversation_id, score: n });
          I.emit('csat', ev); track('csat', ev);
        };
        row.appendChild(b);
      });
      box.appendChild(row); ui.log.appendChild(box); I.scroll();
    }
    // csat asks for a rating with an optional comment when central sends
    // csat.request (docs/PROTOCOL.md §2.8).
    var rated = {};
    function csat() {
      var conv = I.v().conv;
      if (!conv || rated[conv]) return;
      var c = conv, pick = 0, box = h('form', 'kefu-csat'); box.setAttribute('aria-label', q().rate);
      box.appendChild(h('p', '', q().rate));
      var stars = h('div', 'stars'); stars.setAttribute('role', 'radiogroup');
      [1, 2, 3, 4, 5].forEach(function (n) {
        var b = h('button', 'star', '★'); b.type = 'button'; b.setAttribute('role', 'radio'); b.setAttribute('aria-label', q().star.replace('{n}', n)); b.setAttribute('data-n', n);
        b.onclick = function () { pick = n; Array.prototype.forEach.call(stars.children, function (x, i) { x.classList.toggle('on', i < n); x.setAttribute('aria-checked', i === n - 1); }); send.disabled = false; };
        stars.appendChild(b);
      });
      var txt = h('textarea'); txt.rows = 2; txt.maxLength = 1000; txt.placeholder = q().comment; txt.setAttribute('aria-label', q().comment);
      var send = h('button', 'send-cb', q().rsend); send.type = 'submit'; send.disabled = true;
      box.appendChild(stars); box.appendChild(txt); box.appendChild(send);
      box.onsubmit = function (e) {
        e.preventDefault(); if (!pick) return;
        var f = { type: 'csat', id: I.newID(), rating: pick, conversation_id: c };
        if (txt.value.trim()) f.text = txt.value.trim().slice(0, 1000);
        rated[c] = true;
        retryFrame(f);
        if (box.parentNode) box.parentNode.removeChild(box);
        I.system(q().rthanks); I.emit('csat', { rating: pick });
      };
      ui.log.appendChild(box); I.scroll();
    }

    /* ---------- events: handoff, the human queue's position line, typing, CSAT, closing (docs/PROTOCOL.md §2.5) ---------- */
    // The loader hands every event frame here, in order.
    function event(f) {
      var ev = f.event || '';
      if (ev === 'conversation.handoff') { human(true); handoffNotice(); track('handoff', { reason: f.reason }); }
      else if (ev === 'conversation.assigned') { human(true); unqueue(); I.system(t('assigned').replace('{a}', f.author || f.reason || 'Agent')); }
      else if (ev === 'conversation.typing') { if (f.author) typing(6000); }
      else if (ev === 'queue.position') queue(f);
      else if (ev === 'csat.request') csat();
      else if (ev === 'conversation.closed') { hideTyping(); human(false); unqueue(); I.system(t('closed')); if (f.reason === 'csat') csatPrompt(f.conversation_id); }
      I.emit('event', { event: ev, reason: f.reason, author: f.author });
    }
    // typing shows the dots for ms (25 s by default) or until a message
    // comes; for the reply to a shopper's message (id), only while none came.
    var typingRow = null, typingTimer = 0;
    function typing(ms, id) {
      if (id && I.v().answered[id]) return;
      if (!typingRow) {
        typingRow = h('div', 'row bot typing');
        var av = h('div', 'avatar bot'); av.innerHTML = I.ICON.bot; av.setAttribute('aria-hidden', 'true');
        var b = h('div', 'bubble'); b.setAttribute('role', 'img'); b.innerHTML = '<i></i><i></i><i></i>';
        typingRow.appendChild(av); typingRow.appendChild(b);
      }
      typingRow.lastChild.setAttribute('aria-label', t('typing'));
      I.append(typingRow, true);
      clearTimeout(typingTimer); typingTimer = setTimeout(hideTyping, ms || 25000);
    }
    function hideTyping() { clearTimeout(typingTimer); if (typingRow && typingRow.parentNode) typingRow.parentNode.removeChild(typingRow); }
    function human(on) { S.human = on; I.save('human', on); }
    // Central usually says the handoff in the conversation's language; the
    // widget's own notice only stands in when no such message comes with it.
    function handoffNotice() {
      var at = Date.now();
      setTimeout(function () { if (S.sysAt < at - 3000) I.system(t('handoff')); }, 1500);
    }
    var bar = null;
    function unqueue() { if (bar && bar.parentNode) bar.parentNode.removeChild(bar); bar = null; callback(false); }
    function waitText(s) { return s < 60 ? q().sec : q().min.replace('{n}', Math.round(s / 60)); }
    function queue(f) {
      human(true);
      var p = f.position || 0, w = f.wait_s || 0;
      I.emit('queue', { position: p, wait_s: w, reason: f.reason || undefined });
      if (!bar) { bar = h('div', 'system queue'); bar.setAttribute('role', 'status'); }
      bar.textContent = f.reason === 'after_hours' ? q().after.replace('{t}', f.at ? new Date(f.at).toLocaleString(I.v().lang, { weekday: 'short', hour: '2-digit', minute: '2-digit' }) : '')
        : f.reason === 'no_agent' ? q().none
        : (p <= 1 ? q().next : q().pos.replace('{p}', p)) + ' · ' + q().wait.replace('{w}', waitText(w));
      I.append(bar);
      callback(!!f.reason);
    }

    /* ---------- analytics: Kefu.track and the widget's own events ---------- */
    // track records an analytics event: the merchant's own (Kefu.track) or
    // the widget's (open, close, local_answer, handoff, csat). Listeners of
    // Kefu.on('track') receive each one; the latest go to the agent as
    // context of the shopper's next message (context).
    var tracked = [];
    function track(name, data, at) {
      var e = { event: String(name).slice(0, 64), data: data === undefined ? null : data, at: at || Date.now() };
      tracked.push(e); if (tracked.length > 10) tracked.shift();
      I.emit('track', e);
    }
    // context adds to a message frame the page's product (data-kefu-sku)
    // and the latest tracked events that fit the edge's 512-byte context value.
    function context(f) {
      var sku = D.querySelector('[data-kefu-sku]');
      if (sku) f.context.sku = sku.getAttribute('data-kefu-sku');
      for (var k = tracked.length; k > 0; k--) { var tj = JSON.stringify(tracked.slice(-k)); if (I.byteLen(tj) <= 500) { f.context.track = tj; break; } }
    }

    /* ---------- error frames (docs/PROTOCOL.md): a polite line, and Retry only where another try could work ---------- */
    function error(f) {
      var code = f.code || 'x', E = I.T().e || {}, text = E[code] || E.x || code;
      var m = f.id && I.outbox(f.id);
      if (code === 'unavailable' || code === 'rate_limited') {
        if (m) { m.inflight = false; setTimeout(I.flush, code === 'rate_limited' ? 1500 : 3000); }
        I.system(text, true);
        return;
      }
      if (code === 'need_hello') { I.reconnect(); return; }
      if (code === 'upload_expired' && m && m.blob && !m.reuploaded) { reupload(m); return; }
      if (code === 'identity_refused') { refused(f); return; }
      if (m) {
        I.takeOutbox(f.id); I.setState(m, /^(too_large|bad_frame|bad_version|upload_expired)$/.test(code) ? 'refused' : 'failed'); hideTyping();
        var err = new Error(f.reason || code); err.code = code;
        I.settle(f.id, false, err);
      }
      I.system(text, true);
      I.emit('error', { code: code, reason: f.reason, id: f.id });
    }

    /* ---------- UI languages: labels follow the shopper's language (Kefu.setLanguage) ---------- */
    // uiLang maps a language tag (the browser's "zh-Hant-TW", the core's "zh") to a UI language, or ''.
    function uiLang(tag) {
      var s = String(tag || '').toLowerCase(), cur = I.v().lang;
      if (/^zh/.test(s)) return /tw|hk|mo|hant/.test(s) ? 'zh-TW' : (/^zh-/.test(cur) && s === 'zh' ? cur : 'zh-CN');
      s = s.split('-')[0];
      return ASSETS.langs.indexOf(s) >= 0 ? s : '';
    }
    // follow switches the labels to the language the shopper writes in.
    function follow(lang) {
      var l = uiLang(lang);
      if (l && l !== I.v().lang) setLanguage(l).catch(function () {});
    }
    // setLanguage fetches a language's table once (tables: its promise),
    // however many messages ask for it meanwhile (the local answers must
    // not each start a fetch); the latest language asked for wins.
    var tables = {}, want = '';
    function setLanguage(code) {
      var l = uiLang(code);
      if (!l) return Promise.reject(new Error('kefu: no UI language ' + code));
      want = l;
      if (l === I.v().lang) return Promise.resolve(l);
      if (!tables[l]) {
        tables[l] = fetch(ROOT + ASSETS.strings + l + '.json').then(function (r) {
          if (!r.ok) throw new Error('kefu: strings ' + l + ' ' + r.status);
          return r.json();
        });
        tables[l].catch(function () { delete tables[l]; }); // tried again next time
      }
      return tables[l].then(function (s) {
        if (want === l && l !== I.v().lang) {
          I.strings(s, l);
          pack(packLang(l)); intentModel(packLang(l));
          I.emit('language', { lang: l });
        }
        return I.v().lang;
      });
    }

    /* ---------- the header's second avatar, the photo button and the instant-answer mark ---------- */
    var clip = '<svg width="20" height="20" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" aria-hidden="true"><path d="M21 11.5l-8.6 8.6a5.5 5.5 0 01-7.8-7.8l8.6-8.6a3.7 3.7 0 015.2 5.2l-8.6 8.6a1.8 1.8 0 01-2.6-2.6l7.9-7.9"/></svg>';
    var bolt = '<svg width="11" height="11" viewBox="0 0 24 24" fill="currentColor" aria-hidden="true"><path d="M13 2L4 14h7l-1 8 9-12h-7l1-8z"/></svg>';
    var a2 = h('div', 'avatar a2'); a2.innerHTML = '<svg width="18" height="18" viewBox="0 0 24 24" fill="#fff" aria-hidden="true"><path d="M12 12a4 4 0 100-8 4 4 0 000 8zm0 2c-4 0-7 2-7 4.5V20h14v-1.5C19 16 16 14 12 14z"/></svg>';
    ui.avatars.appendChild(a2);
    ui.attach = h('button', 'attach'); ui.attach.type = 'button'; ui.attach.innerHTML = clip;
    ui.file = h('input'); ui.file.type = 'file'; ui.file.accept = 'image/jpeg,image/png,image/webp'; ui.file.hidden = true; ui.file.tabIndex = -1;
    ui.attach.onclick = function () { ui.file.click(); };
    ui.file.onchange = function () { var f = ui.file.files && ui.file.files[0]; ui.file.value = ''; if (f) I.api.sendPhoto(f).catch(function () { /* shown in the log */ }); };
    ui.input.parentNode.insertBefore(ui.attach, ui.input); ui.input.parentNode.appendChild(ui.file);
    function label() { ui.attach.setAttribute('aria-label', t('attach')); }
    label();
    // instant marks an answer the browser gave.
    I.ICON.bolt = bolt;
    function instant(meta) { var s = h('span', 'instant'); s.appendChild(I.icon('bolt')); s.appendChild(D.createTextNode(t('instant'))); meta.insertBefore(s, meta.firstChild); }

    /* ---------- callback form: nobody is available (docs/PROTOCOL.md §2.5) ---------- */
    var form = null, cbDone = false;
    function callback(show) {
      if (!show || cbDone) { if (form && form.parentNode) form.parentNode.removeChild(form); form = null; return; }
      if (form) return;
      form = h('form', 'kefu-callback'); form.setAttribute('aria-label', q().cbsend);
      form.appendChild(h('p', '', q().cb));
      var inp = h('input'); inp.type = 'text'; inp.placeholder = q().cbph; inp.setAttribute('aria-label', q().cbph); inp.maxLength = 120; inp.autocomplete = 'email';
      var b = h('button', 'send-cb', q().cbsend); b.type = 'submit';
      form.appendChild(inp); form.appendChild(b);
      form.onsubmit = function (e) {
        e.preventDefault();
        var v = inp.value.trim(), kind = /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(v) ? 'email' : /^\+?[0-9 ().\-]{6,20}$/.test(v) ? 'phone' : '';
        if (!kind) { I.system(q().cbbad, true); return; }
        var m = { id: I.newID(), role: 'shopper', text: v, source: 'edge', at: Date.now(), state: 'sending', ctx: { callback: kind } };
        I.v().answered[m.id] = true; I.addMessage(m); I.setState(m, 'sending'); I.queue(m);
        cbDone = true; callback(false); I.system(q().cbok);
      };
      ui.log.appendChild(form); I.scroll();
    }

    /* ---------- identify (docs/PROTOCOL.md 2.1a) ---------- */
    // identify presents a signed-in shopper to the edge: a new hello on a
    // new socket carries it. The identity is kept in memory only (S.identity:
    // name and e-mail are personal data); S.wait is the pending promise,
    // answered by the next welcome (verified) or error identity_refused.
    function identify(o) {
      o = o || {};
      var id = typeof o.id === 'number' ? String(o.id) : o.id, hash = String(o.hash || '').toLowerCase();
      var bad = typeof id !== 'string' || !id || I.byteLen(id) > 256 ? 'id must be a string of 1 to 256 bytes'
        : !/^[0-9a-f]{64}$/.test(hash) ? 'hash must be the hex HMAC-SHA256 of id (64 hex characters), computed on your server' : '';
      if (bad) { var e = new Error('kefu: identify: ' + bad); e.code = 'identity_refused'; e.reason = bad; return Promise.reject(e); }
      var next = { id: id, hash: hash };
      if (o.name) next.name = String(o.name).slice(0, 200);
      if (o.email) next.email = String(o.email).slice(0, 200);
      if (o.channels && typeof o.channels === 'object') { // signed channel user ids (PROTOCOL.md 2.1b)
        var chs = {}, n = 0;
        Object.keys(o.channels).slice(0, 16).forEach(function (k) { if (typeof o.channels[k] === 'string') { chs[k] = o.channels[k].slice(0, 256); n++; } });
        if (n) next.channels = chs;
      }
      var v = I.v(), cur = S.identity;
      if (cur && cur.id === next.id && cur.hash === next.hash && v.ready && !S.wait) {
        S.identity = next;
        return Promise.resolve({ visitor: v.visitor, conversation_id: v.conv });
      }
      if (S.wait) { var old = S.wait; S.wait = null; var s = new Error('kefu: identify: superseded by a later identify()'); s.code = 'superseded'; old.reject(s); }
      S.identity = next;
      // A contact's own conversation is found by the edge; another
      // contact's conversation id would not resume.
      S.fresh = /^u_/.test(v.visitor);
      return new Promise(function (resolve, reject) {
        S.wait = { resolve: resolve, reject: reject };
        I.reconnect();
      });
    }
    function welcomed(f) {
      var w = S.wait; S.wait = null;
      if (S.identity && w) {
        var vis = I.v().visitor;
        w.resolve({ visitor: vis, conversation_id: f.conversation_id });
        I.emit('identity', { ok: true, visitor: vis, conversation_id: f.conversation_id });
      }
    }
    // refused: the merchant's integration is wrong, not the shopper: no
    // notice in the panel; the welcome that follows is an anonymous one.
    function refused(f) {
      S.identity = null; S.fresh = false;
      var ie = new Error('kefu: identity refused: ' + (f.reason || 'the hash does not verify')); ie.code = f.code; ie.reason = f.reason;
      var w = S.wait; S.wait = null;
      if (w) w.reject(ie);
      I.emit('identity', { ok: false, code: f.code, reason: f.reason });
      I.emit('error', { code: f.code, reason: f.reason });
    }

    /* ---------- photos (docs/PROTOCOL.md §2.13) ---------- */
    // sendPhoto checks the file, re-encodes it through a canvas (the pixels
    // only: EXIF with the GPS position, XMP, comments stay behind), shows a
    // thumbnail (a canvas: no blob: URL for the page's CSP to allow), uploads
    // it to the edge and sends the message naming the upload. What the
    // shopper may pick, and what goes on the wire after the re-encoding
    // (the edge's limit, internal/photo.MaxBytes):
    var PHOTO_TYPES = ['image/jpeg', 'image/png', 'image/webp'], PHOTO_MB = 10, PHOTO_WIRE = 512 * 1024, PHOTO_SIDE = 1600;
    function photoError(text, code) {
      I.system(text, true);
      var e = new Error('kefu: ' + text); e.code = code; return Promise.reject(e);
    }
    function sizeText() { return t('photo_size').replace('{n}', PHOTO_MB); }
    function sendPhoto(file) {
      if (!file || PHOTO_TYPES.indexOf(file.type) < 0) return photoError(t('photo_type'), 'bad_type');
      if (file.size > PHOTO_MB * 1048576) return photoError(sizeText(), 'too_large');
      if (!W.createImageBitmap || !W.fetch) return photoError(t('photo_type'), 'bad_type');
      I.removeChips();
      var m = { id: I.newID(), role: 'shopper', text: '📷 ' + t('photo'), source: 'edge', at: Date.now(), state: 'sending' };
      return W.createImageBitmap(file).then(function (bmp) {
        return encode(bmp, file.type, PHOTO_SIDE, 0.85).then(function (blob) {
          m.thumb = canvasOf(bmp, 220); if (bmp.close) bmp.close();
          return blob;
        });
      }, function () { return Promise.reject({ code: 'bad_type' }); }).then(function (blob) {
        if (!blob || blob.size > PHOTO_WIRE) return Promise.reject({ code: 'too_large' });
        m.blob = blob;
        I.addMessage(m); I.setState(m, 'sending');
        return upload(m).then(function () {
          return new Promise(function (resolve, reject) { I.waiters[m.id] = { resolve: resolve, reject: reject }; I.queue(m); });
        }, function (e) { I.setState(m, 'refused'); throw e; });
      }).catch(function (e) {
        if (e instanceof Error) throw e;
        return photoError(e.code === 'too_large' ? sizeText() : t('photo_type'), e.code);
      });
    }
    // encode draws bmp at most side pixels long into a canvas and encodes
    // it as type (PNG and WebP keep theirs, anything else JPEG); a result
    // over the wire limit is tried again smaller, as JPEG.
    function encode(bmp, type, side, qual) {
      var c = canvasOf(bmp, side, type === 'image/jpeg');
      return new Promise(function (ok) { c.toBlob(ok, type, qual); }).then(function (b) {
        if (b && b.size <= PHOTO_WIRE) return b;
        if (side < 400) return b;
        return encode(bmp, 'image/jpeg', Math.round(side * 0.75), 0.75);
      });
    }
    function canvasOf(bmp, side, white) {
      var k = Math.min(1, side / Math.max(bmp.width, bmp.height)), c = D.createElement('canvas');
      c.width = Math.max(1, Math.round(bmp.width * k)); c.height = Math.max(1, Math.round(bmp.height * k));
      var g = c.getContext('2d');
      if (white) { g.fillStyle = '#fff'; g.fillRect(0, 0, c.width, c.height); }
      g.drawImage(bmp, 0, 0, c.width, c.height);
      return c;
    }
    // upload sends m.blob to the edge and keeps the token it answers.
    function upload(m) {
      return fetch(ROOT + 'w/upload' + Q, { method: 'POST', body: m.blob, headers: { 'Content-Type': m.blob.type }, credentials: 'omit' }).then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (d) {
          if (r.ok && d.upload) { m.upload = d.upload; return d; }
          var E = I.T().e || {};
          I.system(r.status === 413 ? sizeText() : r.status === 415 || r.status === 400 ? t('photo_type') : (E.unavailable || E.x), true);
          var e = new Error('kefu: photo upload: ' + (d.error || r.status)); e.code = d.code || 'upload_failed'; throw e;
        });
      });
    }
    // reupload: the edge lost the photo (restart, expiry): upload it again,
    // same message id.
    function reupload(m) {
      m.reuploaded = true; m.inflight = true;
      upload(m).then(function () { m.inflight = false; I.saveOutbox(); I.flush(); }, function (e) { I.takeOutbox(m.id); I.setState(m, 'refused'); I.settle(m.id, false, e); });
    }

    /* ---------- proactive notices (PROTOCOL §2.14) ---------- */
    // On a product page (an element with data-kefu-sku) the shopper idle for
    // 20, 45 or 90 s is reported to the edge; the tenant's rules decide
    // whether an offer comes back. Without a chat socket open already, only
    // a page that opts in (data-kefu-idle on that element) makes the widget
    // connect for it. Idle time counts from the loader's start.
    (function () {
      var marks = [20, 45, 90], quiet = I.started, told = {};
      ['pointermove', 'keydown', 'scroll', 'touchstart'].forEach(function (e) {
        W.addEventListener(e, function () { quiet = Date.now(); told = {}; }, { passive: true });
      });
      setInterval(function () {
        var el = D.querySelector('[data-kefu-sku]');
        if (!el || D.hidden || (!I.v().ready && !el.hasAttribute('data-kefu-idle'))) return;
        var idle = (Date.now() - quiet) / 1000, m = 0;
        marks.forEach(function (x) { if (idle >= x) m = x; });
        if (!m || told[m]) return;
        told[m] = true;
        retryFrame({ type: 'page', idle_s: m, context: { url: location.href.slice(0, 512), sku: String(el.getAttribute('data-kefu-sku')).slice(0, 64) } });
      }, 5000);
    })();

    /* ---------- config, FAQ packs, WASM core, local answers ---------- */
    var packs = {}, packP = {}, declines = {}, coreP = null, hits = [], hitTimer = 0;
    function packLang(l) { return l === 'zh-CN' ? 'zh' : l; }
    // /w/config is small: settings, model URLs, one FAQ pack URL per
    // language and (&lang=) the suggestions of the UI language; the packs
    // themselves are fetched for the shopper's language only, once the
    // shopper types (prime).
    function getConfig() {
      if (!S.config) S.config = fetch(ROOT + 'w/config' + Q + '&lang=' + encodeURIComponent(packLang(I.v().lang)), { credentials: 'omit' }).then(function (r) {
        if (!r.ok) throw new Error('kefu: config ' + r.status);
        return r.json();
      }).then(function (c) {
        S.config = c; if (c.max_text) I.max(c.max_text);
        return c;
      }, function (e) { S.config = null; throw e; });
      return S.config.then ? S.config : Promise.resolve(S.config);
    }
    // typedLang is the pack language a text calls for: the page's (the UI
    // language's) unless the text holds a writing system the page's
    // language does not use: kana ja, Hangul ko, Han zh (zh-TW on a zh-TW
    // page), Cyrillic ru, Arabic ar. Latin text keeps the page's language.
    function typedLang(s) {
      var l = packLang(I.v().lang);
      if (/[\u3040-\u30ff]/.test(s)) return 'ja';
      if (/[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]/.test(s)) return 'ko';
      if (/[\u3400-\u4dbf\u4e00-\u9fff]/.test(s)) return /^(zh|ja)/.test(l) ? l : 'zh';
      if (/[\u0400-\u04ff]/.test(s)) return 'ru';
      if (/[\u0600-\u06ff]/.test(s)) return 'ar';
      return l;
    }
    // prime fetches, once, the FAQ pack and intent model pair of the
    // language the shopper starts to write in (typedLang): at the first
    // keystroke (an input method's text once composed), a pointer over a
    // suggestion or the first question, not at open, so that a shopper
    // writing another script than the page's fetches no pack of the
    // page's language (issue 13: about 10 KB on the wire).
    var primed = '';
    function prime(text) {
      if (primed || !/\S/.test(text || '')) return;
      primed = typedLang(String(text));
      pack(primed); intentModel(primed);
    }
    function typed(e) { if (!e.isComposing) prime(ui.input.value); }
    ui.input.addEventListener('input', typed);
    ui.input.addEventListener('compositionend', typed);
    // pack fetches the FAQ pack of one language (once) and hands every pack
    // fetched so far to the core; it resolves to the pack's entries or null.
    function pack(lang) {
      if (packP[lang]) return packP[lang];
      packP[lang] = getConfig().then(function (c) {
        var url = c.faq_packs && c.faq_packs[lang];
        if (!url) return null;
        return fetch(new URL(url, ROOT), { credentials: 'omit' }).then(function (r) {
          if (!r.ok) throw new Error('kefu: FAQ pack ' + lang + ' ' + r.status);
          return r.json();
        }).then(function (p) {
          packs[lang] = p.entries || [];
          declines[lang] = p.decline || [];
          if (S.core) feed(S.core);
          if (lang === packLang(I.v().lang)) suggestions();
          return packs[lang];
        });
      }).catch(function (e) { delete packP[lang]; if (W.console) console.info('kefu:', e); return null; });
      return packP[lang];
    }
    // feed merges the fetched packs (by entry id) into the core's FAQ cache.
    function feed(k) {
      var byID = {}, list = [];
      Object.keys(packs).forEach(function (l) {
        packs[l].forEach(function (e) {
          var m = byID[e.id];
          if (!m) { m = byID[e.id] = { id: e.id, intent: e.intent, local: e.local, questions: {}, answers: {} }; list.push(m); }
          Object.keys(e.questions || {}).forEach(function (q) { m.questions[q] = e.questions[q]; });
          Object.keys(e.answers || {}).forEach(function (a) { m.answers[a] = e.answers[a]; });
        });
      });
      // Terms naming something specific (a destination, a fee…): the core
      // leaves questions naming them to central (chat.FAQPack.Decline).
      var decl = [];
      Object.keys(declines).forEach(function (l) { decl = decl.concat(declines[l]); });
      var err = k.loadFAQ(list, decl);
      if (err && W.console) console.info('kefu: FAQ not loaded', err);
      else warm(k, list);
    }
    // warm runs the core's answer path while the page is idle, so that the
    // shopper's questions run code the engine has compiled in its top tier
    // already: WebAssembly starts in a baseline tier, and each function hot
    // enough is compiled again by the optimizing tier on a background
    // thread, up to 230 ms each for the core's largest (`kefu bench widget
    // --js-flags=--trace-wasm-compilation-times`); on a two-core device those
    // compiles took the answering thread's core during the first hundreds of
    // answers. A round asks the first paraphrase of each entry (up to 96
    // questions), at most 4 ms of each idle period; one starts when a pack
    // or a model is in (a model's code is only hot once loaded). Nothing
    // is shown, sent or kept.
    var warmList = [], warmLeft = 0, warmAt = 0;
    function warm(k, list) {
      if (list) {
        warmList = [];
        list.forEach(function (e) { Object.keys(e.questions).forEach(function (l) { var q = e.questions[l][0]; if (q) warmList.push(q); }); });
      }
      if (!warmList.length) return;
      var go = !warmLeft;
      warmLeft = Math.max(warmLeft, Math.min(96, 2 * warmList.length));
      if (go) idle(function step(dl) {
        var t = performance.now(), budget = dl && dl.timeRemaining && !dl.didTimeout ? Math.min(4, dl.timeRemaining()) : 4;
        for (; warmLeft > 0 && performance.now() - t < budget; warmLeft--) {
          try { k.answer(warmList[warmAt++ % warmList.length]); } catch (e) { /* the question gets its answer (or not) when asked */ }
        }
        if (warmLeft > 0) idle(step);
      });
    }
    // model fetches the model called name (a key of the config's models)
    // once and installs it in the core; a failed fetch is tried again on
    // the next call.
    var modelP = {}, langIn = false;
    function model(name) {
      var k = S.core, url = S.config && S.config.models && S.config.models[name];
      if (!k || !url || modelP[name]) return;
      modelP[name] = fetch(new URL(url, ROOT)).then(function (r) {
        if (!r.ok) throw new Error('HTTP ' + r.status);
        return r.arrayBuffer();
      }).then(function (b) {
        var e = k.load(name, new Uint8Array(b));
        if (e) throw new Error(e);
        warm(k);
        if (name === 'langid') langIn = true;
        I.emit('model', { name: name });
      }).catch(function (e) { delete modelP[name]; if (W.console) console.info('kefu: model ' + name + ' not loaded', e); });
    }
    // intentModel loads the intent model of one language (a pack language:
    // zh, zh-TW, en…), as the packs: intent.<lang> (zh-TW: else intent.zh)
    // and the second model of its pair, intent.<lang>.2, whose probabilities
    // the core averages with the first's; else the multilingual intent when
    // the edge has none for it. The core classifies a text with the model of
    // the language it takes it for.
    function intentModel(lang) {
      var models = S.config && S.config.models;
      if (!models || !lang) return;
      var name = 'intent.' + lang;
      if (!models[name]) name = 'intent.' + lang.split('-')[0];
      if (!models[name]) return model('intent');
      model(name);
      if (models[name + '.2']) model(name + '.2');
    }
    function idle(f) { (W.requestIdleCallback || function (g) { setTimeout(g, 50); })(f, { timeout: 2000 }); }
    function loadScript(src) {
      return new Promise(function (ok, fail) { var s = D.createElement('script'); s.src = src; s.async = true; s.onload = ok; s.onerror = fail; (D.head || D.documentElement).appendChild(s); });
    }
    // bind adds kefuCore.answer(text) and .analyze(text) over the core's
    // exports (widget/wasm ask.go): the question written into the core's
    // memory and the result read from it, one call and no syscall/js value
    // per question (a js.FuncOf call cost more than the answer itself).
    function bind(k, x) {
      var io = x.kefu_io() / 8, mem = x.mem, f, u, enc = new TextEncoder(), dec = new TextDecoder();
      function view() { if (!f || f.buffer !== mem.buffer) { f = new Float64Array(mem.buffer); u = new Uint8Array(mem.buffer); } }
      function ask(text, answer) {
        if (typeof text !== 'string') return null;
        view();
        var q = f[io], n = f[io + 1], w = enc.encodeInto(text, u.subarray(q, q + n));
        var ok = x.kefu_ask(w.read < text.length ? n + 1 : w.written, answer);
        if (!ok) return answer ? null : { lang: '', intent: '', score: 0, anger: 0, orderSpecific: false };
        view();
        var a = f[io + 5], b = a + f[io + 6], c = b + f[io + 7], d = c + f[io + 8];
        var r = { lang: dec.decode(u.subarray(a, b)), intent: dec.decode(u.subarray(b, c)), score: f[io + 2], anger: f[io + 3], orderSpecific: f[io + 4] === 1 };
        if (answer) { r.faqId = dec.decode(u.subarray(c, d)); r.text = dec.decode(u.subarray(d, d + f[io + 9])); }
        return r;
      }
      k.answer = function (text) { return ask(text, true); };
      k.analyze = function (text) { return ask(text, false); };
    }
    function loadCore() {
      if (coreP) return coreP;
      if (!W.WebAssembly || !ASSETS.wasm) return (coreP = Promise.resolve(null));
      coreP = getConfig().then(function (c) {
        return (W.Go ? Promise.resolve() : loadScript(ROOT + ASSETS.exec)).then(function () {
          var go = new W.Go(), url = ROOT + ASSETS.wasm;
          // No collection on the answer path: the core collects only when its
          // heap nears 48 MiB (GOGC=off: neither the heap's growth nor the
          // forced collection every 2 minutes starts one), which a shopper's
          // questions (a few KB each) never reach. A collection of the
          // single-threaded WebAssembly heap stops the page for 20–130 ms,
          // the tail of the 300-question run with GOGC=400.
          go.env = { GOGC: 'off', GOMEMLIMIT: '48MiB' };
          var inst = WebAssembly.instantiateStreaming
            ? WebAssembly.instantiateStreaming(fetch(url), go.importObject).catch(function () { return fetch(url).then(function (r) { return r.arrayBuffer(); }).then(function (b) { return WebAssembly.instantiate(b, go.importObject); }); })
            : fetch(url).then(function (r) { return r.arrayBuffer(); }).then(function (b) { return WebAssembly.instantiate(b, go.importObject); });
          return inst.then(function (res) {
            go.run(res.instance);
            var k = W.kefuCore;
            if (!k) throw new Error('kefu: core did not register');
            bind(k, res.instance.exports);
            feed(k);
            S.core = k;
            // Models sharpen language and intent; FAQ answers work without
            // them, so they load in the background (only those the core
            // uses): language id, and the intent model of the language the
            // shopper writes in (intentModel) once known (prime, follow).
            model('langid');
            intentModel(primed);
            I.emit('ready', { core: true });
            return k;
          });
        });
      }).catch(function (e) {
        if (W.console) console.info('kefu: answering over the network only', e);
        return null;
      });
      return coreP;
    }
    // suggestions shows up to three popular questions of the shopper's
    // language under the greeting, until the shopper writes: /w/config's
    // (&lang=, no pack needed), or the pack's of a language set since.
    function suggestions() {
      var l = packLang(I.v().lang), entries = packs[l], c = S.config, picks = [];
      if (!ui.greeted || I.v().history.some(function (m) { return m.role === 'shopper'; })) return;
      if (entries) entries.forEach(function (e) {
        var q = e.local && e.questions && e.questions[l];
        if (q && q[0] && picks.length < 3) picks.push(q[0]);
      });
      else if (c && c.lang === l && c.suggest) picks = c.suggest.slice(0, 3);
      if (!picks.length) return;
      // Always right under the greeting (or at the end of a restored log).
      var g = ui.log.querySelector('[data-id="greet"]');
      ui.log.insertBefore(chips(picks), g ? g.nextSibling : null); I.scroll();
    }
    // ask answers m in the browser when the core knows the answer, else
    // sends it over the WebSocket with what the core found.
    function ask(m, guess) {
      if (emitting) return Promise.resolve().then(function () { return ask(m, guess); });
      // The core is ready, and the pack of the language this question is
      // written in was asked for by this very question (a first question
      // nobody typed: Kefu.send, a chip picked at once): it waits for
      // that pack, at most 500 ms, then answers as below.
      if (!m.waited && primed && !packs[primed] && packP[primed] && typedLang(m.text) === primed) {
        m.waited = true;
        return Promise.race([packP[primed], new Promise(function (ok) { setTimeout(ok, 500); })]).then(function () { return ask(m, guess); });
      }
      var core = S.core, text = m.text, r = null, an = null, config = S.config;
      try { r = core.answer(text); an = r || core.analyze(text); } catch (e) { r = null; }
      var lang = an && an.lang;
      // Until the language model is in, the core guesses a Latin-script
      // text's language from a few stop words ("Quanto tempo demora a
      // entrega?" reads as English): such a guess changes neither the
      // labels nor the pack and model (the page's language stays); a
      // writing system (kana, Hangul, Cyrillic…) is not a guess.
      if (!langIn && !/[^\u0000-\u024f]/.test(text)) lang = '';
      if (lang && (guess || text.length >= 12)) follow(lang); // a word or two says too little
      var pl = lang ? packLang(uiLang(lang)) : '';
      if (pl) intentModel(pl); // once per language: for the next questions
      if (pl && !packs[pl] && config && config.faq_packs && config.faq_packs[pl]) {
        // Another language than the packs we hold: its pack loads for the
        // next questions, and this one does not wait for it. A short one
        // (a language guessed from a word or two) takes the answer the
        // packs we hold give; anything else goes over the WebSocket now.
        pack(pl);
        return r && r.text && text.length < 12 && !guess ? Promise.resolve(local(m, r)) : I.remote(m, an);
      }
      return r && r.text ? Promise.resolve(local(m, r)) : I.remote(m, an);
    }
    // local shows a question the core answered, and its answer; no frame is
    // sent. The message callbacks come first, the question's then the
    // answer's; the rows, the history and its storage follow in the same
    // task (so the page paints them at the same frame as before), the
    // analytics after them. A question sent from a callback waits until the
    // rows are in (emitting), so the log keeps its order.
    var emitting = false;
    function local(m, r) {
      m.source = 'local'; m.lang = r.lang;
      var a = { id: I.newID(), role: 'bot', text: r.text, source: 'local', at: Date.now(), faqId: r.faqId, replyTo: m.id };
      emitting = true;
      try { I.emit('message', I.pub(m)); I.emit('message', I.pub(a)); } finally { emitting = false; }
      I.show(m); I.setState(m, ''); I.show(a);
      hit(r, m, a); track('local_answer', { faq_id: r.faqId, lang: r.lang });
      var out = I.pub(a); out.faqId = r.faqId; out.replyTo = m.id; out.question = I.pub(m);
      return out;
    }
    function hit(r, m, a) {
      var conv = I.v().conv;
      var x = { faq_id: r.faqId, intent: r.intent || undefined, lang: r.lang, score: Math.round(r.score * 1000) / 1000, conversation_id: conv || undefined, at: Date.now() };
      hits.push(x);
      // The question and answer go to the agent's view once the conversation
      // is known: reported through /w/hits, never as a frame; kept until
      // welcome gives the conversation (flushLocal).
      var rep = { id: m.id, question: m.text, answer_id: a.id, answer: a.text };
      if (conv) { for (var k in rep) x[k] = rep[k]; } else { var p = I.load('pendlocal', []); p.push(Object.assign({}, x, rep)); I.save('pendlocal', p.slice(-20)); }
      if (hits.length >= 20) flushHits(); else if (!hitTimer) hitTimer = setTimeout(flushHits, x.question ? 1000 : 5000);
    }
    function flushHits() {
      clearTimeout(hitTimer); hitTimer = 0;
      if (!hits.length) return;
      var body = JSON.stringify({ visitor: I.v().visitor, hits: hits.splice(0, 100) });
      var url = ROOT + 'w/hits' + Q, blob = new Blob([body], { type: 'text/plain' });
      if (!(navigator.sendBeacon && navigator.sendBeacon(url, blob))) fetch(url, { method: 'POST', body: body, keepalive: true }).catch(function () {});
    }
    function flushLocal() {
      var p = I.load('pendlocal', []), conv = I.v().conv;
      if (!conv || !p.length) return;
      I.save('pendlocal', []);
      p.forEach(function (x) { x.conversation_id = conv; hits.push(x); });
      flushHits();
    }
    D.addEventListener('visibilitychange', function () { if (D.visibilityState === 'hidden') flushHits(); });
    W.addEventListener('pagehide', flushHits);

    // This chunk's style sheet, beside the loader's in the Shadow DOM.
    I.style(STYLE, ASSETS.css2);
    flushLocal();
    loadCore();
    function suggest() { getConfig().then(suggestions, function () {}); }
    if (ui.greeted) suggest();
    if (ui.input.value) prime(ui.input.value);
    return {
      quick: quick, cards: cards, csat: csat, csatPrompt: csatPrompt, callback: callback, event: event, error: error, track: track, context: context, typing: typing, hideTyping: hideTyping,
      follow: follow, setLanguage: setLanguage, label: label, instant: instant,
      identify: identify, welcomed: welcomed, refused: refused,
      sendPhoto: sendPhoto, reupload: reupload,
      suggestions: suggestions, ask: ask, open: function () { loadCore(); suggest(); }, flushLocal: flushLocal,
      sent: function (text, guess) { prime(text); if (guess) follow(guess); }
    };
  });
})(window, document);
