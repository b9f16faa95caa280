package store_test

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/kefu-io/kefu/central/store"
	"github.com/kefu-io/kefu/chat"
)

func TestAttachmentContract(t *testing.T) {
	for name, open := range openers() {
		t.Run(name, func(t *testing.T) { testAttachments(t, open(t)) })
	}
}

func testAttachments(t *testing.T, s store.Store) {
	now := time.UnixMilli(1_700_000_000_000)
	conv := mustInbound(t, s, inbound("t1", "v1", msg("m1", "", "📷 Photo")))
	other := mustInbound(t, s, inbound("t1", "v2", msg("m2", "", "📷 Photo")))
	data := []byte{0xFF, 0xD8, 0xFF, 0xDB, 0x00, 0x01, 0x02, 0xFF, 0xD9} // binary, with NUL bytes
	a := chat.Attachment{ID: "p1", Type: "image/jpeg", Size: len(data), Width: 3, Height: 2, SHA256: "abc", Data: data}
	if err := s.PutAttachments(ctx, "t1", conv.ID, "m1", []chat.Attachment{a}, now); err != nil {
		t.Fatal(err)
	}
	// A redelivery stores nothing twice and changes nothing.
	changed := a
	changed.Data = []byte{1}
	changed.Size = 1
	if err := s.PutAttachments(ctx, "t1", conv.ID, "m1", []chat.Attachment{changed}, now); err != nil {
		t.Fatal(err)
	}
	b := chat.Attachment{ID: "p2", Type: "image/png", Size: 2, Data: []byte{0, 1}}
	if err := s.PutAttachments(ctx, "t1", other.ID, "m2", []chat.Attachment{b}, now); err != nil {
		t.Fatal(err)
	}
	got, gotConv, err := s.Attachment(ctx, "t1", "p1")
	if err != nil || gotConv != conv.ID || !bytes.Equal(got.Data, data) || got.Type != "image/jpeg" || got.Width != 3 || got.Height != 2 || got.SHA256 != "abc" {
		t.Fatalf("attachment = %+v in %q, %v", got, gotConv, err)
	}
	if _, _, err := s.Attachment(ctx, "t2", "p1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("another tenant reads the photo: %v", err)
	}
	list, err := s.ConversationAttachments(ctx, "t1", conv.ID)
	if err != nil || len(list) != 1 || len(list["m1"]) != 1 || list["m1"][0].ID != "p1" || list["m1"][0].Data != nil || list["m1"][0].Size != len(data) {
		t.Fatalf("conversation attachments = %+v, %v", list, err)
	}
	for _, bad := range []chat.Attachment{{ID: "p3", Type: "image/png", Size: 3, Data: []byte{1}}, {ID: "a b", Type: "image/png", Size: 1, Data: []byte{1}}, {ID: "p4", Size: 1, Data: []byte{1}}} {
		if err := s.PutAttachments(ctx, "t1", conv.ID, "m1", []chat.Attachment{bad}, now); !errors.Is(err, store.ErrInvalid) {
			t.Fatalf("bad attachment %+v: %v", bad, err)
		}
	}
	// Erasure of v1 deletes v1's photo, not v2's.
	req, _, err := s.RequestErasure(ctx, store.ErasureRequest{ID: "g1", Tenant: "t1", Visitor: "v1", ConversationID: conv.ID, MessageID: "m1"})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, err := s.Erase(ctx, "t1", req.ID, "a1", "erased-x", now); err != nil || !ok {
		t.Fatalf("erase: %v %v", ok, err)
	}
	if _, _, err := s.Attachment(ctx, "t1", "p1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the erased visitor's photo is still there: %v", err)
	}
	if _, _, err := s.Attachment(ctx, "t1", "p2"); err != nil {
		t.Fatalf("another visitor's photo went too: %v", err)
	}
}
