package stack

import (
	"context"
	"testing"
	"time"

	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/examples/appclient"
)

// TestAppClient runs the example native app client against a real edge and
// central: hello on the app channel, a message answered by central, a
// resend with the same id stored once, and a resume after a reconnect.
func TestAppClient(t *testing.T) {
	t.Parallel()
	requireBuilt(t)
	s, err := Start(t.Context(), Options{Addr: "127.0.0.1:0", DataDir: t.TempDir(), PluginCache: testPluginCache(), Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	c, err := appclient.Dial(ctx, s.URL, DemoSite, appclient.State{Visitor: "app-user-1"})
	if err != nil {
		t.Fatal(err)
	}
	id := chat.NewID()
	if err := c.Send(ctx, id, "What is your return policy?"); err != nil {
		t.Fatal(err)
	}
	var reply chat.Frame
	select {
	case reply = <-c.Messages:
	case <-ctx.Done():
		t.Fatal("no reply")
	}
	if reply.Role != chat.RoleBot || reply.ReplyTo != id || reply.Text == "" {
		t.Fatalf("reply %+v", reply)
	}
	if err := c.Ack(ctx, reply.ID); err != nil {
		t.Fatal(err)
	}
	st := c.State
	c.Close()

	// The app restarts: resumes from its stored state and resends a
	// message it was not sure about, with the same id.
	c, err = appclient.Dial(ctx, s.URL, DemoSite, st)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.State.Conversation != st.Conversation {
		t.Fatalf("resumed into %s, want %s", c.State.Conversation, st.Conversation)
	}
	if err := c.Send(ctx, id, "What is your return policy?"); err != nil {
		t.Fatal(err)
	}
	msgs, err := s.Store().Messages(ctx, DemoSite, st.Conversation, "", 100)
	if err != nil {
		t.Fatal(err)
	}
	var mine int
	for _, m := range msgs {
		if m.ID == id {
			mine++
		}
	}
	conv, err := s.Store().Conversation(ctx, DemoSite, st.Conversation)
	if err != nil || mine != 1 || conv.Channel != chat.ChannelApp {
		t.Fatalf("message stored %d times, conversation %+v %v", mine, conv, err)
	}
}
