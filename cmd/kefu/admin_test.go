package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// kefuAdmin runs `kefu admin --data dir args…` in process and decodes the
// one JSON object it must print.
func kefuAdmin(t *testing.T, dir, stdin string, args ...string) (map[string]any, int, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(t.Context(), append([]string{"admin", "--data", dir}, args...), strings.NewReader(stdin), &out, &errOut)
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 1 {
		t.Fatalf("kefu admin %v printed %d lines, want one JSON object:\n%s\nstderr %s", args, len(lines), out.String(), errOut.String())
	}
	var obj map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &obj); err != nil {
		t.Fatalf("kefu admin %v printed %q: %v", args, lines[0], err)
	}
	return obj, code, errOut.String()
}

func TestAdminCommands(t *testing.T) {
	dir := t.TempDir()
	ok := func(stdin string, args ...string) map[string]any {
		t.Helper()
		obj, code, stderr := kefuAdmin(t, dir, stdin, args...)
		if code != 0 {
			t.Fatalf("kefu admin %v = %d: %v %s", args, code, obj, stderr)
		}
		return obj
	}
	tn := ok("", "tenant", "create", "acme", "--name", "Acme Inc")
	if tn["tenant"] != "acme" || len(tn["identity_secret"].(string)) != 64 {
		t.Fatalf("tenant create = %v", tn)
	}
	site := ok("", "site", "add", "--tenant", "acme", "--site", "acme-shop", "--origin", "https://shop.acme.example", "--origin", "https://m.acme.example")
	if o := site["origins"].([]any); len(o) != 2 || o[0] != "https://shop.acme.example" {
		t.Fatalf("site add = %v", site)
	}
	owner := ok("", "agent", "add", "--tenant", "acme", "--email", "boss@acme.example", "--name", "Boss", "--role", "owner", "--lang", "en")
	if pw, _ := owner["password"].(string); len(pw) < 10 || owner["must_change_password"] != true {
		t.Fatalf("agent add without password = %v (want a one-time password)", owner)
	}
	agent := ok("a long password\n", "agent", "add", "--tenant", "acme", "--email", "a@acme.example", "--name", "A", "--role", "agent", "--password-stdin")
	if _, has := agent["password"]; has || agent["agent"].(map[string]any)["role"] != "agent" {
		t.Fatalf("agent add with password = %v (the password must not be printed)", agent)
	}
	key := ok("", "apikey", "create", "--tenant", "acme", "--scopes", "conversations:read,webhooks:write", "--name", "crm")
	if k, _ := key["key"].(string); !strings.HasPrefix(k, "kefu_") {
		t.Fatalf("apikey create = %v", key)
	}
	list := ok("", "apikey", "list", "--tenant", "acme")
	if b, _ := json.Marshal(list); strings.Contains(string(b), key["key"].(string)) {
		t.Fatal("apikey list shows the key")
	}
	set := ok("", "tenant", "set", "--tenant", "acme", "widget.greeting=Hello from Acme", "queue.sla=10m")
	if s := set["settings"].(map[string]any); s["widget.greeting"] != "Hello from Acme" || s["queue.sla"] != "10m" {
		t.Fatalf("tenant set = %v", set)
	}
	reset := ok("", "tenant", "set", "--tenant", "acme", "--reset", "widget.greeting")
	if s := reset["settings"].(map[string]any); s["widget.greeting"] != "" {
		t.Fatalf("reset = %v", reset)
	}
	got := ok("", "tenant", "get", "--tenant", "acme")
	if got["identity_secret"] != tn["identity_secret"] || len(got["sites"].([]any)) != 1 {
		t.Fatalf("tenant get = %v", got)
	}
	audit := ok("", "audit", "--tenant", "acme")
	if n := len(audit["audit"].([]any)); n != 7 {
		t.Fatalf("audit has %d entries, want 7: %v", n, audit)
	}

	bad := []struct {
		name   string
		stdin  string
		args   []string
		code   int
		reason string
	}{
		{"tenant exists", "", []string{"tenant", "create", "acme"}, 1, "already exists"},
		{"tenant two names", "", []string{"tenant", "create", "acme", "shop"}, 2, "one NAME"},
		{"tenant spaces", "", []string{"tenant", "create", "Acme Shop"}, 1, "a-z, 0-9"},
		{"tenant bad chars", "", []string{"tenant", "create", "acme!"}, 1, "a-z, 0-9"},
		{"no subcommand", "", []string{"tenant"}, 2, "needs a subcommand"},
		{"unknown command", "", []string{"tenant", "explode"}, 2, "unknown command"},
		{"site without origin", "", []string{"site", "add", "--tenant", "acme", "--site", "s2"}, 2, "--origin"},
		{"site bad origin", "", []string{"site", "add", "--tenant", "acme", "--site", "s2", "--origin", "http://shop.example"}, 1, "https"},
		{"site key taken", "", []string{"site", "add", "--tenant", "acme", "--site", "acme-shop", "--origin", "https://x.example"}, 1, "taken"},
		{"site unknown tenant", "", []string{"site", "add", "--tenant", "ghost", "--site", "g", "--origin", "https://x.example"}, 1, "no tenant"},
		{"agent bad role", "", []string{"agent", "add", "--tenant", "acme", "--email", "x@acme.example", "--name", "X", "--role", "king"}, 1, "owner, admin or agent"},
		{"agent missing name", "", []string{"agent", "add", "--tenant", "acme", "--email", "x@acme.example", "--role", "agent"}, 2, "--name is required"},
		{"agent short password", "short\n", []string{"agent", "add", "--tenant", "acme", "--email", "x@acme.example", "--name", "X", "--role", "agent", "--password-stdin"}, 1, "at least 10"},
		{"agent empty stdin", "", []string{"agent", "add", "--tenant", "acme", "--email", "x@acme.example", "--name", "X", "--role", "agent", "--password-stdin"}, 1, "stdin is empty"},
		{"agent twice", "", []string{"agent", "add", "--tenant", "acme", "--email", "BOSS@acme.example", "--name", "B", "--role", "agent"}, 1, "already has"},
		{"apikey unknown scope", "", []string{"apikey", "create", "--tenant", "acme", "--scopes", "everything"}, 1, "unknown scope"},
		{"apikey no scopes", "", []string{"apikey", "create", "--tenant", "acme"}, 2, "--scopes is required"},
		{"set unknown key", "", []string{"tenant", "set", "--tenant", "acme", "widget.colour=red"}, 1, "unknown key"},
		{"set bad value", "", []string{"tenant", "set", "--tenant", "acme", "queue.sla=forever"}, 1, "queue.sla"},
		{"set not an assignment", "", []string{"tenant", "set", "--tenant", "acme", "widget.greeting"}, 1, "KEY=VALUE"},
		{"set nothing", "", []string{"tenant", "set", "--tenant", "acme"}, 2, "KEY=VALUE"},
		{"unknown flag", "", []string{"site", "list", "--colour"}, 2, "flag provided but not defined"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			obj, code, stderr := kefuAdmin(t, dir, tt.stdin, tt.args...)
			msg, _ := obj["error"].(string)
			if code != tt.code || !strings.Contains(msg, tt.reason) || !strings.Contains(stderr, tt.reason) {
				t.Fatalf("kefu admin %v = %d %v (stderr %q); want exit %d with %q", tt.args, code, obj, stderr, tt.code, tt.reason)
			}
		})
	}
	// Nothing of the refused commands was stored.
	if n := len(ok("", "audit", "--tenant", "acme")["audit"].([]any)); n != 7 {
		t.Fatalf("audit has %d entries after refused commands, want 7", n)
	}
	if n := len(ok("", "agent", "list", "--tenant", "acme")["agents"].([]any)); n != 2 {
		t.Fatalf("%d agents after refused commands, want 2", n)
	}
}

func TestAdminMissingDataFolder(t *testing.T) {
	obj, code, stderr := kefuAdmin(t, t.TempDir()+"/nope", "", "tenant", "list")
	if code == 0 || !strings.Contains(obj["error"].(string), "data folder") || !strings.Contains(stderr, "--data") {
		t.Fatalf("= %d %v %q", code, obj, stderr)
	}
}
