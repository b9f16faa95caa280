// Runs right after the bootstrap, long before the loader arrives: every call
// must be queued and delivered in order (TestQueuedCalls).
window.__log = [];
window.__tracked = [];
Kefu.on('message', function (m) { window.__log.push(m); });
Kefu.on('track', function (e) { window.__tracked.push(e.event); });
Kefu.setLanguage('de');
Kefu.track('page_view', { sku: 'AUR-1' });
Kefu.open();
window.__sent = null;
Kefu.send('Wie kann ich etwas zurückgeben?').then(function (m) { window.__sent = m; });
