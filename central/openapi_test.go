package central

import (
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/kefu-io/kefu/central/openapi"
	"github.com/kefu-io/kefu/central/scope"
)

// checkAgainstSpec validates one response a test received against the
// OpenAPI document (every apiClient.do call runs it): a documented
// operation must document the status, and a JSON body must fit its schema.
// Undocumented routes are TestOpenAPICoversRoutes's to report.
func checkAgainstSpec(t testing.TB, method, path string, status int, contentType string, body []byte) {
	t.Helper()
	path, _, _ = strings.Cut(path, "?")
	if !strings.HasPrefix(path, "/v1/") {
		return
	}
	spec, err := openapi.Load()
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := spec.Find(method, path); !ok {
		return
	}
	if err := spec.CheckResponse(method, path, status, contentType, body); err != nil {
		t.Errorf("response does not match the OpenAPI document: %v\nbody: %.400s", err, body)
	}
}

// TestOpenAPICoversRoutes fails when a /v1 route has no entry in the
// OpenAPI document, or an entry has no route; and when an entry names a
// scope nobody registered.
func TestOpenAPICoversRoutes(t *testing.T) {
	e := newEnv(t)
	s := e.start(e.config())
	app := fiber.New()
	s.Register(app)
	routes := map[string]bool{}
	for _, r := range app.GetRoutes(true) {
		if !strings.HasPrefix(r.Path, "/v1/") || r.Method == http.MethodHead || r.Method == "USE" || r.Method == http.MethodOptions {
			continue
		}
		routes[r.Method+" "+openapi.FiberPath(r.Path)] = true
	}
	documented := map[string]bool{}
	for _, op := range s.Spec().Operations() {
		documented[op.Method+" "+op.Path] = true
		for _, sc := range op.Scopes {
			if _, ok := scope.Lookup(sc); !ok {
				t.Errorf("%s %s needs scope %q, which no package registered (central/scope)", op.Method, op.Path, sc)
			}
		}
		if !op.Secured {
			t.Errorf("%s %s has no security entry (want [] for public, or [{\"bearer\": [scopes]}])", op.Method, op.Path)
		}
	}
	var missing, extra []string
	pending := openapi.Undocumented()
	for r := range routes {
		if !documented[r] && !pending[r] {
			missing = append(missing, r)
		}
	}
	for r := range pending {
		if documented[r] || !routes[r] {
			t.Errorf("central/openapi/undocumented.txt lists %s, which is documented now or no longer a route: remove the line", r)
		}
	}
	for d := range documented {
		if !routes[d] {
			extra = append(extra, d)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	for _, r := range missing {
		t.Errorf("route %s has no entry in the OpenAPI document: add it to a fragment in central/openapi/fragments/", r)
	}
	for _, d := range extra {
		t.Errorf("the OpenAPI document has %s, but no such route is registered", d)
	}
	if len(routes) < 20 {
		t.Fatalf("only %d /v1 routes found: the walk is broken", len(routes))
	}
}

// TestOpenAPIServed: GET /v1/openapi.json is the assembled 3.1 document,
// public.
func TestOpenAPIServed(t *testing.T) {
	e := newEnv(t)
	a := newApp(t, e.start(e.config()))
	var doc struct {
		OpenAPI string                    `json:"openapi"`
		Paths   map[string]map[string]any `json:"paths"`
	}
	if code := a.do("GET", "/v1/openapi.json", "", nil, &doc); code != 200 {
		t.Fatalf("GET /v1/openapi.json = %d", code)
	}
	if doc.OpenAPI != "3.1.0" || doc.Paths["/v1/admin/sites"]["post"] == nil || doc.Paths["/v1/conversations/{id}"]["get"] == nil {
		t.Fatalf("document: openapi %q, %d paths", doc.OpenAPI, len(doc.Paths))
	}
	keys := make([]string, 0, len(doc.Paths))
	for k := range doc.Paths {
		keys = append(keys, k)
	}
	if !slices.Contains(keys, "/v1/login") {
		t.Fatalf("paths %v lack /v1/login", keys)
	}
}
