package edge_test

import (
	"testing"

	"github.com/kefu-io/kefu/chat"
)

func TestHappyPath(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	c := h.dial("demo")
	c.alive() // ping works before hello
	w := c.hello(chat.Frame{Visitor: "v-1"})
	if w.Visitor != "v-1" || w.MaxText != chat.MaxTextBytes || w.Site != "demo" {
		t.Fatalf("welcome %+v", w)
	}
	id := chat.NewID()
	c.send(chat.Frame{Type: chat.FrameMessage, ID: id, Text: "where is my order?", Lang: "en",
		Context: map[string]string{"sku": "A-1", "url": "https://shop/p/1"}})
	if a := c.expect(chat.FrameAccepted); a.ID != id || a.ConversationID != w.ConversationID {
		t.Fatalf("accepted %+v", a)
	}
	r := c.expect(chat.FrameMessage)
	if r.Text != "echo: where is my order?" || r.ReplyTo != id || r.Role != chat.RoleBot ||
		r.Source != chat.SourceCentral || r.ConversationID != w.ConversationID || !chat.ValidID(r.ID) {
		t.Fatalf("reply %+v", r)
	}
	c.send(chat.Frame{Type: chat.FrameAck, ID: r.ID})
	c.alive()

	got, err := h.resp.WaitInbound(waitCtx(t), 1)
	if err != nil {
		t.Fatal(err)
	}
	env := got[0]
	if env.Tenant != "demo-tenant" || env.Region != "eu" || env.Visitor != "v-1" || env.Channel != chat.ChannelWeb ||
		env.Direction != chat.Inbound || env.Message.ID != id || env.Message.Role != chat.RoleShopper ||
		env.Message.ConversationID != w.ConversationID || env.Label("sku") != "A-1" || env.Label("site") != "demo" {
		t.Fatalf("stored envelope %+v", env)
	}
}

