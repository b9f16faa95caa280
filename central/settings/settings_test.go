package settings_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kefu-io/kefu/central/settings"
)

func init() {
	settings.Register(settings.Key{Name: "test.flag", Doc: "a flag", Default: "false", Validate: settings.Bool, Public: true})
	settings.Register(settings.Key{Name: "test.count", Doc: "a count", Default: "3", Validate: settings.Int(1, 10)})
	settings.Register(settings.Key{Name: "test.wait", Doc: "a wait", Default: "1m", Validate: settings.Duration(time.Second, time.Hour)})
	settings.Register(settings.Key{Name: "test.mode", Doc: "a mode", Default: "a", Validate: settings.OneOf("a", "b")})
	settings.Register(settings.Key{Name: "test.langs", Doc: "languages", Default: "", Validate: settings.List(settings.LangTag)})
	settings.Register(settings.Key{Name: "test.text", Doc: "text", Default: "", Validate: settings.MaxLen(5)})
	settings.Register(settings.Key{Name: "test.url", Doc: "a URL", Default: "", Validate: func(v string) error {
		if v == "" {
			return nil
		}
		return settings.HTTPSURL(v)
	}})
	settings.Register(settings.Key{Name: "test.free", Doc: "anything"})
}

func TestCheck(t *testing.T) {
	tests := []struct {
		key, value string
		want       error
	}{
		{"test.flag", "true", nil},
		{"test.flag", "yes", settings.ErrInvalid},
		{"test.count", "10", nil},
		{"test.count", "11", settings.ErrInvalid},
		{"test.count", "x", settings.ErrInvalid},
		{"test.wait", "90s", nil},
		{"test.wait", "2h", settings.ErrInvalid},
		{"test.mode", "b", nil},
		{"test.mode", "c", settings.ErrInvalid},
		{"test.langs", "en, zh,pt-BR", nil},
		{"test.langs", "en,english", settings.ErrInvalid},
		{"test.text", "你好世界!", nil},
		{"test.text", "toolong", settings.ErrInvalid},
		{"test.text", "a\x00", settings.ErrInvalid},
		{"test.url", "https://crm.example/hook", nil},
		{"test.url", "http://localhost:9/x", nil},
		{"test.url", "http://crm.example/hook", settings.ErrInvalid},
		{"test.free", strings.Repeat("x", settings.MaxValueLen), nil},
		{"test.free", strings.Repeat("x", settings.MaxValueLen+1), settings.ErrInvalid},
		{"test.free", "\xff", settings.ErrInvalid},
		{"test.nope", "1", settings.ErrUnknown},
	}
	for _, tt := range tests {
		err := settings.Check(tt.key, tt.value)
		if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
			t.Errorf("Check(%s, %.20q) = %v, want %v", tt.key, tt.value, err, tt.want)
		}
		if err != nil && !strings.Contains(err.Error(), tt.key) {
			t.Errorf("error %q does not name the key", err)
		}
	}
}

func TestEffectiveAndPublic(t *testing.T) {
	stored := map[string]string{"test.count": "7", "gone.key": "x"}
	eff := settings.Effective(stored)
	if eff["test.count"] != "7" || eff["test.flag"] != "false" || eff["test.wait"] != "1m" {
		t.Fatalf("effective = %v", eff)
	}
	if _, ok := eff["gone.key"]; ok {
		t.Fatal("an unregistered stored key leaked into the effective settings")
	}
	pub := settings.Public(stored)
	if len(pub) != 1 || pub["test.flag"] != "false" {
		t.Fatalf("public = %v, want only test.flag", pub)
	}
	if v := settings.Value(nil, "test.mode"); v != "a" {
		t.Fatalf("Value default = %q", v)
	}
}

func TestRegisterPanics(t *testing.T) {
	tests := []struct {
		name string
		k    settings.Key
	}{
		{"duplicate", settings.Key{Name: "test.flag", Doc: "again"}},
		{"no dot", settings.Key{Name: "flag", Doc: "d"}},
		{"upper case", settings.Key{Name: "Test.Flag", Doc: "d"}},
		{"no doc", settings.Key{Name: "test.nodoc"}},
		{"bad default", settings.Key{Name: "test.baddefault", Doc: "d", Default: "maybe", Validate: settings.Bool}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatalf("Register(%+v) did not panic", tt.k)
				}
			}()
			settings.Register(tt.k)
		})
	}
}

func TestKeysSorted(t *testing.T) {
	keys := settings.Keys()
	for i := 1; i < len(keys); i++ {
		if keys[i-1].Name >= keys[i].Name {
			t.Fatalf("keys not sorted: %s before %s", keys[i-1].Name, keys[i].Name)
		}
	}
}
