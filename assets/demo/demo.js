// Storefront interactions of the demo page (gallery, colour, size, cart).
// The chat widget is not here: it is the one <script src="/kefu.js"> tag.
(function () {
  'use strict';
  var $ = function (s) { return document.querySelector(s); };
  var $$ = function (s) { return Array.prototype.slice.call(document.querySelectorAll(s)); };
  var hero = $('#hero'), stage = $('#stage');
  function paint(c) {
    var p = c.split(',');
    $$('.gallery svg').forEach(function (s) { s.style.setProperty('--c1', p[0]); s.style.setProperty('--c2', p[1]); s.style.setProperty('--c3', p[2]); });
    stage.style.setProperty('--tint', p[0]);
  }
  $$('.sw').forEach(function (b) {
    b.onclick = function () {
      $$('.sw').forEach(function (x) { x.classList.remove('on'); });
      b.classList.add('on'); $('#colour-name').textContent = b.getAttribute('data-n'); paint(b.getAttribute('data-c'));
    };
  });
  $$('.sz').forEach(function (b) {
    b.onclick = function () { $$('.sz').forEach(function (x) { x.classList.remove('on'); }); b.classList.add('on'); $('#size-name').textContent = b.textContent; };
  });
  $$('.thumb').forEach(function (b) {
    b.onclick = function () {
      $$('.thumb').forEach(function (x) { x.classList.remove('on'); }); b.classList.add('on');
      var v = b.getAttribute('data-v');
      stage.className = 'stage v' + v;
      hero.setAttribute('viewBox', v === '1' ? '120 60 180 180' : '0 0 400 440');
    };
  });
  hero.setAttribute('viewBox', '0 0 400 440');
  var q = $('#qty');
  $('#qminus').onclick = function () { q.value = Math.max(1, (parseInt(q.value, 10) || 1) - 1); };
  $('#qplus').onclick = function () { q.value = Math.min(9, (parseInt(q.value, 10) || 1) + 1); };
  $('#add').onclick = function () {
    var n = parseInt($('#cart-count').textContent, 10) + (parseInt(q.value, 10) || 1);
    $('#cart-count').textContent = n;
    var t = $('#toast');
    t.textContent = 'Added to your cart — Aurora Storm Jacket, ' + $('#colour-name').textContent + ', size ' + $('#size-name').textContent;
    t.classList.add('on'); setTimeout(function () { t.classList.remove('on'); }, 2600);
  };
  $('#size-guide').onclick = function (e) { e.preventDefault(); if (window.Kefu && Kefu.open) { Kefu.open(); Kefu.send('Do you have a size guide?'); } };
})();
