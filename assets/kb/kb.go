// Package kb embeds the demo shop's knowledge pack that `kefu dev` loads
// into the demo tenant when it has no documents yet:
//
//	demo/docs/**.md    112 bilingual (zh + en) policy, shipping-by-destination,
//	                   warranty-by-product-line, fee and product documents
//	demo/catalog.csv   1,329 SKUs of 211 products (one is the storefront demo's Aurora Storm Jacket) with colour and size variants
//
// eval/questions.jsonl (not embedded) is the held-out test set of 306
// shopper questions for `kefu kb eval`; it was written apart from the
// documents and is used for nothing but measuring.
package kb

import (
	"embed"
	"io/fs"
)

//go:embed demo
var demo embed.FS

// Demo returns the demo pack: docs/ and catalog.csv.
func Demo() fs.FS {
	sub, err := fs.Sub(demo, "demo")
	if err != nil {
		panic(err) // the embedded tree always has demo/
	}
	return sub
}
