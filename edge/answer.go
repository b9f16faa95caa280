package edge

import (
	"crypto/sha256"
	"encoding/base32"
)

// Labels of an inbound envelope whose message a region plugin answered at
// the edge (docs/CONTRACTS.md). Central stores the answer after the
// shopper's message and neither routes nor answers it again. Only the edge
// sets them: the same keys from a client's context or a plugin are removed.
const (
	LabelEdgeAnswerID     = "edge_answer_id"     // the answer's message id (EdgeAnswerID)
	LabelEdgeAnswerText   = "edge_answer_text"   // the answer's text, as the shopper got it
	LabelEdgeAnswerPlugin = "edge_answer_plugin" // the plugin that answered (the answer's author)
)

var edgeAnswerLabels = [...]string{LabelEdgeAnswerID, LabelEdgeAnswerText, LabelEdgeAnswerPlugin}

var idEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// EdgeAnswerID returns the id of the edge's answer to the shopper message
// id of tenant: "e" and 26 base32 characters of a SHA-256 of both, so that a
// retried message gets the same answer id on any edge node.
func EdgeAnswerID(tenant, id string) string {
	sum := sha256.Sum256([]byte("e\x00" + tenant + "\x00" + id))
	return "e" + idEncoding.EncodeToString(sum[:16])
}
