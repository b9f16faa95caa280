// Package demo embeds the storefront demo page of "Kefu Demo Store": a
// realistic product page (gallery, price, promo, sizes, add to cart,
// reviews, footer) with no external requests, which embeds the widget with
// exactly one tag, <script src="/kefu.js" data-site="demo" async></script>.
// The edge serves it under /demo/ (edge.Config.DemoFS).
package demo

import (
	"embed"
	"io/fs"
)

//go:embed index.html demo.css demo.js
var files embed.FS

// FS returns index.html, demo.css and demo.js; read-only, safe for
// concurrent use.
func FS() fs.FS { return files }
