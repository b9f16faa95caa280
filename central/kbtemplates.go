package central

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/kefu-io/kefu/central/knowledge"
	"github.com/kefu-io/kefu/central/store"
)

// Hot-topic templates (REST under /v1/knowledge/templates): the built-in
// ones of central/knowledge (Singles' Day, Black Friday, the Chinese New
// Year and Christmas shipping cut-offs) and a tenant's own (a product
// launch). An enabled template whose window is open is loaded with the
// tenant's documents as the document "hot-<id>" (kb.go): answered at
// central, in the browser's FAQ pack, assigned to the topic tree. Each
// replica reloads a tenant when the next window of one of its enabled
// templates opens or closes (kbState.edges), so entries arrive and leave
// within a second or two of the boundary, without an edit.

// templateState is what the store keeps of a template for a tenant.
type templateState struct {
	Enabled bool `json:"enabled"`
	// Custom marks a tenant's own template (Name, Kind, Start, End and
	// Entries are then its definition).
	Custom bool              `json:"custom,omitempty"`
	Name   map[string]string `json:"name,omitempty"`
	Kind   string            `json:"kind,omitempty"`
	// Start and End override a built-in's computed window when both are set.
	Start   *time.Time                `json:"start,omitempty"`
	End     *time.Time                `json:"end,omitempty"`
	Entries []knowledge.TemplateEntry `json:"entries,omitempty"`
}

// TemplateView is a template as the REST API shows it.
type TemplateView struct {
	ID      string            `json:"id"`
	Name    map[string]string `json:"name"`
	Kind    string            `json:"kind"`
	Builtin bool              `json:"builtin"`
	Enabled bool              `json:"enabled"`
	// Active: enabled and the window is open now.
	Active bool `json:"active"`
	// Edited: a built-in whose texts or dates the tenant changed.
	Edited  bool                      `json:"edited"`
	Window  knowledge.Window          `json:"window"`
	Entries []knowledge.TemplateEntry `json:"entries"`
}

// TemplateRequest is the body of POST /v1/knowledge/templates (a
// tenant's own template: name, start, end, entries) and of PUT
// /v1/knowledge/templates/{id} (any field; absent ones are kept).
type TemplateRequest struct {
	ID      string                     `json:"id,omitempty"`
	Name    map[string]string          `json:"name,omitempty"`
	Kind    string                     `json:"kind,omitempty"`
	Enabled *bool                      `json:"enabled,omitempty"`
	Start   *time.Time                 `json:"start,omitempty"`
	End     *time.Time                 `json:"end,omitempty"`
	Entries *[]knowledge.TemplateEntry `json:"entries,omitempty"`
}

// maxTemplateWindow bounds a window's length.
const maxTemplateWindow = 120 * 24 * time.Hour

// Templates returns tenant's hot-topic templates as of now: the built-ins
// (with the tenant's edits) and its own, by id.
func (s *Service) Templates(ctx context.Context, tenant string, now time.Time) ([]TemplateView, error) {
	rows, err := s.st.HotTemplates(ctx, tenant)
	if err != nil {
		return nil, err
	}
	states := map[string]templateState{}
	for _, r := range rows {
		var st templateState
		if err := json.Unmarshal(r.Data, &st); err != nil {
			s.log.Warn("knowledge: template state skipped", "tenant", tenant, "template", r.ID, "err", err)
			continue
		}
		states[r.ID] = st
	}
	var out []TemplateView
	for _, b := range knowledge.BuiltinTemplates() {
		st, has := states[b.ID]
		delete(states, b.ID)
		v := TemplateView{ID: b.ID, Name: b.Name, Kind: b.Kind, Builtin: true, Window: b.NextWindow(now), Entries: b.Entries}
		if has {
			v.Enabled = st.Enabled
			if st.Start != nil && st.End != nil {
				v.Window.Start, v.Window.End, v.Edited = st.Start.UTC(), st.End.UTC(), true
			}
			if len(st.Entries) > 0 {
				v.Entries, v.Edited = st.Entries, true
			}
		}
		out = append(out, v)
	}
	ids := make([]string, 0, len(states))
	for id := range states {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		st := states[id]
		if !st.Custom || st.Start == nil || st.End == nil {
			continue
		}
		out = append(out, TemplateView{ID: id, Name: st.Name, Kind: st.Kind, Enabled: st.Enabled, Entries: st.Entries,
			Window: knowledge.Window{Start: st.Start.UTC(), End: st.End.UTC()}})
	}
	for i := range out {
		out[i].Active = out[i].Enabled && out[i].Window.Contains(now)
	}
	return out, nil
}

// templateDocs returns the knowledge of tenant's open templates and the
// next time one of its enabled templates opens or closes (zero: none).
func (s *Service) templateDocs(ctx context.Context, tenant string, now time.Time) ([]knowledge.Doc, time.Time, error) {
	ts, err := s.Templates(ctx, tenant, now)
	if err != nil {
		return nil, time.Time{}, err
	}
	var docs []knowledge.Doc
	var next time.Time
	soonest := func(t time.Time) {
		if t.After(now) && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	for _, t := range ts {
		if !t.Enabled {
			continue
		}
		soonest(t.Window.Start)
		soonest(t.Window.End)
		if t.Active {
			docs = append(docs, knowledge.TemplateDoc(t.ID, templateTitle(t.Name), t.Entries, t.Window))
		}
	}
	return docs, next, nil
}

func templateTitle(name map[string]string) string {
	for _, l := range []string{"en", "zh"} {
		if name[l] != "" {
			return name[l]
		}
	}
	for _, n := range name {
		return n
	}
	return "hot topic"
}

func (s *Service) templateState(ctx context.Context, tenant, id string) (templateState, bool, error) {
	rows, err := s.st.HotTemplates(ctx, tenant)
	if err != nil {
		return templateState{}, false, err
	}
	for _, r := range rows {
		if r.ID == id {
			var st templateState
			if err := json.Unmarshal(r.Data, &st); err != nil {
				return templateState{}, false, fmt.Errorf("central: template %q: %w", id, err)
			}
			return st, true, nil
		}
	}
	return templateState{}, false, nil
}

func (s *Service) putTemplateState(ctx context.Context, tenant, id string, st templateState) error {
	b, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("central: template %q: %w", id, err)
	}
	if err := s.st.PutHotTemplate(ctx, store.KBTemplate{Tenant: tenant, ID: id, Data: b}); err != nil {
		return err
	}
	s.knowledgeChanged(tenant)
	return nil
}

func checkWindow(start, end *time.Time) error {
	if (start == nil) != (end == nil) {
		return fmt.Errorf("%w: start and end go together", store.ErrInvalid)
	}
	if start != nil && (!end.After(*start) || end.Sub(*start) > maxTemplateWindow) {
		return fmt.Errorf("%w: the window must end after it starts and last at most %d days", store.ErrInvalid, int(maxTemplateWindow.Hours()/24))
	}
	return nil
}

func checkName(name map[string]string) error {
	ok := false
	for l, n := range name {
		if len(n) > 200 || len(l) > 16 {
			return fmt.Errorf("%w: a name is at most 200 bytes", store.ErrInvalid)
		}
		ok = ok || strings.TrimSpace(n) != ""
	}
	if !ok {
		return fmt.Errorf("%w: a template needs a name ({\"en\": \"…\"})", store.ErrInvalid)
	}
	return nil
}

// CreateTemplate stores a tenant's own template (a product launch).
func (s *Service) CreateTemplate(ctx context.Context, tenant string, req TemplateRequest) (string, error) {
	if err := checkName(req.Name); err != nil {
		return "", err
	}
	if req.Start == nil || req.End == nil {
		return "", fmt.Errorf("%w: a template needs start and end", store.ErrInvalid)
	}
	if err := checkWindow(req.Start, req.End); err != nil {
		return "", err
	}
	if req.Entries == nil {
		return "", fmt.Errorf("%w: a template needs entries", store.ErrInvalid)
	}
	if err := knowledge.CheckEntries(*req.Entries); err != nil {
		return "", fmt.Errorf("%w: %w", store.ErrInvalid, err)
	}
	ts, err := s.Templates(ctx, tenant, time.Now())
	if err != nil {
		return "", err
	}
	taken := func(id string) bool {
		for _, t := range ts {
			if t.ID == id {
				return true
			}
		}
		return false
	}
	id := req.ID
	if id == "" {
		id = topicID(templateTitle(req.Name), taken)
	} else if taken(id) || !validTemplateID(id) {
		return "", fmt.Errorf("%w: template id %q is taken or not [a-z0-9-]{1,64}", store.ErrInvalid, id)
	}
	kind := req.Kind
	if kind == "" {
		kind = "launch"
	}
	st := templateState{Custom: true, Name: req.Name, Kind: kind, Start: req.Start, End: req.End, Entries: *req.Entries,
		Enabled: req.Enabled == nil || *req.Enabled}
	return id, s.putTemplateState(ctx, tenant, id, st)
}

func validTemplateID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}

// UpdateTemplate enables, disables or edits a template.
func (s *Service) UpdateTemplate(ctx context.Context, tenant, id string, req TemplateRequest) error {
	st, has, err := s.templateState(ctx, tenant, id)
	if err != nil {
		return err
	}
	_, builtin := knowledge.BuiltinTemplate(id)
	if !builtin && !has {
		return fmt.Errorf("template %q: %w", id, store.ErrNotFound)
	}
	if req.Enabled != nil {
		st.Enabled = *req.Enabled
	}
	if req.Start != nil || req.End != nil {
		if err := checkWindow(req.Start, req.End); err != nil {
			return err
		}
		st.Start, st.End = req.Start, req.End
	}
	if req.Entries != nil {
		if err := knowledge.CheckEntries(*req.Entries); err != nil {
			return fmt.Errorf("%w: %w", store.ErrInvalid, err)
		}
		st.Entries = *req.Entries
	}
	if req.Name != nil && st.Custom {
		if err := checkName(req.Name); err != nil {
			return err
		}
		st.Name = req.Name
	}
	return s.putTemplateState(ctx, tenant, id, st)
}

func (s *Service) listTemplates(c *fiber.Ctx) error {
	ts, err := s.Templates(c.UserContext(), tenantOf(c), s.kbs.now())
	if err != nil {
		return kbError(c, err)
	}
	return c.JSON(fiber.Map{"templates": ts})
}

func (s *Service) oneTemplate(c *fiber.Ctx, id string) error {
	ts, err := s.Templates(c.UserContext(), tenantOf(c), s.kbs.now())
	if err != nil {
		return kbError(c, err)
	}
	for _, t := range ts {
		if t.ID == id {
			return c.JSON(t)
		}
	}
	return kbError(c, fmt.Errorf("template %q: %w", id, store.ErrNotFound))
}

func (s *Service) createTemplate(c *fiber.Ctx) error {
	var req TemplateRequest
	if err := decodeBody(c, &req); err != nil {
		return apiError(c, fiber.StatusBadRequest, CodeBadRequest, err.Error())
	}
	id, err := s.CreateTemplate(c.UserContext(), tenantOf(c), req)
	if err != nil {
		return kbError(c, err)
	}
	c.Status(fiber.StatusCreated)
	return s.oneTemplate(c, id)
}

func (s *Service) updateTemplate(c *fiber.Ctx) error {
	var req TemplateRequest
	if err := decodeBody(c, &req); err != nil {
		return apiError(c, fiber.StatusBadRequest, CodeBadRequest, err.Error())
	}
	if err := s.UpdateTemplate(c.UserContext(), tenantOf(c), c.Params("id"), req); err != nil {
		return kbError(c, err)
	}
	return s.oneTemplate(c, c.Params("id"))
}

// deleteTemplate deletes a tenant's own template, or resets a built-in
// (disabled, its own texts and dates).
func (s *Service) deleteTemplate(c *fiber.Ctx) error {
	err := s.st.DeleteHotTemplate(c.UserContext(), tenantOf(c), c.Params("id"))
	if err != nil && !(errors.Is(err, store.ErrNotFound) && isBuiltinTemplate(c.Params("id"))) {
		return kbError(c, err)
	}
	s.knowledgeChanged(tenantOf(c))
	return c.SendStatus(fiber.StatusNoContent)
}

func isBuiltinTemplate(id string) bool {
	_, ok := knowledge.BuiltinTemplate(id)
	return ok
}
