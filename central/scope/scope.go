// Package scope names what a caller of the REST API may do. An API key
// carries a list of scopes; an agent's session has every scope its role
// reaches (each scope names the least role that holds it). A /v1 route
// declares the scope it needs, and a caller without it gets 403
// {"code":"scope_missing"}.
//
// # Adding a scope (for every package of Kefu)
//
// Declare it where its routes live, in an init function:
//
//	var KnowledgeWrite = scope.Register("knowledge:write", "upload and edit knowledge documents", store.RoleAdmin)
//
// and guard the routes with it (central's need(scope) middleware). Names are
// "area:verb"; ":read" and ":write" are the usual verbs. Register panics on
// a malformed or duplicate name. The registry is safe for concurrent use.
package scope

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/kefu-io/kefu/central/store"
)

// Scope is one permission.
type Scope struct {
	Name string
	Doc  string
	// MinRole is the least agent role that holds the scope through a session.
	MinRole store.Role
}

// ErrUnknown is a scope nobody registered.
var ErrUnknown = errors.New("scope: unknown scope")

var (
	mu     sync.RWMutex
	scopes = map[string]Scope{}
	valid  = regexp.MustCompile(`^[a-z][a-z0-9_]*:[a-z][a-z0-9_]*$`)
)

// Register adds a scope and returns its name.
func Register(name, doc string, min store.Role) string {
	if !valid.MatchString(name) {
		panic(fmt.Sprintf("scope: name %q: want area:verb", name))
	}
	if !min.Valid() {
		panic(fmt.Sprintf("scope: %q: role %q", name, min))
	}
	mu.Lock()
	defer mu.Unlock()
	if _, dup := scopes[name]; dup {
		panic(fmt.Sprintf("scope: %q registered twice", name))
	}
	scopes[name] = Scope{Name: name, Doc: doc, MinRole: min}
	return name
}

// Lookup returns a registered scope.
func Lookup(name string) (Scope, bool) {
	mu.RLock()
	defer mu.RUnlock()
	s, ok := scopes[name]
	return s, ok
}

// All returns every scope sorted by name.
func All() []Scope {
	mu.RLock()
	out := make([]Scope, 0, len(scopes))
	for _, s := range scopes {
		out = append(out, s)
	}
	mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Parse splits a comma-separated list, checks every name and drops
// duplicates. An empty list is an error: a key that may do nothing is a mistake.
func Parse(list string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for _, n := range strings.Split(list, ",") {
		n = strings.TrimSpace(n)
		if n == "" {
			continue
		}
		if _, ok := Lookup(n); !ok {
			return nil, fmt.Errorf("%w %q (known: %s)", ErrUnknown, n, strings.Join(Names(), ", "))
		}
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("scope: no scopes given (known: %s)", strings.Join(Names(), ", "))
	}
	sort.Strings(out)
	return out, nil
}

// Names returns every scope name, sorted.
func Names() []string {
	all := All()
	out := make([]string, len(all))
	for i, s := range all {
		out[i] = s.Name
	}
	return out
}

// ForRole returns the scopes a session of role holds, sorted.
func ForRole(r store.Role) []string {
	var out []string
	for _, s := range All() {
		if r.AtLeast(s.MinRole) {
			out = append(out, s.Name)
		}
	}
	return out
}

// The scopes of central's own routes.
var (
	ConversationsRead  = Register("conversations:read", "list and read conversations, messages and erasure requests", store.RoleAgent)
	ConversationsWrite = Register("conversations:write", "claim, reply to, close and erase conversations", store.RoleAgent)
	ContactsRead       = Register("contacts:read", "read contacts (verified shoppers) and their history", store.RoleAgent)
	SettingsRead       = Register("settings:read", "read tenant settings", store.RoleAdmin)
	SettingsWrite      = Register("settings:write", "change tenant settings", store.RoleAdmin)
	SitesRead          = Register("sites:read", "list sites and their allowed origins", store.RoleAdmin)
	SitesWrite         = Register("sites:write", "add, change and remove sites", store.RoleAdmin)
	AgentsRead         = Register("agents:read", "list agents", store.RoleAdmin)
	AgentsWrite        = Register("agents:write", "add, change and disable agents", store.RoleOwner)
	APIKeysRead        = Register("apikeys:read", "list API keys (never the keys themselves)", store.RoleOwner)
	APIKeysWrite       = Register("apikeys:write", "create and revoke API keys", store.RoleOwner)
	WebhooksRead       = Register("webhooks:read", "list webhooks and their delivery logs", store.RoleOwner)
	WebhooksWrite      = Register("webhooks:write", "create, change and delete webhooks", store.RoleOwner)
	AuditRead          = Register("audit:read", "read the audit log", store.RoleOwner)
	IdentityManage     = Register("identity:manage", "read and rotate the identity secret of identify()", store.RoleOwner)
)
