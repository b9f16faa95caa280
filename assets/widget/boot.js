/*! Kefu bootstrap — https://github.com/kefu-io/kefu (Apache-2.0). The one tag:
 *   <script src="https://EDGE/kefu.js" data-site="SITE" async></script>
 * This file has a stable URL and a short cache; it queues Kefu.* calls and loads
 * the widget for the page's language from a content-hashed, immutable URL, which
 * draws the launcher with its style sheet built in: the launcher shows when the
 * chat works, after one small file more (issue 13: ≤ 10 KB before it shows). */
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
  var e = D.createElement('script');
  e.src = new URL(A.strings + l + '.js', s.src).href;
  e.async = true;
  (D.head || D.documentElement).appendChild(e);
})(window, document);
