package translate_test

import (
	"context"
	"errors"
	"testing"

	"github.com/kefu-io/kefu/central/translate"
	"github.com/kefu-io/kefu/central/translate/translatetest"
)

func TestProviders(t *testing.T) {
	ctx := context.Background()
	servers := map[string]func(key string) *translatetest.Server{
		translate.LibreTranslate: translatetest.NewLibreTranslate,
		translate.DeepL:          translatetest.NewDeepL,
	}
	for name, start := range servers {
		t.Run(name, func(t *testing.T) {
			srv := start("k1")
			defer srv.Close()
			srv.Add("Wo ist meine Bestellung?", "de", "en", "Where is my order?")
			tr, err := translate.New(translate.Config{Provider: name, URL: srv.URL + "/", Key: "k1"})
			if err != nil {
				t.Fatal(err)
			}
			tests := []struct {
				text, source, target, want, wantSource string
			}{
				{"Wo ist meine Bestellung?", "de", "en", "Where is my order?", "de"},
				{"Wo ist meine Bestellung?", "", "en", "Where is my order?", "de"},
				{"unknown text", "fr", "de", "[de] unknown text", "fr"},
			}
			for _, tt := range tests {
				got, err := tr.Translate(ctx, tt.text, tt.source, tt.target)
				if err != nil || got.Text != tt.want || got.Source != tt.wantSource {
					t.Errorf("Translate(%q, %q, %q) = %+v, %v; want %q from %q", tt.text, tt.source, tt.target, got, err, tt.want, tt.wantSource)
				}
			}
			bad, _ := translate.New(translate.Config{Provider: name, URL: srv.URL, Key: "wrong"})
			if _, err := bad.Translate(ctx, "x", "de", "en"); !errors.Is(err, translate.ErrProvider) {
				t.Errorf("wrong key: %v", err)
			}
			srv.Fail(true)
			if _, err := tr.Translate(ctx, "x", "de", "en"); !errors.Is(err, translate.ErrProvider) {
				t.Errorf("failing provider: %v", err)
			}
			srv.Close()
			if _, err := tr.Translate(ctx, "x", "de", "en"); err == nil {
				t.Error("closed server answered")
			}
		})
	}
	for _, cfg := range []translate.Config{{Provider: "google", URL: "http://x"}, {Provider: translate.DeepL}} {
		if _, err := translate.New(cfg); !errors.Is(err, translate.ErrConfig) {
			t.Errorf("New(%+v): %v", cfg, err)
		}
	}
}
