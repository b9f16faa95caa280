package edge_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/edge"
	"github.com/kefu-io/kefu/internal/poll"
)

func putSite(t *testing.T, kv jetstream.KeyValue, sc chat.SiteConfig) {
	t.Helper()
	b, _ := json.Marshal(sc)
	if _, err := kv.Put(context.Background(), sc.Site, b); err != nil {
		t.Fatal(err)
	}
}

func originHeader(o string) http.Header {
	h := http.Header{}
	h.Set("Origin", o)
	return h
}

// TestSitesFromCentral: sites of central's bucket are served and changed
// live (origins enforced before the upgrade, greeting in /w/config); a
// deleted key stops the site; a new edge that cannot read the bucket
// serves the last configuration it saw.
func TestSitesFromCentral(t *testing.T) {
	cache := filepath.Join(t.TempDir(), "sites.json")
	h := newHarness(t, harnessOpts{config: func(c *edge.Config) { c.SiteCache = cache }})
	js, err := jetstream.New(h.nc)
	if err != nil {
		t.Fatal(err)
	}
	kv, err := js.CreateOrUpdateKeyValue(t.Context(), jetstream.KeyValueConfig{Bucket: chat.BucketSites})
	if err != nil {
		t.Fatal(err)
	}
	sc := chat.SiteConfig{V: 1, Site: "acme-shop", Tenant: "acme", Origins: []string{"https://shop.acme.example"},
		Settings: map[string]string{"widget.greeting": "Hi from Acme"}, IdentitySecret: "sekrit"}
	putSite(t, kv, sc)
	poll.Until(t, 5*time.Second, func() error {
		if code, body := h.do("GET", "/w/config?site=acme-shop", originHeader("https://shop.acme.example"), ""); code != 200 || !strings.Contains(body, "Hi from Acme") {
			return fmt.Errorf("%d %s", code, body)
		}
		return nil
	})
	if _, res, err := h.dialRaw("acme-shop", originHeader("https://evil.example")); err == nil || res == nil || res.StatusCode != 403 {
		t.Fatalf("foreign origin upgraded: %v %v", res, err)
	}
	c := h.dial("acme-shop")
	// The bucket's site replaces a configured one with the same key and
	// keeps its FAQ pack.
	putSite(t, kv, chat.SiteConfig{V: 1, Site: "demo", Tenant: "demo-tenant", Origins: []string{"https://demo.example"}})
	poll.Until(t, 5*time.Second, func() error {
		if code, _ := h.do("GET", "/w/config?site=demo", originHeader("https://demo.example"), ""); code != 200 {
			return fmt.Errorf("demo from the bucket: %d", code)
		}
		return nil
	})
	if code, body := h.do("GET", "/w/config?site=demo", nil, ""); code != 200 || !strings.Contains(body, "faq_packs") || !strings.Contains(body, `"en"`) {
		t.Fatalf("demo lost its FAQ pack: %d %s", code, body)
	}
	_ = c
	// A new origin applies live.
	sc.Origins = append(sc.Origins, "https://m.acme.example")
	putSite(t, kv, sc)
	poll.Until(t, 5*time.Second, func() error {
		if code, _ := h.do("GET", "/w/config?site=acme-shop", originHeader("https://m.acme.example"), ""); code != 200 {
			return fmt.Errorf("new origin: %d", code)
		}
		return nil
	})
	// Garbage in the bucket is refused, the site keeps its last config.
	if _, err := kv.Put(t.Context(), "acme-shop", []byte("{not json")); err != nil {
		t.Fatal(err)
	}
	// A later value applied means the refused one was seen (one watch, in order).
	putSite(t, kv, chat.SiteConfig{V: 1, Site: "marker", Tenant: "acme", Origins: []string{}})
	poll.Until(t, 5*time.Second, func() error {
		if code, _ := h.do("GET", "/w/config?site=marker", nil, ""); code != 200 {
			return fmt.Errorf("marker: %d", code)
		}
		return nil
	})
	if code, _ := h.do("GET", "/w/config?site=acme-shop", originHeader("https://m.acme.example"), ""); code != 200 {
		t.Fatalf("a refused value changed the site: %d", code)
	}
	putSite(t, kv, sc)

	// A second edge on a NATS system without the bucket (central
	// unreachable) serves the cached configuration.
	h2 := newHarness(t, harnessOpts{noCentral: true, config: func(c *edge.Config) { c.SiteCache = cache }})
	if code, body := h2.do("GET", "/w/config?site=acme-shop", originHeader("https://m.acme.example"), ""); code != 200 || !strings.Contains(body, "Hi from Acme") {
		t.Fatalf("edge started without central: %d %s", code, body)
	}

	// Deleting the key removes the site.
	if err := kv.Delete(t.Context(), "acme-shop"); err != nil {
		t.Fatal(err)
	}
	poll.Until(t, 5*time.Second, func() error {
		if code, _ := h.do("GET", "/w/config?site=acme-shop", nil, ""); code != 403 {
			return fmt.Errorf("deleted site: %d", code)
		}
		return nil
	})
}
