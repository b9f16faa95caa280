package central

import (
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/internal/natsembed"
)

// TestEnsureStreamKeepsSources: a restarted central must not drop the
// regional streams leaf edges declared as sources of KEFU_INBOUND.
func TestEnsureStreamKeepsSources(t *testing.T) {
	ns, err := natsembed.Start(natsembed.Options{StoreDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Shutdown()
	nc, err := ns.Connect("t")
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	src := &jetstream.StreamSource{Name: chat.StreamRegion, External: &jetstream.ExternalStream{APIPrefix: "$JS.edge-x.API"}}
	if _, err := js.CreateStream(t.Context(), jetstream.StreamConfig{Name: chat.StreamInbound, Subjects: []string{"other.>"},
		Storage: jetstream.FileStorage, Sources: []*jetstream.StreamSource{src}}); err != nil {
		t.Fatal(err)
	}
	st, err := EnsureStream(t.Context(), js)
	if err != nil {
		t.Fatal(err)
	}
	cfg := st.CachedInfo().Config
	if len(cfg.Sources) != 1 || cfg.Sources[0].Name != src.Name || cfg.Sources[0].External == nil ||
		cfg.Sources[0].External.APIPrefix != src.External.APIPrefix {
		t.Fatalf("sources after EnsureStream: %+v", cfg.Sources)
	}
	if len(cfg.Subjects) != 1 || cfg.Subjects[0] != chat.SubjectInboundPrefix+">" || cfg.Duplicates != 2*time.Minute {
		t.Fatalf("EnsureStream left subjects %v, duplicates %v", cfg.Subjects, cfg.Duplicates)
	}
}
