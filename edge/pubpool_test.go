package edge

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/kefu-io/kefu/chat"
)

// TestPubPool: a publish runs on an idle worker (not on the caller's
// goroutine) and its error comes back; with every worker busy, or the pool
// ended, the caller publishes itself at once instead of waiting.
func TestPubPool(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errFail := errors.New("publish failed")
	release := make(chan struct{})
	type call struct {
		id       string
		onWorker bool
	}
	calls := make(chan call, 8)
	p := newPubPool(ctx, 1, func(_ context.Context, env *chat.Envelope) error {
		buf := make([]byte, 8<<10)
		stack := string(buf[:runtime.Stack(buf, false)])
		calls <- call{env.Message.ID, !strings.Contains(stack, "(*pubPool).do")}
		if env.Message.ID == "hold" {
			<-release
		}
		if env.Message.Text == "fail" {
			return errFail
		}
		return nil
	})
	publish := func(id, text string) <-chan error {
		done := make(chan error, 1)
		go func() { done <- p.do(ctx, &chat.Envelope{Message: chat.Message{ID: id, Text: text}}) }()
		return done
	}
	for deadline := time.Now().Add(5 * time.Second); ; { // until the worker waits for jobs
		if err := <-publish("warm", ""); err != nil {
			t.Fatal(err)
		}
		if c := <-calls; c.onWorker {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no publish ran on the worker")
		}
		time.Sleep(time.Millisecond)
	}
	tests := []struct {
		name, id, text string
		onWorker       bool
		err            error
	}{
		{"idle worker", "a", "", true, nil},
		{"its error", "b", "fail", true, errFail},
	}
	for _, tt := range tests {
		if err := <-publish(tt.id, tt.text); !errors.Is(err, tt.err) || (tt.err == nil) != (err == nil) {
			t.Fatalf("%s: error %v, want %v", tt.name, err, tt.err)
		}
		if c := <-calls; c != (call{tt.id, tt.onWorker}) {
			t.Fatalf("%s: call %+v", tt.name, c)
		}
	}
	held := publish("hold", "")
	if c := <-calls; c != (call{"hold", true}) { // the only worker holds it
		t.Fatalf("held: call %+v", c)
	}
	select {
	case err := <-publish("c", "fail"):
		if !errors.Is(err, errFail) {
			t.Fatalf("inline: error %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a publish waited for the busy worker")
	}
	if c := <-calls; c != (call{"c", false}) {
		t.Fatalf("busy worker: call %+v, want on the caller", c)
	}
	close(release)
	if err := <-held; err != nil {
		t.Fatal(err)
	}
	cancel()
	time.Sleep(20 * time.Millisecond) // the worker ends
	if err := <-publish("d", ""); err != nil {
		t.Fatal(err)
	}
	if c := <-calls; c != (call{"d", false}) {
		t.Fatalf("ended pool: call %+v, want on the caller", c)
	}
}
