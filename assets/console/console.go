// Package console embeds the agent console, a single page served by central
// at /console/: index.html, console.js and console.css, plain JavaScript with
// no framework and nothing loaded from a CDN. The page talks to the REST API
// under /v1 and listens to /v1/console/ws (docs/CONTRACTS.md).
package console

import "embed"

// FS holds index.html, console.js and console.css at its root, and the
// reports page (reports.html/.js/.css with the vendored uPlot chart library
// under vendor/uplot, MIT, its LICENSE beside it), and the knowledge page
// (knowledge.html, knowledge.js, knowledge.css), and the canned replies page (canned.html,
// canned.js).
//
//go:embed index.html console.js console.css
//go:embed reports.html reports.js reports.css vendor
//go:embed knowledge.html knowledge.js knowledge.css
//go:embed admin.html admin.js admin.css
//go:embed canned.html canned.js
var FS embed.FS
