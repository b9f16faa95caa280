// Package openapi assembles central's OpenAPI 3.1 document (served at
// GET /v1/openapi.json) from per-area fragment files, finds the operation a
// request is for, and validates JSON against the document's schemas.
//
// # Adding your routes (for every package of Kefu)
//
// Each area of the REST API has its own fragment file in
// central/openapi/fragments/ (embedded; base.json holds the header and the
// shared schemas). To document new routes, add a file named for your area
// (fragments/knowledge.json, fragments/queue.json…) holding an object with
// "paths" and, if needed, "components": {"schemas": {…}}:
//
//	{
//	  "paths": {
//	    "/v1/knowledge/documents/{id}": {
//	      "get": {
//	        "operationId": "getDocument",
//	        "summary": "One knowledge document",
//	        "tags": ["knowledge"],
//	        "security": [{"bearer": ["knowledge:read"]}],
//	        "parameters": [{"$ref": "#/components/parameters/id"}],
//	        "responses": {
//	          "200": {"description": "the document", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Document"}}}},
//	          "404": {"$ref": "#/components/responses/NotFound"}
//	        }
//	      }
//	    }
//	  },
//	  "components": {"schemas": {"Document": {"type": "object", "required": ["id"], "properties": {"id": {"type": "string"}}}}}
//	}
//
// Paths use {name} where Fiber uses :name. The "security" entry is not
// decoration: central's authentication reads it. Its scopes are what an API
// key needs for the operation (package central/scope registers them; a
// session's role must reach each scope's least role); "security": [] marks a
// public route; an operation with no security entry is closed to API keys.
// Two fragments may not define the same path and method, nor different
// schemas under one name (Load fails, and so does the package's test).
//
// central's TestOpenAPICoversRoutes fails when a /v1 route has no entry or
// an entry has no route, and central's test client validates every
// response a test receives against the schema of its status.
//
// The validator supports the JSON Schema subset the fragments use: type
// (one or a list, "null" included), properties, required,
// additionalProperties, items, enum, const, $ref to #/components/schemas,
// oneOf/anyOf/allOf, minimum/maximum, minLength/maxLength, format
// date-time. A keyword outside it makes Load fail rather than pass silently.
package openapi

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

//go:embed fragments/*.json
var fragments embed.FS

//go:embed undocumented.txt
var undocumented string

// Undocumented returns the routes ("METHOD /path/{param}") of
// undocumented.txt: registered before this document existed and still
// waiting for their entries. The list only shrinks (central's
// TestOpenAPICoversRoutes enforces it); these routes are closed to API keys.
func Undocumented() map[string]bool {
	out := map[string]bool{}
	for _, l := range strings.Split(undocumented, "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			out[l] = true
		}
	}
	return out
}

// Sentinel errors.
var (
	// ErrConflict is two fragments defining the same thing differently.
	ErrConflict = errors.New("openapi: conflicting fragments")
	// ErrInvalid is a value that does not validate against its schema.
	ErrInvalid = errors.New("openapi: does not validate")
	// ErrUndocumented is a request or status the document lacks.
	ErrUndocumented = errors.New("openapi: undocumented")
)

// Spec is the assembled document. It is immutable and safe for concurrent use.
type Spec struct {
	raw     []byte
	doc     map[string]any
	schemas map[string]any
	ops     []op
}

// Operation is one documented method on one path.
type Operation struct {
	Method string
	// Path is the documented path template ("/v1/conversations/{id}").
	Path string
	ID   string
	// Public is true for "security": [].
	Public bool
	// Secured is false when the operation has no security entry at all.
	Secured bool
	// Scopes are what an API key needs (all of them).
	Scopes []string
	def    map[string]any
}

type op struct {
	Operation
	segs []string
}

var (
	loadOnce sync.Once
	loaded   *Spec
	loadErr  error
)

// Load returns the document assembled from the embedded fragments.
func Load() (*Spec, error) {
	loadOnce.Do(func() {
		sub, err := fs.Sub(fragments, "fragments")
		if err != nil {
			loadErr = err
			return
		}
		loaded, loadErr = Assemble(sub)
	})
	return loaded, loadErr
}

// Assemble merges every *.json file of fsys (base.json first, then by name).
func Assemble(fsys fs.FS) (*Spec, error) {
	names, err := fs.Glob(fsys, "*.json")
	if err != nil {
		return nil, fmt.Errorf("openapi: %w", err)
	}
	sort.Slice(names, func(i, j int) bool {
		if (names[i] == "base.json") != (names[j] == "base.json") {
			return names[i] == "base.json"
		}
		return names[i] < names[j]
	})
	doc := map[string]any{}
	for _, n := range names {
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			return nil, fmt.Errorf("openapi: %s: %w", n, err)
		}
		var frag map[string]any
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		if err := dec.Decode(&frag); err != nil {
			return nil, fmt.Errorf("openapi: %s: %w", n, err)
		}
		if err := merge(doc, frag, n, "", 0); err != nil {
			return nil, err
		}
	}
	if doc["openapi"] == nil {
		return nil, errors.New("openapi: no base.json with the document header")
	}
	raw, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("openapi: %w", err)
	}
	s := &Spec{raw: raw, doc: doc}
	comps, _ := doc["components"].(map[string]any)
	s.schemas, _ = comps["schemas"].(map[string]any)
	if err := s.index(); err != nil {
		return nil, err
	}
	return s, nil
}

// merge adds src into dst. The root, "paths", each path item,
// "components" and each kind of component merge key by key; an operation
// (a path's method) and a named component are defined once (or identically).
// Top-level "tags" lists are concatenated, by name.
func merge(dst, src map[string]any, file, at string, level int) error {
	for k, v := range src {
		p := at + "/" + k
		old, ok := dst[k]
		if !ok {
			dst[k] = v
			continue
		}
		if level == 0 && k == "tags" {
			ol, _ := old.([]any)
			nl, _ := v.([]any)
			seen := map[string]bool{}
			for _, t := range ol {
				tm, _ := t.(map[string]any)
				seen[fmt.Sprint(tm["name"])] = true
			}
			for _, t := range nl {
				tm, _ := t.(map[string]any)
				if !seen[fmt.Sprint(tm["name"])] {
					ol = append(ol, t)
				}
			}
			dst[k] = ol
			continue
		}
		om, ok1 := old.(map[string]any)
		nm, ok2 := v.(map[string]any)
		mergeable := level == 0 || level == 1 && (strings.HasPrefix(at, "/paths") || strings.HasPrefix(at, "/components"))
		if ok1 && ok2 && mergeable {
			if err := merge(om, nm, file, p, level+1); err != nil {
				return err
			}
			continue
		}
		if !reflect.DeepEqual(old, v) {
			return fmt.Errorf("%w: %s redefines %s", ErrConflict, file, p)
		}
	}
	return nil
}

var methods = []string{"get", "put", "post", "delete", "patch", "head", "options"}

func (s *Spec) index() error {
	paths, _ := s.doc["paths"].(map[string]any)
	for p, item := range paths {
		im, ok := item.(map[string]any)
		if !ok {
			return fmt.Errorf("openapi: path %s is not an object", p)
		}
		for _, m := range methods {
			d, ok := im[m].(map[string]any)
			if !ok {
				continue
			}
			o := Operation{Method: strings.ToUpper(m), Path: p, def: d}
			o.ID, _ = d["operationId"].(string)
			if sec, has := d["security"]; has {
				o.Secured = true
				list, _ := sec.([]any)
				o.Public = len(list) == 0
				for _, req := range list {
					rm, _ := req.(map[string]any)
					for _, scopes := range rm {
						sl, _ := scopes.([]any)
						for _, sc := range sl {
							if str, ok := sc.(string); ok {
								o.Scopes = append(o.Scopes, str)
							}
						}
					}
				}
			}
			if err := s.checkKeywords(d, p+" "+m); err != nil {
				return err
			}
			s.ops = append(s.ops, op{Operation: o, segs: strings.Split(strings.Trim(p, "/"), "/")})
		}
	}
	for name, sc := range s.schemas {
		if err := s.checkKeywords(sc, "schema "+name); err != nil {
			return err
		}
	}
	// Most specific first: fewer parameters win ("/a/next" before "/a/{id}").
	sort.Slice(s.ops, func(i, j int) bool {
		pi, pj := params(s.ops[i].segs), params(s.ops[j].segs)
		if pi != pj {
			return pi < pj
		}
		return s.ops[i].Path < s.ops[j].Path
	})
	return nil
}

func params(segs []string) int {
	n := 0
	for _, s := range segs {
		if strings.HasPrefix(s, "{") {
			n++
		}
	}
	return n
}

// JSON returns the assembled document.
func (s *Spec) JSON() []byte { return s.raw }

// Operations lists every documented operation.
func (s *Spec) Operations() []Operation {
	out := make([]Operation, len(s.ops))
	for i, o := range s.ops {
		out[i] = o.Operation
	}
	return out
}

// Find returns the operation of a request: method and the request's path
// ("/v1/conversations/01H…").
func (s *Spec) Find(method, reqPath string) (Operation, bool) {
	segs := strings.Split(strings.Trim(reqPath, "/"), "/")
	method = strings.ToUpper(method)
	if method == http.MethodHead {
		method = http.MethodGet
	}
	for _, o := range s.ops {
		if o.Method != method || len(o.segs) != len(segs) {
			continue
		}
		ok := true
		for i, sg := range o.segs {
			if strings.HasPrefix(sg, "{") {
				if segs[i] == "" {
					ok = false
					break
				}
				continue
			}
			if sg != segs[i] {
				ok = false
				break
			}
		}
		if ok {
			return o.Operation, true
		}
	}
	return Operation{}, false
}

// FiberPath turns a Fiber route path ("/v1/conversations/:id") into the
// document's form ("/v1/conversations/{id}").
func FiberPath(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		if strings.HasPrefix(s, ":") {
			segs[i] = "{" + strings.TrimSuffix(s[1:], "?") + "}"
		}
	}
	return path.Clean(strings.Join(segs, "/"))
}

// CheckResponse validates a response to the operation of (method,
// reqPath): its status must be documented (or a "default" given), and a
// JSON body must validate against the schema of that status.
func (s *Spec) CheckResponse(method, reqPath string, status int, contentType string, body []byte) error {
	o, ok := s.Find(method, reqPath)
	if !ok {
		return fmt.Errorf("%w: %s %s", ErrUndocumented, method, reqPath)
	}
	resps, _ := o.def["responses"].(map[string]any)
	r, ok := resps[strconv.Itoa(status)]
	if !ok {
		if r, ok = resps[strconv.Itoa(status/100)+"XX"]; !ok {
			if r, ok = resps["default"]; !ok {
				return fmt.Errorf("%w: status %d of %s %s", ErrUndocumented, status, o.Method, o.Path)
			}
		}
	}
	rm, _ := s.deref(r).(map[string]any)
	content, _ := rm["content"].(map[string]any)
	if !strings.HasPrefix(contentType, "application/json") {
		if len(content) > 0 && content["application/json"] != nil && len(body) > 0 {
			return fmt.Errorf("%w: %s %s %d: content type %q, documented application/json", ErrInvalid, o.Method, o.Path, status, contentType)
		}
		return nil
	}
	media, _ := content["application/json"].(map[string]any)
	if media == nil {
		if len(bytes.TrimSpace(body)) == 0 {
			return nil
		}
		return fmt.Errorf("%w: %s %s %d: a JSON body where none is documented", ErrUndocumented, o.Method, o.Path, status)
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return fmt.Errorf("%w: %s %s %d: body is not JSON: %v", ErrInvalid, o.Method, o.Path, status, err)
	}
	if err := s.validate(media["schema"], v, "body"); err != nil {
		return fmt.Errorf("%s %s %d: %w", o.Method, o.Path, status, err)
	}
	return nil
}

// Validate checks v (decoded JSON) against the named component schema.
func (s *Spec) Validate(schema string, v any) error {
	sc, ok := s.schemas[schema]
	if !ok {
		return fmt.Errorf("%w: schema %q", ErrUndocumented, schema)
	}
	return s.validate(sc, normalize(v), schema)
}

// normalize turns Go values into the JSON data model (via a round trip).
func normalize(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		return v
	}
	var out any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	_ = dec.Decode(&out)
	return out
}

func (s *Spec) deref(v any) any {
	for i := 0; i < 16; i++ {
		m, ok := v.(map[string]any)
		if !ok {
			return v
		}
		ref, ok := m["$ref"].(string)
		if !ok {
			return v
		}
		v = s.resolve(ref)
	}
	return v
}

func (s *Spec) resolve(ref string) any {
	p, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return nil
	}
	var cur any = s.doc
	for _, part := range strings.Split(p, "/") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")]
	}
	return cur
}

var knownKeywords = map[string]bool{
	"type": true, "properties": true, "required": true, "additionalProperties": true, "items": true, "enum": true,
	"const": true, "$ref": true, "oneOf": true, "anyOf": true, "allOf": true, "minimum": true, "maximum": true,
	"minLength": true, "maxLength": true, "format": true, "description": true, "example": true, "examples": true,
	"default": true, "title": true, "deprecated": true, "readOnly": true, "writeOnly": true, "minItems": true,
	"maxItems": true, "pattern": true,
}

// checkKeywords refuses schema keywords the validator does not know, in
// every "schema" below an operation and in component schemas.
func (s *Spec) checkKeywords(v any, where string) error {
	var walk func(v any, inSchema bool, at string) error
	walk = func(v any, inSchema bool, at string) error {
		switch t := v.(type) {
		case map[string]any:
			for k, c := range t {
				if inSchema && !knownKeywords[k] {
					return fmt.Errorf("openapi: %s: schema keyword %q at %s is not supported by the validator", where, k, at)
				}
				switch {
				case inSchema && k == "properties":
					props, _ := c.(map[string]any)
					for pn, pv := range props {
						if err := walk(pv, true, at+"/"+pn); err != nil {
							return err
						}
					}
				case inSchema && (k == "items" || k == "additionalProperties"):
					if err := walk(c, true, at+"/"+k); err != nil {
						return err
					}
				case inSchema && (k == "oneOf" || k == "anyOf" || k == "allOf"):
					list, _ := c.([]any)
					for i, it := range list {
						if err := walk(it, true, fmt.Sprintf("%s/%s/%d", at, k, i)); err != nil {
							return err
						}
					}
				case inSchema:
				case k == "schema":
					if err := walk(c, true, at+"/schema"); err != nil {
						return err
					}
				default:
					if err := walk(c, false, at+"/"+k); err != nil {
						return err
					}
				}
			}
		case []any:
			for i, c := range t {
				if err := walk(c, inSchema, fmt.Sprintf("%s/%d", at, i)); err != nil {
					return err
				}
			}
		}
		return nil
	}
	_, isSchema := v.(map[string]any)
	return walk(v, isSchema && strings.HasPrefix(where, "schema "), "")
}

func jsonType(v any) string {
	switch t := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case json.Number:
		if _, err := t.Int64(); err == nil {
			return "integer"
		}
		return "number"
	case float64:
		if t == float64(int64(t)) {
			return "integer"
		}
		return "number"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

func (s *Spec) validate(schema any, v any, at string) error {
	if schema == nil {
		return nil
	}
	if b, ok := schema.(bool); ok {
		if !b {
			return fmt.Errorf("%w: %s: not allowed", ErrInvalid, at)
		}
		return nil
	}
	sc, ok := schema.(map[string]any)
	if !ok {
		return nil
	}
	if ref, ok := sc["$ref"].(string); ok {
		target := s.resolve(ref)
		if target == nil {
			return fmt.Errorf("%w: %s: unresolved $ref %s", ErrInvalid, at, ref)
		}
		if err := s.validate(target, v, at); err != nil {
			return err
		}
	}
	if t, ok := sc["type"]; ok {
		got := jsonType(v)
		var allowed []string
		switch tt := t.(type) {
		case string:
			allowed = []string{tt}
		case []any:
			for _, x := range tt {
				if str, ok := x.(string); ok {
					allowed = append(allowed, str)
				}
			}
		}
		match := false
		for _, a := range allowed {
			if a == got || a == "number" && got == "integer" {
				match = true
			}
		}
		if !match {
			return fmt.Errorf("%w: %s: %s, want %s", ErrInvalid, at, got, strings.Join(allowed, " or "))
		}
	}
	if enum, ok := sc["enum"].([]any); ok {
		found := false
		for _, e := range enum {
			if fmt.Sprint(e) == fmt.Sprint(v) && jsonType(e) == jsonType(v) {
				found = true
			}
		}
		if !found {
			return fmt.Errorf("%w: %s: %v is not one of %v", ErrInvalid, at, v, enum)
		}
	}
	if c, ok := sc["const"]; ok && fmt.Sprint(c) != fmt.Sprint(v) {
		return fmt.Errorf("%w: %s: %v, want %v", ErrInvalid, at, v, c)
	}
	if list, ok := sc["allOf"].([]any); ok {
		for _, sub := range list {
			if err := s.validate(sub, v, at); err != nil {
				return err
			}
		}
	}
	for _, kw := range []string{"oneOf", "anyOf"} {
		list, ok := sc[kw].([]any)
		if !ok {
			continue
		}
		n := 0
		var first error
		for _, sub := range list {
			if err := s.validate(sub, v, at); err == nil {
				n++
			} else if first == nil {
				first = err
			}
		}
		if n == 0 || kw == "oneOf" && n > 1 {
			return fmt.Errorf("%w: %s: %d of the %s alternatives match (first failure: %v)", ErrInvalid, at, n, kw, first)
		}
	}
	switch t := v.(type) {
	case string:
		if n, ok := num(sc["minLength"]); ok && float64(len([]rune(t))) < n {
			return fmt.Errorf("%w: %s: shorter than %v", ErrInvalid, at, n)
		}
		if n, ok := num(sc["maxLength"]); ok && float64(len([]rune(t))) > n {
			return fmt.Errorf("%w: %s: longer than %v", ErrInvalid, at, n)
		}
		if sc["format"] == "date-time" {
			if _, err := time.Parse(time.RFC3339Nano, t); err != nil {
				return fmt.Errorf("%w: %s: %q is not an RFC 3339 date-time", ErrInvalid, at, t)
			}
		}
	case json.Number:
		f, _ := t.Float64()
		if n, ok := num(sc["minimum"]); ok && f < n {
			return fmt.Errorf("%w: %s: %v below %v", ErrInvalid, at, f, n)
		}
		if n, ok := num(sc["maximum"]); ok && f > n {
			return fmt.Errorf("%w: %s: %v above %v", ErrInvalid, at, f, n)
		}
	case []any:
		if n, ok := num(sc["minItems"]); ok && float64(len(t)) < n {
			return fmt.Errorf("%w: %s: fewer than %v items", ErrInvalid, at, n)
		}
		for i, it := range t {
			if err := s.validate(sc["items"], it, fmt.Sprintf("%s[%d]", at, i)); err != nil {
				return err
			}
		}
	case map[string]any:
		if req, ok := sc["required"].([]any); ok {
			for _, r := range req {
				if _, has := t[fmt.Sprint(r)]; !has {
					return fmt.Errorf("%w: %s: required property %q missing", ErrInvalid, at, r)
				}
			}
		}
		props, _ := sc["properties"].(map[string]any)
		for k, pv := range t {
			if ps, ok := props[k]; ok {
				if err := s.validate(ps, pv, at+"."+k); err != nil {
					return err
				}
				continue
			}
			if ap, ok := sc["additionalProperties"]; ok {
				if err := s.validate(ap, pv, at+"."+k); err != nil {
					if b, isBool := ap.(bool); isBool && !b {
						return fmt.Errorf("%w: %s: property %q is not documented", ErrInvalid, at, k)
					}
					return err
				}
			}
		}
	}
	return nil
}

func num(v any) (float64, bool) {
	switch t := v.(type) {
	case json.Number:
		f, err := t.Float64()
		return f, err == nil
	case float64:
		return t, true
	}
	return 0, false
}
