package central

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/kefu-io/kefu/central/store"
	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/internal/poll"
)

// erasureEnvelope is a shopper message as the edge forwards it after the
// gdpr-residency plugin spotted an erasure request.
func erasureEnvelope(visitor, id, text, lang string) chat.Envelope {
	en := envelope("demo", visitor, "", id, text, lang)
	en.SetLabel("erasure", "1")
	en.SetLabel("escalate", ReasonErasure)
	return en
}

// erasureEvent waits for the next erasure event with reason.
func (e *env) erasureEvent(reason string) chat.Event {
	e.t.Helper()
	for {
		if ev := e.event(chat.EventErasure); ev.Reason == reason {
			return ev
		}
	}
}

func TestErasureAgentConfirms(t *testing.T) {
	e := newEnv(t)
	s := e.start(e.config())
	a := newApp(t, s)
	ann := a.login("demo", demoEmail, demoPassword)
	addAgent(t, s, "other", "eve@other.kefu", "evepassword")
	eve := a.login("other", "eve@other.kefu", "evepassword")
	st := s.Store()

	// Some history, then the request.
	hello := envelope("demo", "v1", "", chat.NewID(), "Where is my order 12345? my email is ann@example.com", "en")
	e.publish(hello)
	conv := e.reply().Message.ConversationID
	req := erasureEnvelope("v1", chat.NewID(), "Please delete my data", "en")
	req.Message.ConversationID = conv
	e.publish(req)
	note := e.reply()
	if note.Message.Role != chat.RoleSystem || note.Message.Text != erasureRequestedNotes["en"] || note.Message.ReplyTo != req.Message.ID ||
		!strings.Contains(note.Message.Text, "30 days") || note.Visitor != "v1" || note.Message.ConversationID != conv {
		t.Fatalf("acknowledgement %+v", note)
	}
	if ev := e.erasureEvent(ErasureEventRequested); ev.Visitor != "v1" || ev.ConversationID != conv || ev.Tenant != "demo" {
		t.Fatalf("requested event %+v", ev)
	}
	if why := e.handoffReason(conv); why != ReasonErasure {
		t.Fatalf("handoff reason %q", why)
	}

	// Redelivered (same message id, new JetStream message) and asked again:
	// still one request, one acknowledgement.
	e.publishRaw(chat.InboundSubject("demo"), mustJSON(t, req), "")
	again := erasureEnvelope("v1", chat.NewID(), "请删除我的数据", "zh")
	again.Message.ConversationID = conv
	e.publish(again)
	// Both are acknowledged on the wire (the redelivery again): wait for the
	// two, whatever order the lanes publish them in, so that none is left
	// for the erasure's note below (the replies go out after the inbound
	// ack, so an idle consumer does not mean they arrived).
	for seen := map[string]bool{}; !seen[req.Message.ID] || !seen[again.Message.ID]; {
		seen[e.reply().Message.ReplyTo] = true
	}
	e.consumerIdle()
	list, err := st.Erasures(bg, "demo", "", 0)
	if err != nil || len(list) != 1 || list[0].Status != store.ErasureRequested || list[0].MessageID != req.Message.ID || list[0].Visitor != "v1" {
		t.Fatalf("requests after redelivery %+v %v", list, err)
	}
	msgs, err := st.Messages(bg, "demo", conv, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	acks := 0
	for _, m := range msgs {
		if m.Author == "gdpr" {
			acks++
		}
	}
	if acks != 2 { // one per shopper message (en, zh), none for the redelivery
		t.Fatalf("%d acknowledgements in %+v", acks, msgs)
	}

	// The console sees the request.
	var cv ConversationView
	if code := a.do("GET", "/v1/conversations/"+conv, ann, nil, &cv); code != 200 || cv.Erasure == nil ||
		cv.Erasure.Status != store.ErasureRequested || cv.Reason != ReasonErasure || cv.Status != store.StatusQueued {
		t.Fatalf("conversation view %d %+v", code, cv)
	}
	var queue []ConversationView
	if code := a.do("GET", "/v1/conversations?status=queued", ann, nil, &queue); code != 200 || len(queue) != 1 || queue[0].Erasure == nil {
		t.Fatalf("queue %d %+v", code, queue)
	}

	// Bad callers.
	var r apiErr
	if code := a.do("POST", "/v1/conversations/"+conv+"/erase", eve, nil, &r); code != 404 || r.Code != CodeNotFound {
		t.Fatalf("other tenant erases: %d %+v", code, r)
	}
	if code := a.do("POST", "/v1/conversations/"+conv+"/erase", "", nil, &r); code != 401 {
		t.Fatalf("no token: %d", code)
	}
	if code := a.do("POST", "/v1/conversations/bad%20id/erase", ann, nil, &r); code != 400 {
		t.Fatalf("bad id: %d", code)
	}
	if m, _ := st.Message(bg, "demo", hello.Message.ID); m.Text != hello.Message.Text {
		t.Fatalf("refused calls erased: %q", m.Text)
	}

	// Ann erases.
	before := time.Now().Add(-time.Second)
	var done ErasureView
	if code := a.do("POST", "/v1/conversations/"+conv+"/erase", ann, nil, &done); code != 200 {
		t.Fatalf("erase: %d", code)
	}
	me, _ := st.AgentByEmail(bg, "demo", demoEmail)
	if done.Status != store.ErasureCompleted || done.Agent != me.ID || done.CompletedAt == nil || done.CompletedAt.Before(before) ||
		done.Conversations != 1 || done.Messages < 5 {
		t.Fatalf("erasure %+v", done)
	}
	if last := e.reply(); last.Message.Text != erasureDoneNotes["zh"] /* the latest language */ || last.Message.ConversationID != conv {
		t.Fatalf("last note %+v", last)
	}
	if ev := e.erasureEvent(ErasureEventCompleted); ev.Visitor != "v1" || ev.ConversationID != conv || ev.Agent != me.ID {
		t.Fatalf("completed event %+v", ev)
	}
	msgs, err = st.Messages(bg, "demo", conv, "", 0)
	if err != nil || len(msgs) < 5 {
		t.Fatalf("messages %v %v", msgs, err)
	}
	for _, m := range msgs {
		if m.Text != store.ErasedText {
			t.Fatalf("message %s kept %q", m.ID, m.Text)
		}
	}
	c, err := st.Conversation(bg, "demo", conv)
	if err != nil || c.Status != store.StatusClosed || !strings.HasPrefix(c.Visitor, erasedVisitorPrefix) || c.LastText != store.ErasedText {
		t.Fatalf("erased conversation %+v %v", c, err)
	}
	audit, err := st.Erasures(bg, "demo", store.ErasureCompleted, 0)
	if err != nil || len(audit) != 1 || audit[0].Agent != me.ID || audit[0].Visitor != c.Visitor || audit[0].CompletedAt.IsZero() {
		t.Fatalf("audit %+v %v", audit, err)
	}
	var views []ErasureView
	if code := a.do("GET", "/v1/erasures?status=completed", ann, nil, &views); code != 200 || len(views) != 1 || views[0].ID != audit[0].ID {
		t.Fatalf("GET erasures %d %+v", code, views)
	}
	if code := a.do("GET", "/v1/erasures", eve, nil, &views); code != 200 || len(views) != 0 {
		t.Fatalf("other tenant's audit %d %+v", code, views)
	}
	if code := a.do("GET", "/v1/erasures?status=nope", ann, nil, &r); code != 400 {
		t.Fatalf("bad status %d", code)
	}
	if code := a.do("POST", "/v1/conversations/"+conv+"/erase", ann, nil, &r); code != 409 || r.Code != CodeErased {
		t.Fatalf("erase twice: %d %+v", code, r)
	}
	// The shopper history is gone for the visitor.
	if code := a.do("GET", "/v1/conversations/"+conv, ann, nil, &cv); code != 200 || cv.Erasure == nil || cv.Erasure.Status != store.ErasureCompleted {
		t.Fatalf("view after erasure %d %+v", code, cv)
	}

	// A redelivery of the request after the erasure restores nothing: it
	// was written before the erasure, so central drops it (erased.go).
	e.publishRaw(chat.InboundSubject("demo"), mustJSON(t, req), "")
	e.consumerIdle()
	if m, _ := st.Message(bg, "demo", req.Message.ID); m.Text != store.ErasedText {
		t.Fatalf("redelivery restored %q", m.Text)
	}
}

// An agent erases a visitor who asked another way (no request message).
func TestEraseWithoutShopperRequest(t *testing.T) {
	e := newEnv(t)
	s := e.start(e.config())
	a := newApp(t, s)
	ann := a.login("demo", demoEmail, demoPassword)
	conv := queued(t, e, "v2")
	keep := queued(t, e, "v3")
	var done ErasureView
	if code := a.do("POST", "/v1/conversations/"+conv+"/erase", ann, nil, &done); code != 200 ||
		done.Status != store.ErasureCompleted || done.MessageID != "" || done.ConversationID != conv || done.Messages < 2 {
		t.Fatalf("erase %d %+v", code, done)
	}
	if n, _ := s.Store().QueueDepth(bg, "demo"); n != 1 {
		t.Fatalf("queue depth %d", n)
	}
	msgs, _ := s.Store().Messages(bg, "demo", keep, "", 0)
	for _, m := range msgs {
		if m.Text == store.ErasedText {
			t.Fatalf("another visitor's message erased: %+v", m)
		}
	}
}

func TestErasureAutomatic(t *testing.T) {
	e := newEnv(t)
	cfg := e.config()
	cfg.AutoErase = []string{"demo"}
	s := e.start(cfg)
	req := erasureEnvelope("v1", chat.NewID(), "Bitte meine Daten löschen", "de")
	e.publish(req)
	if r := e.reply(); r.Message.Text != erasureRequestedNotes["de"] {
		t.Fatalf("acknowledgement %+v", r)
	}
	if r := e.reply(); r.Message.Text != erasureDoneNotes["de"] {
		t.Fatalf("done note %+v", r)
	}
	ev := e.erasureEvent(ErasureEventCompleted)
	if ev.Visitor != "v1" || ev.Agent != agentAuto {
		t.Fatalf("completed event %+v", ev)
	}
	e.consumerIdle()
	c, err := s.Store().Conversation(bg, "demo", ev.ConversationID)
	if err != nil || c.Status != store.StatusClosed || c.Reason != "" || !strings.HasPrefix(c.Visitor, erasedVisitorPrefix) {
		t.Fatalf("conversation %+v %v", c, err)
	}
	if m, _ := s.Store().Message(bg, "demo", req.Message.ID); m.Text != store.ErasedText {
		t.Fatalf("text kept: %q", m.Text)
	}
	if list, _ := s.Store().Erasures(bg, "demo", store.ErasureCompleted, 0); len(list) != 1 || list[0].Agent != agentAuto {
		t.Fatalf("audit %+v", list)
	}
	// The visitor comes back: a new conversation, nothing linked.
	e.publish(envelope("demo", "v1", "", chat.NewID(), "hello again", "en"))
	if r := e.reply(); r.Message.ConversationID == c.ID {
		t.Fatal("returning visitor joined the erased conversation")
	}
}

// TestErasurePurgesTheVisitorFromTheStreams (issue 8 item 4): subjects
// carry a token of the visitor (chat.InboundVisitorSubject,
// chat.ChannelOutVisitorSubject), and erasure purges the erased visitor's
// envelopes from KEFU_INBOUND and replies from KEFU_CHANNEL_OUT by
// subject, leaving other visitors' messages in place.
func TestErasurePurgesTheVisitorFromTheStreams(t *testing.T) {
	e := newEnv(t)
	s := e.start(e.config())
	a := newApp(t, s)
	ann := a.login("demo", demoEmail, demoPassword)
	conv := queued(t, e, "v-erased")
	queued(t, e, "v-kept")
	for _, v := range []string{"v-erased", "v-kept"} {
		e.publishRaw(chat.ChannelOutVisitorSubject("eu", "demo", v), []byte(`{"reply":"for `+v+`"}`), "chout-"+v)
	}
	count := func(stream, subject string) uint64 {
		t.Helper()
		st, err := e.js.Stream(bg, stream)
		if err != nil {
			t.Fatal(err)
		}
		info, err := st.Info(bg, jetstream.WithSubjectFilter(subject))
		if err != nil {
			t.Fatal(err)
		}
		return info.State.Subjects[subject]
	}
	in := func(v string) string { return chat.InboundVisitorSubject("demo", v) }
	out := func(v string) string { return chat.ChannelOutVisitorSubject("eu", "demo", v) }
	if count(chat.StreamInbound, in("v-erased")) == 0 || count(chat.StreamChannelOut, out("v-erased")) != 1 {
		t.Fatal("the streams do not hold the visitor's messages before the erasure")
	}
	var done ErasureView
	if code := a.do("POST", "/v1/conversations/"+conv+"/erase", ann, nil, &done); code != 200 || done.Status != store.ErasureCompleted {
		t.Fatalf("erase %d %+v", code, done)
	}
	if n := count(chat.StreamInbound, in("v-erased")); n != 0 {
		t.Errorf("KEFU_INBOUND still holds %d messages of the erased visitor", n)
	}
	if n := count(chat.StreamChannelOut, out("v-erased")); n != 0 {
		t.Errorf("KEFU_CHANNEL_OUT still holds %d replies of the erased visitor", n)
	}
	if count(chat.StreamInbound, in("v-kept")) == 0 || count(chat.StreamChannelOut, out("v-kept")) != 1 {
		t.Error("another visitor's messages were purged")
	}
	if chat.VisitorToken("demo", "v-erased") == chat.VisitorToken("other", "v-erased") || len(chat.VisitorToken("demo", "x")) != 16 {
		t.Error("the visitor token does not depend on the tenant or is not 16 hex digits")
	}
}

// TestLateMessageOfAnErasedVisitorIsDropped (issue 8, SECURITY.md "Not
// yet" until now): a message the visitor wrote before the erasure that
// reaches central after it (a leaf edge buffered it while its link was
// down, and sourcing resumed before the edge purged it) is not stored;
// what the same visitor writes after the erasure, and another visitor's
// message, are. The bucket holds the visitor's token, not the id.
func TestLateMessageOfAnErasedVisitorIsDropped(t *testing.T) {
	e := newEnv(t)
	s := e.start(e.config())
	a := newApp(t, s)
	ann := a.login("demo", demoEmail, demoPassword)
	conv := queued(t, e, "v-erased")
	late := envelope("demo", "v-erased", "", chat.NewID(), "late-marker-7731 my phone is +44 7700 900123", "en")
	var done ErasureView
	if code := a.do("POST", "/v1/conversations/"+conv+"/erase", ann, nil, &done); code != 200 || done.Status != store.ErasureCompleted {
		t.Fatalf("erase %d %+v", code, done)
	}
	after := envelope("demo", "v-erased", "", chat.NewID(), "after-marker-1 hello again", "en")
	other := envelope("demo", "v-other", "", chat.NewID(), "other-marker-2 hello", "en")
	for _, en := range []chat.Envelope{late, after, other} {
		e.publish(en)
	}
	texts := func() string {
		var all []string
		list, err := s.Store().Conversations(bg, "demo", store.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range list {
			msgs, err := s.Store().Messages(bg, "demo", c.ID, "", 1000)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range msgs {
				all = append(all, m.Text)
			}
		}
		return strings.Join(all, "\n")
	}
	poll.Until(t, 15*time.Second, func() error {
		if got := texts(); !strings.Contains(got, "after-marker-1") || !strings.Contains(got, "other-marker-2") {
			return errors.New("the messages written after the erasure are not stored yet")
		}
		return nil
	})
	e.consumerIdle()
	if strings.Contains(texts(), "late-marker-7731") {
		t.Fatal("a message the erased visitor wrote before the erasure was stored after it")
	}
	kv, err := e.js.KeyValue(bg, chat.BucketErased)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := kv.Keys(bg)
	if err != nil || len(keys) != 1 || keys[0] != chat.ErasedKey("demo", "v-erased") || strings.Contains(keys[0], "v-erased") {
		t.Fatalf("bucket %s keys %v (%v), want the erased visitor's token only", chat.BucketErased, keys, err)
	}
	st, err := e.js.Stream(bg, "KV_"+chat.BucketErased)
	if err != nil {
		t.Fatal(err)
	}
	if age := st.CachedInfo().Config.MaxAge; age != chat.ErasedMaxAge {
		t.Fatalf("bucket %s keeps entries %v, want %v", chat.BucketErased, age, chat.ErasedMaxAge)
	}
}
