package openapi_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/kefu-io/kefu/central/openapi"
)

const base = `{"openapi":"3.1.0","info":{"title":"t","version":"1"},"components":{"schemas":{
 "Thing":{"type":"object","required":["id"],"additionalProperties":false,"properties":{
   "id":{"type":"string","minLength":2},"n":{"type":"integer","minimum":0,"maximum":9},"at":{"type":"string","format":"date-time"},
   "kind":{"type":"string","enum":["a","b"]},"tags":{"type":"array","items":{"type":"string"}},"maybe":{"type":["number","null"]},
   "child":{"$ref":"#/components/schemas/Thing"}}}}},
 "paths":{"/v1/things/{id}":{"get":{"security":[{"bearer":["things:read"]}],"responses":{
   "200":{"description":"x","content":{"application/json":{"schema":{"$ref":"#/components/schemas/Thing"}}}},
   "204":{"description":"none"}}}},
  "/v1/things/next":{"get":{"security":[],"responses":{"200":{"description":"x"}}}}}}`

func assemble(t *testing.T, files map[string]string) (*openapi.Spec, error) {
	t.Helper()
	fs := fstest.MapFS{}
	for n, b := range files {
		fs[n] = &fstest.MapFile{Data: []byte(b)}
	}
	return openapi.Assemble(fs)
}

func TestEmbeddedDocumentLoads(t *testing.T) {
	s, err := openapi.Load()
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(s.JSON(), &doc); err != nil || doc["openapi"] != "3.1.0" {
		t.Fatalf("document: %v %v", doc["openapi"], err)
	}
	if len(s.Operations()) < 20 {
		t.Fatalf("%d operations", len(s.Operations()))
	}
}

func TestMerge(t *testing.T) {
	frag := `{"paths":{"/v1/other":{"post":{"security":[],"responses":{"200":{"description":"x"}}}},
	  "/v1/things/{id}":{"delete":{"security":[{"bearer":["things:write"]}],"responses":{"204":{"description":"x"}}}}},
	  "components":{"schemas":{"Other":{"type":"string"}}}, "tags":[{"name":"other"}]}`
	s, err := assemble(t, map[string]string{"base.json": base, "other.json": frag})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := s.Find("DELETE", "/v1/things/x1"); !ok {
		t.Fatal("a fragment's method on a path of another fragment is lost")
	}
	conflicts := map[string]string{
		"same operation": `{"paths":{"/v1/things/{id}":{"get":{"security":[],"responses":{}}}}}`,
		"same schema":    `{"components":{"schemas":{"Thing":{"type":"string"}}}}`,
		"header":         `{"openapi":"3.0.0"}`,
	}
	for name, f := range conflicts {
		if _, err := assemble(t, map[string]string{"base.json": base, "x.json": f}); !errors.Is(err, openapi.ErrConflict) {
			t.Errorf("%s: %v, want ErrConflict", name, err)
		}
	}
	if _, err := assemble(t, map[string]string{"base.json": base, "x.json": `{"components":{"schemas":{"Bad":{"type":"object","patternProperties":{}}}}}`}); err == nil ||
		!strings.Contains(err.Error(), "patternProperties") {
		t.Errorf("unsupported keyword: %v", err)
	}
	if _, err := assemble(t, map[string]string{"x.json": frag}); err == nil {
		t.Error("no base: no error")
	}
}

func TestFind(t *testing.T) {
	s, err := assemble(t, map[string]string{"base.json": base})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		method, path, want string
		scopes             int
	}{
		{"GET", "/v1/things/next", "/v1/things/next", 0},
		{"GET", "/v1/things/abc", "/v1/things/{id}", 1},
		{"HEAD", "/v1/things/abc", "/v1/things/{id}", 1},
		{"GET", "/v1/things/", "", 0},
		{"GET", "/v1/things/a/b", "", 0},
		{"POST", "/v1/things/abc", "", 0},
	}
	for _, tt := range tests {
		op, ok := s.Find(tt.method, tt.path)
		if ok != (tt.want != "") || op.Path != tt.want || len(op.Scopes) != tt.scopes {
			t.Errorf("Find(%s %s) = %+v %v, want %q", tt.method, tt.path, op, ok, tt.want)
		}
	}
	if op, _ := s.Find("GET", "/v1/things/next"); !op.Public {
		t.Error("security [] is not public")
	}
	if got := openapi.FiberPath("/v1/a/:id/b/:key?"); got != "/v1/a/{id}/b/{key}" {
		t.Errorf("FiberPath = %q", got)
	}
}

func TestCheckResponse(t *testing.T) {
	s, err := assemble(t, map[string]string{"base.json": base})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		status int
		body   string
		ok     bool
	}{
		{"minimal", 200, `{"id":"ab"}`, true},
		{"full", 200, `{"id":"ab","n":3,"at":"2026-01-02T03:04:05.123Z","kind":"a","tags":["x"],"maybe":null,"child":{"id":"cd","maybe":1.5}}`, true},
		{"missing required", 200, `{"n":1}`, false},
		{"extra property", 200, `{"id":"ab","zzz":1}`, false},
		{"wrong type", 200, `{"id":5}`, false},
		{"integer wanted", 200, `{"id":"ab","n":1.5}`, false},
		{"below minimum", 200, `{"id":"ab","n":-1}`, false},
		{"above maximum", 200, `{"id":"ab","n":10}`, false},
		{"too short", 200, `{"id":"a"}`, false},
		{"bad date", 200, `{"id":"ab","at":"yesterday"}`, false},
		{"not in enum", 200, `{"id":"ab","kind":"c"}`, false},
		{"bad item", 200, `{"id":"ab","tags":[1]}`, false},
		{"bad nested", 200, `{"id":"ab","child":{"id":1}}`, false},
		{"not JSON", 200, `{"id":`, false},
		{"undocumented status", 500, `{}`, false},
		{"no body status", 204, ``, true},
		{"body where none documented", 204, `{"id":"ab"}`, false},
	}
	for _, tt := range tests {
		err := s.CheckResponse("GET", "/v1/things/x", tt.status, "application/json", []byte(tt.body))
		if (err == nil) != tt.ok {
			t.Errorf("%s: %v, want ok=%v", tt.name, err, tt.ok)
		}
	}
	if err := s.CheckResponse("GET", "/v1/nothing", 200, "application/json", nil); !errors.Is(err, openapi.ErrUndocumented) {
		t.Errorf("undocumented path: %v", err)
	}
	if err := s.Validate("Thing", map[string]any{"id": "ab", "n": 2}); err != nil {
		t.Errorf("Validate Go value: %v", err)
	}
}
