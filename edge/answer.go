package edge

import (
	"crypto/sha256"
	"encoding/base32"
	"slices"
	"strings"

	"github.com/kefu-io/kefu/chat"
)

// Labels of an inbound envelope whose message a region plugin answered at
// the edge (docs/CONTRACTS.md). Central stores the answer after the
// shopper's message and neither routes nor answers it again. Only the edge
// sets them: the same keys from a client's context or a plugin are removed.
// They are chat's names (chat.LabelEdgeAnswerID …), repeated here for
// the edge's readers.
const (
	LabelEdgeAnswerID     = chat.LabelEdgeAnswerID     // the answer's message id (EdgeAnswerID)
	LabelEdgeAnswerText   = chat.LabelEdgeAnswerText   // the answer's text, as the shopper got it
	LabelEdgeAnswerPlugin = chat.LabelEdgeAnswerPlugin // the plugin that answered (the answer's author)
)

var idEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// EdgeAnswerID returns the id of the edge's answer to the shopper message
// id of tenant: "e" and 26 base32 characters of a SHA-256 of both, so that a
// retried message gets the same answer id on any edge node.
func EdgeAnswerID(tenant, id string) string {
	sum := sha256.Sum256([]byte("e\x00" + tenant + "\x00" + id))
	return "e" + idEncoding.EncodeToString(sum[:16])
}

// clientLabels are the context keys a client may set: facts about the page
// the shopper is on.
var clientLabels = map[string]bool{"url": true, "title": true, "referrer": true, "sku": true, "product": true, "locale": true, "cart": true,
	chat.LabelCallback: true} // a callback contact: it only files a ticket (central/work.go)

// clientLabel reports whether a client's context key k may travel as an
// envelope label: the page facts above and free "custom.*" keys. Keys that
// steer routing or record what the edge and plugins decided (vip, escalate,
// erasure, pii, site, edge_answer_*, …) are set by the merchant's backend,
// the edge or plugins; a client's copy is dropped, so a shopper cannot
// make themself a VIP or jump the queue.
func clientLabel(k string) bool {
	return clientLabels[k] || strings.HasPrefix(k, "custom.") && len(k) > len("custom.")
}

// setShopperFields copies the client's context entries that may travel
// (clientLabel) into env's labels and lists their keys in
// chat.LabelShopperFields, so that the region's inbound pipeline masks
// them as it masks the text (pii-redact). This is the one way a
// shopper-controlled text other than the message text enters an envelope:
// a new shopper field (names given to identify(), say) is added here, never
// set as a label elsewhere. Other keys are dropped.
func setShopperFields(env *chat.Envelope, ctx map[string]string) {
	delete(env.Labels, chat.LabelShopperFields)
	keys := make([]string, 0, len(ctx))
	for k, v := range ctx {
		if clientLabel(k) && v != "" {
			env.SetLabel(k, v)
			keys = append(keys, k)
		}
	}
	if len(keys) > 0 {
		slices.Sort(keys)
		env.SetLabel(chat.LabelShopperFields, strings.Join(keys, ","))
	}
}
