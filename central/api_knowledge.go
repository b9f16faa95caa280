package central

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/kefu-io/kefu/central/knowledge"
	"github.com/kefu-io/kefu/central/knowledge/ingest"
	"github.com/kefu-io/kefu/central/scope"
	"github.com/kefu-io/kefu/central/store"
	"github.com/kefu-io/kefu/chat"
)

// DocumentView is a knowledge document as the REST API shows it.
type DocumentView struct {
	ID        string    `json:"id"`
	Title     string    `json:"title"`
	Kind      string    `json:"kind"`
	Source    string    `json:"source"`
	Version   int       `json:"version"`
	Deleted   bool      `json:"deleted,omitempty"`
	UpdatedAt time.Time `json:"updated_at"`
	Passages  int       `json:"passages"`
	FAQPairs  int       `json:"faq_pairs"`
	Entities  int       `json:"entities"`
	Topics    []string  `json:"topics,omitempty"`
	// Body and Derived are filled for one document (GET …/documents/{id}).
	Body    string             `json:"body,omitempty"`
	Derived *knowledge.Derived `json:"derived,omitempty"`
}

// IngestSummary answers an upload: what the documents gave.
type IngestSummary struct {
	Documents int      `json:"documents"`
	Changed   int      `json:"changed"`
	Passages  int      `json:"passages"`
	FAQPairs  int      `json:"faq_pairs"`
	Entities  int      `json:"entities"`
	IDs       []string `json:"ids"`
}

// docViewIn is a list entry with the topics of tree as it is now.
func docViewIn(d store.KBDocument, tree *knowledge.Tree) DocumentView {
	v := DocumentView{ID: d.ID, Title: d.Title, Kind: d.Kind, Source: d.Source, Version: d.Version, Deleted: d.Deleted, UpdatedAt: d.UpdatedAt}
	if der, err := knowledge.DecodeDerived(d.Derived); err == nil {
		knowledge.AssignTopics(&der, tree)
		v.Passages, v.FAQPairs, v.Entities = der.Counts()
		v.Topics = der.Topics
	}
	return v
}

func anyOf(have, want []string) bool {
	for _, h := range have {
		if containsStr(want, h) {
			return true
		}
	}
	return false
}

func docView(d store.KBDocument, full bool) DocumentView {
	v := DocumentView{ID: d.ID, Title: d.Title, Kind: d.Kind, Source: d.Source, Version: d.Version, Deleted: d.Deleted, UpdatedAt: d.UpdatedAt}
	if der, err := knowledge.DecodeDerived(d.Derived); err == nil {
		v.Passages, v.FAQPairs, v.Entities = der.Counts()
		v.Topics = der.Topics
		if full {
			v.Derived = &der
		}
	}
	if full {
		v.Body = d.Body
	}
	return v
}

// registerKnowledge adds the knowledge hub's REST routes to the
// authenticated group (docs in docs/KNOWLEDGE.md):
//
//	GET    /v1/knowledge/documents                list
//	POST   /v1/knowledge/documents?name=F         upload (raw body or multipart "file" fields)
//	GET    /v1/knowledge/documents/{id}           one, with body and derived knowledge
//	PUT    /v1/knowledge/documents/{id}?name=F    replace
//	DELETE /v1/knowledge/documents/{id}           delete
//	GET    /v1/knowledge/documents/{id}/versions  every version
//	GET    /v1/knowledge/faq                      FAQ pairs
//	GET    /v1/knowledge/graph                    entities and facts
//	POST   /v1/knowledge/ask                      {"q","lang","sku"} → the hub's answer
//	GET    /v1/knowledge/gaps                     clustered unanswered questions
//	GET    /v1/knowledge/drafts                   FAQ drafts
//	POST   /v1/knowledge/drafts                   create a draft (from a gap: {"gap"})
//	POST   /v1/knowledge/drafts/{id}/approve      make it live ({"question","answer"} may edit it)
//	POST   /v1/knowledge/drafts/{id}/reject
//	GET    /v1/knowledge/topics                   the topic tree (kbtopics.go)
//	POST   /v1/knowledge/topics                   create {"name","parent","words"}
//	PATCH  /v1/knowledge/topics/{id}              rename, move ({"parent"}), change words
//	DELETE /v1/knowledge/topics/{id}[?merge_into=ID]  delete or merge
//	GET    /v1/knowledge/hot-topics?week=2026-W49 the weekly hot-topic report (hotweek.go)
//	GET    /v1/knowledge/templates                hot-topic templates (kbtemplates.go)
//	POST   /v1/knowledge/templates                a tenant's own (a launch): {"name","start","end","entries"}
//	PUT    /v1/knowledge/templates/{id}           enable/disable ({"enabled"}), edit dates or entries
//	DELETE /v1/knowledge/templates/{id}           delete one's own, reset a built-in
//	GET    /v1/catalog/items                      the catalogue
//	PUT    /v1/catalog/items/{sku}                create or replace one item (live stock updates)
//	POST   /v1/catalog/items                      many items: a JSON array
func (s *Service) registerKnowledge(auth fiber.Router) {
	auth.Get("/knowledge/documents", s.listDocuments)
	auth.Post("/knowledge/documents", s.uploadDocuments)
	auth.Get("/knowledge/documents/:id", s.getDocument)
	auth.Put("/knowledge/documents/:id", s.replaceDocument)
	auth.Delete("/knowledge/documents/:id", s.deleteDocument)
	auth.Get("/knowledge/documents/:id/versions", s.documentVersions)
	auth.Get("/knowledge/faq", s.listFAQPairs)
	auth.Get("/knowledge/graph", s.graph)
	auth.Post("/knowledge/ask", s.askKnowledge)
	auth.Get("/knowledge/gaps", s.listGaps)
	auth.Get("/knowledge/drafts", s.listDrafts)
	auth.Post("/knowledge/drafts", s.createDraft)
	auth.Post("/knowledge/drafts/:id/approve", s.approveDraft)
	auth.Post("/knowledge/drafts/:id/reject", s.rejectDraft)
	auth.Get("/knowledge/topics", s.listTopics)
	auth.Post("/knowledge/topics", s.createTopic)
	auth.Patch("/knowledge/topics/:id", s.updateTopic)
	auth.Delete("/knowledge/topics/:id", s.deleteTopic)
	auth.Get("/knowledge/hot-topics", s.knowledgeHotWeek)
	auth.Get("/knowledge/templates", s.listTemplates)
	auth.Post("/knowledge/templates", s.createTemplate)
	auth.Put("/knowledge/templates/:id", s.updateTemplate)
	auth.Delete("/knowledge/templates/:id", s.deleteTemplate)
	auth.Get("/catalog/items", s.listCatalog)
	auth.Put("/catalog/items/:sku", s.putCatalogItem)
	auth.Post("/catalog/items", s.putCatalogItems)
}

func tenantOf(c *fiber.Ctx) string { return who(c).agent.Tenant }

func kbError(c *fiber.Ctx, err error) error {
	switch {
	case errors.Is(err, ingest.ErrUnsupported), errors.Is(err, ingest.ErrMalformed), errors.Is(err, ingest.ErrEmpty),
		errors.Is(err, ingest.ErrTooLarge), errors.Is(err, store.ErrInvalid):
		return apiError(c, fiber.StatusBadRequest, CodeBadRequest, err.Error())
	case errors.Is(err, store.ErrNotFound):
		return apiError(c, fiber.StatusNotFound, CodeNotFound, "not found")
	case errors.Is(err, store.ErrStale):
		return apiError(c, fiber.StatusConflict, CodeConflict, "changed meanwhile: retry")
	}
	return apiError(c, fiber.StatusInternalServerError, CodeInternal, "internal error")
}

// IngestFiles prepares and stores files as tenant's documents (a document
// whose bytes did not change keeps its version) and tells every replica.
// A file that cannot be parsed fails the whole call and stores nothing.
func (s *Service) IngestFiles(ctx context.Context, tenant string, files map[string][]byte, idOverride string) (IngestSummary, error) {
	return IngestFiles(ctx, s.st, tenant, files, idOverride, s.knowledgeChanged)
}

// IngestFiles is Service.IngestFiles on a store (kefu kb ingest --data
// uses it without a running service; notify may be nil).
func IngestFiles(ctx context.Context, st store.Store, tenant string, files map[string][]byte, idOverride string, notify func(string)) (IngestSummary, error) {
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	docs := make([]store.KBDocument, 0, len(names))
	sum := IngestSummary{IDs: []string{}}
	prepared := make([]knowledge.Prepared, 0, len(names))
	var declared []string
	for _, n := range names {
		p, err := knowledge.Prepare(n, files[n])
		if err != nil {
			return IngestSummary{}, err
		}
		prepared = append(prepared, p)
		declared = append(declared, p.Derived.DeclaredTopics()...)
	}
	// The tenant's topic tree assigns topics; a topic a document declares
	// that the tree lacks is added to it (kbtopics.go).
	tree, err := ensureDeclaredTopics(ctx, st, tenant, declared)
	if err != nil {
		return IngestSummary{}, err
	}
	for i, n := range names {
		p := prepared[i]
		knowledge.AssignTopics(&p.Derived, tree)
		if idOverride != "" {
			p.ID = idOverride
		}
		ps, fq, en := p.Derived.Counts()
		sum.Passages, sum.FAQPairs, sum.Entities = sum.Passages+ps, sum.FAQPairs+fq, sum.Entities+en
		docs = append(docs, store.KBDocument{ID: p.ID, Title: p.Title, Kind: p.Kind, Source: n, SHA: p.SHA, Body: p.Body, Derived: p.DerivedJSON()})
		sum.IDs = append(sum.IDs, p.ID)
	}
	_, changed, err := st.PutDocuments(ctx, tenant, docs)
	if err != nil {
		return IngestSummary{}, err
	}
	sum.Documents = len(docs)
	for _, c := range changed {
		if c {
			sum.Changed++
		}
	}
	if sum.Changed > 0 && notify != nil {
		notify(tenant)
	}
	return sum, nil
}

// readFiles returns the uploaded files: multipart "file" fields, or the
// raw body named by ?name=.
func readFiles(c *fiber.Ctx) (map[string][]byte, error) {
	files := map[string][]byte{}
	if strings.HasPrefix(c.Get(fiber.HeaderContentType), fiber.MIMEMultipartForm) {
		form, err := c.MultipartForm()
		if err != nil {
			return nil, fmt.Errorf("%w: multipart form: %w", ingest.ErrMalformed, err)
		}
		for _, fh := range form.File["file"] {
			b, err := readPart(fh)
			if err != nil {
				return nil, err
			}
			files[fh.Filename] = b
		}
	} else if name := c.Query("name"); name != "" {
		files[name] = append([]byte(nil), c.Body()...)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%w: no file: send multipart \"file\" fields or a raw body with ?name=FILE.md", ingest.ErrMalformed)
	}
	return files, nil
}

func readPart(fh *multipart.FileHeader) ([]byte, error) {
	f, err := fh.Open()
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ingest.ErrMalformed, fh.Filename, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, ingest.MaxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ingest.ErrMalformed, fh.Filename, err)
	}
	return b, nil
}

// subtreeOf resolves a topic id or name to its subtree.
func subtreeOf(tree *knowledge.Tree, topic string) ([]string, error) {
	if topic == "" {
		return nil, nil
	}
	id, ok := tree.Resolve(topic)
	if !ok {
		return nil, fmt.Errorf("%w: no topic %q in the topic tree", store.ErrInvalid, topic)
	}
	return tree.Subtree(id), nil
}

func (s *Service) listDocuments(c *fiber.Ctx) error {
	docs, err := s.st.Documents(c.UserContext(), tenantOf(c), false)
	if err != nil {
		return kbError(c, err)
	}
	tree, _, err := s.TopicTree(c.UserContext(), tenantOf(c))
	if err != nil {
		return kbError(c, err)
	}
	only, err := subtreeOf(tree, c.Query("topic"))
	if err != nil {
		return kbError(c, err)
	}
	out := make([]DocumentView, 0, len(docs))
	for _, d := range docs {
		v := docViewIn(d, tree)
		if only != nil && !anyOf(v.Topics, only) {
			continue
		}
		out = append(out, v)
	}
	return c.JSON(fiber.Map{"documents": out, "stats": s.kbs.hub.Stats(tenantOf(c))})
}

func (s *Service) uploadDocuments(c *fiber.Ctx) error {
	files, err := readFiles(c)
	if err != nil {
		return kbError(c, err)
	}
	sum, err := s.IngestFiles(c.UserContext(), tenantOf(c), files, "")
	if err != nil {
		return kbError(c, err)
	}
	return c.Status(fiber.StatusCreated).JSON(sum)
}

func (s *Service) replaceDocument(c *fiber.Ctx) error {
	files, err := readFiles(c)
	if err != nil {
		return kbError(c, err)
	}
	if len(files) != 1 {
		return apiError(c, fiber.StatusBadRequest, CodeBadRequest, "replace takes exactly one file")
	}
	sum, err := s.IngestFiles(c.UserContext(), tenantOf(c), files, c.Params("id"))
	if err != nil {
		return kbError(c, err)
	}
	return c.JSON(sum)
}

func (s *Service) getDocument(c *fiber.Ctx) error {
	d, err := s.st.Document(c.UserContext(), tenantOf(c), c.Params("id"))
	if err != nil {
		return kbError(c, err)
	}
	return c.JSON(docView(d, true))
}

func (s *Service) deleteDocument(c *fiber.Ctx) error {
	if err := s.st.DeleteDocument(c.UserContext(), tenantOf(c), c.Params("id"), time.Now()); err != nil {
		return kbError(c, err)
	}
	s.knowledgeChanged(tenantOf(c))
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Service) documentVersions(c *fiber.Ctx) error {
	vs, err := s.st.DocumentVersions(c.UserContext(), tenantOf(c), c.Params("id"))
	if err != nil {
		return kbError(c, err)
	}
	out := make([]DocumentView, 0, len(vs))
	for _, d := range vs {
		out = append(out, docView(d, false))
	}
	return c.JSON(fiber.Map{"versions": out})
}

func (s *Service) listFAQPairs(c *fiber.Ctx) error {
	docs, err := s.st.Documents(c.UserContext(), tenantOf(c), false)
	if err != nil {
		return kbError(c, err)
	}
	tree, _, err := s.TopicTree(c.UserContext(), tenantOf(c))
	if err != nil {
		return kbError(c, err)
	}
	only, err := subtreeOf(tree, c.Query("topic"))
	if err != nil {
		return kbError(c, err)
	}
	type pair struct {
		knowledge.FAQPair
		Doc string `json:"doc"`
	}
	out := []pair{}
	for _, d := range docs {
		der, _ := knowledge.DecodeDerived(d.Derived)
		knowledge.AssignTopics(&der, tree)
		for _, f := range der.FAQ {
			if only == nil || anyOf(f.Topics, only) {
				out = append(out, pair{f, d.ID})
			}
		}
	}
	return c.JSON(fiber.Map{"faq_pairs": out})
}

func (s *Service) graph(c *fiber.Ctx) error {
	docs, err := s.st.Documents(c.UserContext(), tenantOf(c), false)
	if err != nil {
		return kbError(c, err)
	}
	type entity struct {
		knowledge.Entity
		Doc   string           `json:"doc"`
		Facts []knowledge.Fact `json:"facts"`
	}
	out := []entity{}
	for _, d := range docs {
		der, _ := knowledge.DecodeDerived(d.Derived)
		for _, e := range der.Entities {
			en := entity{Entity: e, Doc: d.ID, Facts: []knowledge.Fact{}}
			for _, f := range der.Facts {
				if f.Entity == e.ID {
					en.Facts = append(en.Facts, f)
				}
			}
			out = append(out, en)
		}
	}
	return c.JSON(fiber.Map{"entities": out})
}

// AskRequest is the body of POST /v1/knowledge/ask.
type AskRequest struct {
	Q      string `json:"q"`
	Lang   string `json:"lang,omitempty"`
	Intent string `json:"intent,omitempty"`
	SKU    string `json:"sku,omitempty"`
	// Topic restricts the answer to a topic of the tree (id or name) and its subtopics.
	Topic string `json:"topic,omitempty"`
}

// AskReply answers POST /v1/knowledge/ask.
type AskReply struct {
	Kind         string             `json:"kind"`
	Text         string             `json:"text,omitempty"`
	Lang         string             `json:"lang,omitempty"`
	Confidence   float64            `json:"confidence"`
	Docs         []string           `json:"docs"`
	Sources      []knowledge.Source `json:"sources,omitempty"`
	QuickReplies []string           `json:"quick_replies,omitempty"`
	Card         *chat.Card         `json:"card,omitempty"`
}

func (s *Service) askKnowledge(c *fiber.Ctx) error {
	var req AskRequest
	if err := decodeBody(c, &req); err != nil {
		return apiError(c, fiber.StatusBadRequest, CodeBadRequest, err.Error())
	}
	if err := chat.ValidateText(req.Q, chat.MaxTextBytes); err != nil {
		return apiError(c, fiber.StatusBadRequest, CodeBadRequest, "q: "+err.Error())
	}
	var only []string
	if req.Topic != "" {
		tree, _, err := s.TopicTree(c.UserContext(), tenantOf(c))
		if err != nil {
			return kbError(c, err)
		}
		if only, err = subtreeOf(tree, req.Topic); err != nil {
			return kbError(c, err)
		}
	}
	a, err := s.kbs.hub.Ask(c.UserContext(), tenantOf(c), knowledge.Question{Text: req.Q, Lang: req.Lang, Intent: req.Intent, SKU: req.SKU, Topics: only})
	if err != nil {
		return kbError(c, err)
	}
	if a.Docs == nil {
		a.Docs = []string{}
	}
	return c.JSON(AskReply{Kind: a.Kind, Text: a.Text, Lang: a.Lang, Confidence: a.Confidence, Docs: a.Docs, Sources: a.Sources, QuickReplies: a.QuickReplies, Card: a.Card})
}

func (s *Service) listCatalog(c *fiber.Ctx) error {
	items, err := s.st.CatalogItems(c.UserContext(), tenantOf(c))
	if err != nil {
		return kbError(c, err)
	}
	out := make([]json.RawMessage, 0, len(items))
	for _, it := range items {
		out = append(out, it.Data)
	}
	return c.JSON(fiber.Map{"items": out})
}

// PutProducts checks and stores catalogue items and tells every replica.
func PutProducts(ctx context.Context, st store.Store, tenant string, ps []knowledge.Product, notify func(string)) error {
	items := make([]store.CatalogItem, 0, len(ps))
	for i := range ps {
		if err := ps[i].Check(); err != nil {
			return fmt.Errorf("%w: item %d: %w", store.ErrInvalid, i, err)
		}
		b, _ := json.Marshal(ps[i])
		items = append(items, store.CatalogItem{SKU: ps[i].SKU, Data: b})
	}
	if err := st.PutCatalogItems(ctx, tenant, items); err != nil {
		return err
	}
	if notify != nil {
		notify(tenant)
	}
	return nil
}

func (s *Service) putCatalogItem(c *fiber.Ctx) error {
	var p knowledge.Product
	if err := decodeBody(c, &p); err != nil {
		return apiError(c, fiber.StatusBadRequest, CodeBadRequest, err.Error())
	}
	if p.SKU == "" {
		p.SKU = c.Params("sku")
	}
	if p.SKU != c.Params("sku") {
		return apiError(c, fiber.StatusBadRequest, CodeBadRequest, "sku in the body differs from the path")
	}
	if err := PutProducts(c.UserContext(), s.st, tenantOf(c), []knowledge.Product{p}, s.knowledgeChanged); err != nil {
		return kbError(c, err)
	}
	return c.JSON(p)
}

func (s *Service) putCatalogItems(c *fiber.Ctx) error {
	var ps []knowledge.Product
	if err := decodeBody(c, &ps); err != nil {
		return apiError(c, fiber.StatusBadRequest, CodeBadRequest, err.Error())
	}
	if err := PutProducts(c.UserContext(), s.st, tenantOf(c), ps, s.knowledgeChanged); err != nil {
		return kbError(c, err)
	}
	return c.JSON(fiber.Map{"items": len(ps)})
}

func (s *Service) listGaps(c *fiber.Ctx) error {
	days, _ := strconv.Atoi(c.Query("days", "7"))
	if days <= 0 || days > 90 {
		days = 7
	}
	gaps, err := s.Gaps(c.UserContext(), tenantOf(c), time.Now().Add(-time.Duration(days)*24*time.Hour))
	if err != nil {
		return kbError(c, err)
	}
	for i := range gaps { // a second net: the texts passed the region's pipeline already (hotweek.go)
		for j := range gaps[i].Examples {
			gaps[i].Examples[j] = maskedExample(gaps[i].Examples[j])
		}
	}
	return c.JSON(fiber.Map{"gaps": gaps})
}

// DraftView is a FAQ draft as the REST API shows it.
type DraftView struct {
	ID        string            `json:"id"`
	Gap       string            `json:"gap,omitempty"`
	Question  string            `json:"question"`
	Answer    string            `json:"answer"`
	Lang      string            `json:"lang"`
	Sources   []string          `json:"sources,omitempty"`
	Status    store.DraftStatus `json:"status"`
	CreatedAt time.Time         `json:"created_at"`
	DecidedAt *time.Time        `json:"decided_at,omitempty"`
}

func draftView(d store.Draft) DraftView {
	v := DraftView{ID: d.ID, Gap: d.Gap, Question: d.Question, Answer: d.Answer, Lang: d.Lang, Status: d.Status, CreatedAt: d.CreatedAt}
	if d.Sources != "" {
		v.Sources = strings.Split(d.Sources, ",")
	}
	if !d.DecidedAt.IsZero() {
		t := d.DecidedAt
		v.DecidedAt = &t
	}
	return v
}

func (s *Service) listDrafts(c *fiber.Ctx) error {
	ds, err := s.st.Drafts(c.UserContext(), tenantOf(c), store.DraftStatus(c.Query("status")))
	if err != nil {
		return kbError(c, err)
	}
	out := make([]DraftView, 0, len(ds))
	for _, d := range ds {
		out = append(out, draftView(d))
	}
	return c.JSON(fiber.Map{"drafts": out})
}

// DraftRequest is the body of POST /v1/knowledge/drafts and of approve.
type DraftRequest struct {
	Gap      string `json:"gap,omitempty"`
	Question string `json:"question,omitempty"`
	Answer   string `json:"answer,omitempty"`
	Lang     string `json:"lang,omitempty"`
}

func (s *Service) createDraft(c *fiber.Ctx) error {
	var req DraftRequest
	if err := decodeBody(c, &req); err != nil {
		return apiError(c, fiber.StatusBadRequest, CodeBadRequest, err.Error())
	}
	d, err := s.DraftFor(c.UserContext(), tenantOf(c), req)
	if err != nil {
		return kbError(c, err)
	}
	return c.Status(fiber.StatusCreated).JSON(draftView(d))
}

func (s *Service) approveDraft(c *fiber.Ctx) error {
	var req DraftRequest
	if len(c.Body()) > 0 {
		if err := decodeBody(c, &req); err != nil {
			return apiError(c, fiber.StatusBadRequest, CodeBadRequest, err.Error())
		}
	}
	d, err := s.ApproveDraft(c.UserContext(), tenantOf(c), c.Params("id"), req.Question, req.Answer)
	if err != nil {
		return kbError(c, err)
	}
	return c.JSON(draftView(d))
}

func (s *Service) rejectDraft(c *fiber.Ctx) error {
	d, err := s.st.Draft(c.UserContext(), tenantOf(c), c.Params("id"))
	if err != nil {
		return kbError(c, err)
	}
	d.Status, d.DecidedAt = store.DraftRejected, time.Now()
	if err := s.st.PutDraft(c.UserContext(), d); err != nil {
		return kbError(c, err)
	}
	return c.JSON(draftView(d))
}

// ImportProducts stores catalogue items and tells every replica.
func (s *Service) ImportProducts(ctx context.Context, tenant string, ps []knowledge.Product) error {
	return PutProducts(ctx, s.st, tenant, ps, s.knowledgeChanged)
}

// Scopes of the knowledge and catalogue routes (the OpenAPI fragment
// central/openapi/fragments/knowledge.json names them).
var (
	ScopeKnowledgeRead  = scope.Register("knowledge:read", "read knowledge documents, FAQ pairs, facts, gaps and drafts; ask the hub", store.RoleAgent)
	ScopeKnowledgeWrite = scope.Register("knowledge:write", "upload, replace and delete knowledge documents; draft and approve FAQ pairs", store.RoleAdmin)
	ScopeCatalogRead    = scope.Register("catalog:read", "read the product catalogue", store.RoleAgent)
	ScopeCatalogWrite   = scope.Register("catalog:write", "create and update catalogue items (live stock, price, promotion)", store.RoleAdmin)
)
