/*! Kefu bootstrap — https://github.com/kefu-io/kefu (Apache-2.0). The one tag:
 *   <script src="https://EDGE/kefu.js" data-site="SITE" async></script>
 * This file has a stable URL and a short cache; it queues Kefu.* calls and loads
 * the widget for the page's language from a content-hashed, immutable URL. */
(function (W, D) {
  'use strict';
  var A = "@@ASSETS@@";
  var s = D.currentScript;
  if (!s || (W.Kefu && W.Kefu.version)) return;
  var K = W.Kefu = W.Kefu || {};
  var q = K.q = K.q || [];
  K._tag = s;
  'open close send sendPhoto on off setLanguage track identify'.split(' ').forEach(function (n) {
    if (K[n]) return;
    K[n] = function () {
      var a = [].slice.call(arguments);
      if (n === 'send' || n === 'sendPhoto' || n === 'identify') return new Promise(function (ok, fail) { q.push([n, a, ok, fail]); });
      q.push([n, a]);
      return K;
    };
  });
  var t = (s.getAttribute('data-lang') || D.documentElement.lang || navigator.language || 'en').toLowerCase(), l = 'en';
  if (/^zh/.test(t)) l = /tw|hk|mo|hant/.test(t) ? 'zh-TW' : 'zh-CN';
  else if (A.langs.indexOf(t.split('-')[0]) >= 0) l = t.split('-')[0];
  K._lang = l;
  // The launcher is drawn here, at once, with inline styles only (no style
  // sheet, nothing a strict CSP blocks); a click queues Kefu.open(). The
  // loader takes this host over and swaps in its own launcher once its
  // style sheet applies.
  var OPEN = { 'zh-CN': '打开客服', 'zh-TW': '開啟客服', de: 'Chat öffnen', fr: 'Ouvrir le chat', es: 'Abrir chat', ja: 'チャットを開く', ko: '채팅 열기', ar: 'فتح المحادثة', ru: 'Открыть чат', pt: 'Abrir chat', it: 'Apri la chat' };
  function draw() {
    if (D.getElementById('kefu-widget') || !D.body.attachShadow) return;
    var host = D.createElement('div'), st = host.style, I = 'important', left = s.getAttribute('data-position') === 'left';
    var gap = (W.innerWidth || 999) <= 480 ? '12px' : '20px', c = s.getAttribute('data-color');
    host.id = 'kefu-widget';
    st.setProperty('all', 'initial', I); st.setProperty('display', 'block', I); st.setProperty('position', 'fixed', I);
    st.setProperty('z-index', '2147483000', I); st.setProperty('bottom', gap, I); st.setProperty(left ? 'left' : 'right', gap, I);
    var b = D.createElement('button');
    b.type = 'button'; b.className = 'stub'; b.setAttribute('aria-label', OPEN[l] || 'Open chat');
    b.style.cssText = 'all:initial;box-sizing:border-box;width:60px;height:60px;border-radius:50%;cursor:pointer;display:grid;place-items:center;color:#fff;' +
      'background:' + (c || 'linear-gradient(135deg,#4f46e5,#7c3aed)') + ';box-shadow:0 10px 28px -6px rgba(79,70,229,.55),0 2px 6px rgba(17,24,39,.2)';
    b.innerHTML = '<svg width="28" height="28" viewBox="0 0 24 24" fill="none" aria-hidden="true"><path d="M12 3C6.9 3 3 6.6 3 11c0 2.2 1 4.2 2.6 5.6L5 21l4.2-2.1c.9.3 1.8.4 2.8.4 5.1 0 9-3.6 9-8.1S17.1 3 12 3z" fill="currentColor"/></svg>';
    b.onclick = function () { K.open(); };
    host.attachShadow({ mode: 'open' }).appendChild(b);
    D.body.appendChild(host);
  }
  if (D.body) draw(); else D.addEventListener('DOMContentLoaded', draw);
  var e = D.createElement('script');
  e.src = new URL(A.strings + l + '.js', s.src).href;
  e.async = true;
  (D.head || D.documentElement).appendChild(e);
})(window, document);
