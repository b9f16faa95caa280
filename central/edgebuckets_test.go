package central

import (
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/kefu-io/kefu/chat"
)

// TestCentralMakesTheEdgesBuckets: the streams an edge's role may create
// in central's domain (SECURITY.md, natsembed edgeJetStream) exist with
// their own subjects once central runs, so that an edge credential cannot
// make one of those names capture other subjects (kefu.outbound.>) and
// read them through the consumers its role may create on it.
func TestCentralMakesTheEdgesBuckets(t *testing.T) {
	e := newEnv(t)
	e.start(e.config())
	for name, want := range map[string]string{
		chat.StreamInbound:                chat.SubjectInboundPrefix + ">",
		chat.StreamChannelOut:             chat.SubjectChannelOutPrefix + ">",
		chat.StreamErasure:                chat.SubjectErasurePrefix + ">",
		"KV_" + chat.BucketChannelSent:    "$KV." + chat.BucketChannelSent + ".>",
		"KV_" + chat.BucketChannelCursors: "$KV." + chat.BucketChannelCursors + ".>",
	} {
		st, err := e.js.Stream(bg, name)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if subj := st.CachedInfo().Config.Subjects; len(subj) == 0 || subj[0] != want {
			t.Errorf("%s captures %v, want %s", name, subj, want)
		}
	}
	if _, err := e.js.CreateStream(bg, jetstream.StreamConfig{Name: "KV_" + chat.BucketChannelSent, Subjects: []string{"kefu.outbound.>"}}); err == nil {
		t.Error("a second configuration of the sent bucket's stream was accepted")
	}
}
