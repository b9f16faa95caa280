package natsembed

import (
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

func TestStartJetStreamSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	s, err := Start(Options{StoreDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	nc, err := s.Connect("test")
	if err != nil {
		t.Fatal(err)
	}
	js, _ := jetstream.New(nc)
	ctx := t.Context()
	if _, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{Name: "T", Subjects: []string{"t.>"}, Duplicates: time.Minute}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ { // the same id twice is stored once
		if _, err := js.Publish(ctx, "t.a", []byte("x"), jetstream.WithMsgID("m1")); err != nil {
			t.Fatal(err)
		}
	}
	nc.Close()
	s.Shutdown()

	s2, err := Start(Options{StoreDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Shutdown()
	nc2, err := s2.Connect("test2")
	if err != nil {
		t.Fatal(err)
	}
	defer nc2.Close()
	js2, _ := jetstream.New(nc2)
	st, err := js2.Stream(ctx, "T")
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != 1 {
		t.Fatalf("stream holds %d messages after restart, want 1", info.State.Msgs)
	}
}
