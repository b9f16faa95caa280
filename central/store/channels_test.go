package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/kefu-io/kefu/central/store"
)

func testChannels(t *testing.T, s store.Store) {
	ctx := context.Background()
	if _, err := s.Channel(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing channel: %v, want ErrNotFound", err)
	}
	if err := s.PutChannel(ctx, store.Channel{ID: "c1", Tenant: "t1", Kind: "wechat"}); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("no config: %v, want ErrInvalid", err)
	}
	for _, c := range []store.Channel{
		{ID: "c1", Tenant: "t1", Kind: "wechat", Config: []byte(`{"token":"a"}`)},
		{ID: "c2", Tenant: "t1", Kind: "webhook", Config: []byte(`{"secret":"s"}`)},
		{ID: "c3", Tenant: "t2", Kind: "telegram", Config: []byte(`{}`)},
	} {
		if err := s.PutChannel(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.PutChannel(ctx, store.Channel{ID: "c1", Tenant: "t1", Kind: "wechat", Config: []byte(`{"token":"b"}`)}); err != nil {
		t.Fatal(err)
	}
	if err := s.PutChannel(ctx, store.Channel{ID: "c1", Tenant: "t2", Kind: "wechat", Config: []byte(`{}`)}); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("another tenant's id: %v, want ErrInvalid", err)
	}
	c, err := s.Channel(ctx, "c1")
	if err != nil || c.Tenant != "t1" || c.Kind != "wechat" || string(c.Config) != `{"token":"b"}` || c.CreatedAt.IsZero() {
		t.Fatalf("channel c1 = %+v, %v", c, err)
	}
	if err := s.PutChannel(ctx, store.Channel{ID: "m1", Tenant: "t2", Kind: "email", Config: []byte(`{"address":"Support@Shop.example"}`)}); err != nil {
		t.Fatal(err)
	}
	if c, err := s.ChannelByAddress(ctx, "email", "support@shop.example"); err != nil || c.ID != "m1" {
		t.Fatalf("by address: %+v %v", c, err)
	}
	if _, err := s.ChannelByAddress(ctx, "email", "other@shop.example"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown address: %v", err)
	}
	list, err := s.Channels(ctx, "t1")
	if err != nil || len(list) != 2 || list[0].ID != "c1" || list[1].ID != "c2" {
		t.Fatalf("channels of t1 = %+v, %v", list, err)
	}
}
