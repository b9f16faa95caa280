// Package settings is the registry of tenant settings: the keys a merchant
// may set with `kefu admin tenant set --tenant T KEY=VALUE…`, the console's
// admin pages or PUT /v1/admin/settings. Each key has a doc line, a default
// and a validator; a key nobody registered is refused, so a typo never
// lands in the store.
//
// # Adding a key (for every package of Kefu)
//
// Register keys from the package that reads them, in an init function, with
// a dotted name whose first part is that package's area:
//
//	func init() {
//		settings.Register(settings.Key{
//			Name:     "translate.target",
//			Doc:      "language agents read shopper messages in",
//			Default:  "en",
//			Validate: settings.OneOf("en", "zh", "de", "fr"),
//		})
//	}
//
// The package must be linked into cmd/kefu (central imports it) so that the
// command line knows the key. Read a tenant's value with
// store.AdminStore.TenantSettings and [Value] (which falls back to the
// default). Values are strings; the helpers here (Bool, Int, Duration,
// OneOf, MaxLen, List) validate the common shapes.
//
// Register panics on a malformed or duplicate name: both are programming
// errors found at start-up. The registry is safe for concurrent use.
package settings

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Sentinel errors of Check (wrapped with the key's name).
var (
	// ErrUnknown is a key nobody registered.
	ErrUnknown = errors.New("settings: unknown key")
	// ErrInvalid is a value the key's validator refused.
	ErrInvalid = errors.New("settings: invalid value")
)

// Key describes one tenant setting.
type Key struct {
	// Name is the dotted key, [a-z0-9_]+ parts joined by "." ("widget.greeting").
	Name string
	// Doc says what the setting does, in one line (shown by `kefu admin
	// settings` and the console).
	Doc string
	// Default is the value of a tenant that never set the key. It must pass
	// Validate.
	Default string
	// Validate checks a value; nil accepts any string up to MaxValueLen.
	// The error says what is expected ("want true or false").
	Validate func(string) error
	// Public says the value may reach shoppers' browsers (the edge's site
	// configuration and /w/config); secrets and internal limits must not set it.
	Public bool
}

// MaxValueLen bounds every value, validated or not.
const MaxValueLen = 4096

var (
	mu   sync.RWMutex
	keys = map[string]Key{}
	name = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$`)
)

// Register adds k to the registry. It panics when the name is malformed or
// taken, or when the default does not validate.
func Register(k Key) {
	if !name.MatchString(k.Name) {
		panic(fmt.Sprintf("settings: key name %q: want dotted lowercase parts like \"area.name\"", k.Name))
	}
	if k.Doc == "" {
		panic(fmt.Sprintf("settings: key %q has no doc", k.Name))
	}
	if err := check(k, k.Default); err != nil {
		panic(fmt.Sprintf("settings: key %q: default %q: %v", k.Name, k.Default, err))
	}
	mu.Lock()
	defer mu.Unlock()
	if _, dup := keys[k.Name]; dup {
		panic(fmt.Sprintf("settings: key %q registered twice", k.Name))
	}
	keys[k.Name] = k
}

// Lookup returns the registered key of that name.
func Lookup(name string) (Key, bool) {
	mu.RLock()
	defer mu.RUnlock()
	k, ok := keys[name]
	return k, ok
}

// Keys returns every registered key, sorted by name.
func Keys() []Key {
	mu.RLock()
	out := make([]Key, 0, len(keys))
	for _, k := range keys {
		out = append(out, k)
	}
	mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Check validates value for the key name: ErrUnknown for an unregistered
// key, ErrInvalid (with the validator's reason) for a refused value.
func Check(name, value string) error {
	k, ok := Lookup(name)
	if !ok {
		return fmt.Errorf("%w %q (see `kefu admin settings` for the known keys)", ErrUnknown, name)
	}
	if err := check(k, value); err != nil {
		return fmt.Errorf("%w for %s: %v", ErrInvalid, name, err)
	}
	return nil
}

func check(k Key, value string) error {
	if len(value) > MaxValueLen {
		return fmt.Errorf("longer than %d bytes", MaxValueLen)
	}
	if !utf8.ValidString(value) {
		return errors.New("not valid UTF-8")
	}
	if k.Validate != nil {
		return k.Validate(value)
	}
	return nil
}

// Value returns the value of name in set, or the key's default when set
// lacks it ("" for an unknown key).
func Value(set map[string]string, name string) string {
	if v, ok := set[name]; ok {
		return v
	}
	k, _ := Lookup(name)
	return k.Default
}

// Effective returns every registered key's value for a tenant whose stored
// settings are set: the stored value or the default. Stored keys that are
// no longer registered are left out.
func Effective(set map[string]string) map[string]string {
	out := map[string]string{}
	for _, k := range Keys() {
		out[k.Name] = Value(set, k.Name)
	}
	return out
}

// Public returns the effective values of the keys marked Public.
func Public(set map[string]string) map[string]string {
	out := map[string]string{}
	for _, k := range Keys() {
		if k.Public {
			out[k.Name] = Value(set, k.Name)
		}
	}
	return out
}

// ---- validators ----

// Bool accepts "true" and "false".
func Bool(v string) error {
	if v != "true" && v != "false" {
		return errors.New("want true or false")
	}
	return nil
}

// Int accepts a decimal integer in [min, max].
func Int(min, max int64) func(string) error {
	return func(v string) error {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < min || n > max {
			return fmt.Errorf("want an integer from %d to %d", min, max)
		}
		return nil
	}
}

// Duration accepts a Go duration ("90s", "5m") in [min, max].
func Duration(min, max time.Duration) func(string) error {
	return func(v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d < min || d > max {
			return fmt.Errorf("want a duration like 90s or 5m, from %s to %s", min, max)
		}
		return nil
	}
}

// OneOf accepts one of the given values.
func OneOf(values ...string) func(string) error {
	return func(v string) error {
		if !slices.Contains(values, v) {
			return fmt.Errorf("want one of %s", strings.Join(values, ", "))
		}
		return nil
	}
}

// MaxLen accepts text of at most n characters without control characters
// other than newlines.
func MaxLen(n int) func(string) error {
	return func(v string) error {
		if utf8.RuneCountInString(v) > n {
			return fmt.Errorf("want at most %d characters", n)
		}
		for _, r := range v {
			if r < 0x20 && r != '\n' || r == 0x7f {
				return errors.New("control characters are not allowed")
			}
		}
		return nil
	}
}

// List accepts a comma-separated list (empty allowed) whose every item
// passes item.
func List(item func(string) error) func(string) error {
	return func(v string) error {
		if v == "" {
			return nil
		}
		for _, it := range strings.Split(v, ",") {
			if err := item(strings.TrimSpace(it)); err != nil {
				return fmt.Errorf("item %q: %w", it, err)
			}
		}
		return nil
	}
}

// LangTag accepts a short language tag ("en", "zh", "pt-BR").
func LangTag(v string) error {
	if !langTag.MatchString(v) {
		return errors.New("want a language tag like en, zh or pt-BR")
	}
	return nil
}

var langTag = regexp.MustCompile(`^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$`)

// HTTPSURL accepts an absolute https URL (http only for loopback hosts, for tests and local setups).
func HTTPSURL(v string) error {
	u, err := url.Parse(v)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return errors.New("want an absolute https URL")
	}
	if u.Scheme == "http" && !isLoopback(u.Hostname()) {
		return errors.New("want https (http only for localhost)")
	}
	return nil
}

func isLoopback(host string) bool {
	return host == "localhost" || host == "127.0.0.1" || host == "::1" || strings.HasSuffix(host, ".localhost")
}
