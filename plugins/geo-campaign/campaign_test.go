//go:build !wasip1

package main

import (
	"testing"
	"time"

	"github.com/kefu-io/kefu/plugins/pdk"
)

const cfg = `[
 {"id":"eu-winter","regions":["eu"],"countries":["DE","AT"],"start":"2025-01-01T00:00:00Z","end":"2025-02-01T00:00:00Z",
  "text":{"en":"Winter sale: -20% with WINTER20","de":"Winterschlussverkauf: -20 % mit WINTER20"}},
 {"id":"cn-1111","regions":["cn"],"text":{"zh":"双11全场满300减50"}},
 {"id":"shop9-only","tenants":["shop9"],"text":{"fr":"Soldes !"}}
]`

func env(region, country, tenant, conv, role, lang string) *pdk.Envelope {
	e := &pdk.Envelope{V: 1, Tenant: tenant, Region: region, Visitor: "v", Direction: "outbound",
		Message: pdk.Message{ID: "m", ConversationID: conv, Role: role, Text: "Your parcel ships today.", Lang: lang}}
	if country != "" {
		e.Labels = map[string]string{"country": country}
	}
	return e
}

func TestOutbound(t *testing.T) {
	jan := time.Date(2025, 1, 15, 0, 0, 0, 0, time.UTC)
	for _, withKV := range []bool{true, false} {
		pdk.ResetTest()
		clear(shown)
		if !withKV {
			pdk.Test.Grants = []string{}
		}
		get := func(k string) (string, bool) {
			if k == "campaigns" {
				return cfg, true
			}
			return "", false
		}
		tests := []struct {
			name string
			e    *pdk.Envelope
			now  time.Time
			want string // "" = pass
		}{
			{"eu de", env("eu", "DE", "shop1", "c1", "bot", "de"), jan, "Your parcel ships today.\n\nWinterschlussverkauf: -20 % mit WINTER20"},
			{"same conversation again", env("eu", "DE", "shop1", "c1", "agent", "de"), jan, ""},
			{"eu at, en fallback", env("eu", "AT", "shop1", "c2", "agent", "it"), jan, "Your parcel ships today.\n\nWinter sale: -20% with WINTER20"},
			{"eu fr not targeted", env("eu", "FR", "shop1", "c3", "bot", "fr"), jan, ""},
			{"after end", env("eu", "DE", "shop1", "c4", "bot", "de"), jan.AddDate(0, 1, 0), ""},
			{"cn, any text", env("cn", "", "shop1", "c5", "bot", "en"), jan, "Your parcel ships today.\n\n双11全场满300减50"},
			{"tenant only", env("us", "", "shop9", "c6", "bot", "fr-CA"), jan, "Your parcel ships today.\n\nSoldes !"},
			{"shopper message untouched", env("cn", "", "shop1", "c7", "shopper", "zh"), jan, ""},
		}
		for _, tc := range tests {
			r := outbound(tc.e, get, tc.now)
			if tc.want == "" {
				if r.Text != nil {
					t.Errorf("kv=%v %s: want pass, got %q", withKV, tc.name, *r.Text)
				}
				continue
			}
			if r.Verdict != pdk.VerdictModify || r.Text == nil || *r.Text != tc.want || r.Labels["campaign"] == "" {
				t.Errorf("kv=%v %s: got %+v", withKV, tc.name, r)
			}
		}
	}
}

func TestBadConfig(t *testing.T) {
	for _, bad := range []string{`{`, `[{"id":""}]`, `[{"id":"x","text":{"en":"a"},"start":"2025-02-01T00:00:00Z","end":"2025-01-01T00:00:00Z"}]`} {
		if _, err := parseCampaigns(bad); err == nil {
			t.Errorf("parseCampaigns(%s) accepted", bad)
		}
		pdk.ResetTest()
		r := outbound(env("eu", "", "s", "c", "bot", "en"), func(string) (string, bool) { return bad, true }, time.Now())
		if r.Text != nil || r.Labels["campaign_error"] != "config" || len(pdk.Test.Logs) == 0 {
			t.Errorf("bad config %s: %+v", bad, r)
		}
	}
}

// TestPromotionNotice: a proactive promotion notice carries the region's
// campaign text, and is withheld where no campaign applies.
func TestPromotionNotice(t *testing.T) {
	pdk.ResetTest()
	clear(shown)
	jan := time.Date(2025, 1, 15, 0, 0, 0, 0, time.UTC)
	get := func(k string) (string, bool) { return cfg, k == "campaigns" }
	promo := func(region, country string) *pdk.Envelope {
		e := env(region, country, "shop1", "p-"+region+country, "bot", "de")
		if e.Labels == nil {
			e.Labels = map[string]string{}
		}
		e.Labels["promotion"] = "1"
		return e
	}
	r := outbound(promo("eu", "DE"), get, jan)
	if r.Text == nil || *r.Text != "Winterschlussverkauf: -20 % mit WINTER20" {
		t.Fatalf("eu/DE: %+v", r)
	}
	if r := outbound(promo("eu", "FR"), get, jan); r.Verdict != pdk.VerdictDrop {
		t.Fatalf("eu/FR has no campaign: %+v, want drop", r)
	}
	// The campaign was shown by the notice: a later reply does not repeat it.
	if r := outbound(env("eu", "DE", "shop1", "p-euDE", "bot", "de"), get, jan); r.Text != nil {
		t.Fatalf("repeated: %q", *r.Text)
	}
}
