package central

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode"

	"github.com/gofiber/fiber/v2"

	"github.com/kefu-io/kefu/central/knowledge"
	"github.com/kefu-io/kefu/central/store"
)

// A tenant's topic tree (REST under /v1/knowledge/topics).
//
// A tenant starts with knowledge.DefaultTopics (one level: shipping,
// returns, payment…) until its first edit stores the whole tree. Ingest
// assigns every document, passage and FAQ pair to the topics of the
// tree it declares or whose words it contains (knowledge.AssignTopics),
// and creates the declared topics the tree lacks. Every tree edit
// increments the tenant's knowledge revision, so every replica reloads:
// the passages' topics are reassigned from the tree at each load, and
// search filters (POST /v1/knowledge/ask {"topic"}, ?topic= on documents
// and FAQ pairs: a topic with its subtree), the browser packs' topic tags,
// and the labels of gaps and hot topics follow the edit within seconds.
// Edits are optimistic: a concurrent edit (ErrStale) is redone on the
// fresh tree.

// TopicRef names a topic of the tree where something is labelled with it.
type TopicRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// TopicNode is a topic as GET /v1/knowledge/topics shows it.
type TopicNode struct {
	ID     string   `json:"id"`
	Parent string   `json:"parent,omitempty"`
	Name   string   `json:"name"`
	Path   string   `json:"path"`
	Words  []string `json:"words"`
	// Documents, Passages and FAQPairs count what is assigned to the topic itself (not its subtree).
	Documents int         `json:"documents"`
	Passages  int         `json:"passages"`
	FAQPairs  int         `json:"faq_pairs"`
	Children  []TopicNode `json:"children"`
}

// TopicsView answers GET /v1/knowledge/topics.
type TopicsView struct {
	// Version is the stored tree's version (0: the default tree, never edited).
	Version int64       `json:"version"`
	Topics  []TopicNode `json:"topics"`
}

// TopicRequest is the body of POST and PATCH /v1/knowledge/topics….
type TopicRequest struct {
	Name string `json:"name,omitempty"`
	// Parent moves the topic ("" = a root; absent = unchanged on PATCH).
	Parent *string   `json:"parent,omitempty"`
	Words  *[]string `json:"words,omitempty"`
}

// TopicTree returns tenant's topic tree and its version (0 = the default).
func (s *Service) TopicTree(ctx context.Context, tenant string) (*knowledge.Tree, int64, error) {
	return topicTreeOf(ctx, s.st, tenant)
}

func topicTreeOf(ctx context.Context, st store.Store, tenant string) (*knowledge.Tree, int64, error) {
	ts, version, ok, err := st.TopicTree(ctx, tenant)
	if err != nil {
		return nil, 0, err
	}
	if !ok {
		return knowledge.NewTree(knowledge.DefaultTopics()), 0, nil
	}
	out := make([]knowledge.Topic, 0, len(ts))
	for _, t := range ts {
		out = append(out, knowledge.Topic{ID: t.ID, Parent: t.Parent, Name: t.Name, Words: t.Words})
	}
	return knowledge.NewTree(out), version, nil
}

// editTopics applies edit to tenant's tree and stores it, redoing the
// edit on a fresh tree when another edit came first.
func editTopics(ctx context.Context, st store.Store, tenant string, edit func([]knowledge.Topic) ([]knowledge.Topic, error)) ([]knowledge.Topic, error) {
	for attempt := 0; ; attempt++ {
		tree, version, err := topicTreeOf(ctx, st, tenant)
		if err != nil {
			return nil, err
		}
		ts, err := edit(tree.Topics())
		if err != nil {
			return nil, err
		}
		rows := make([]store.KBTopic, 0, len(ts))
		for i, t := range ts {
			rows = append(rows, store.KBTopic{ID: t.ID, Parent: t.Parent, Name: t.Name, Words: t.Words, Position: i})
		}
		_, err = st.PutTopicTree(ctx, tenant, version, rows)
		if errors.Is(err, store.ErrStale) && attempt < 5 {
			continue
		}
		if err != nil {
			return nil, err
		}
		return ts, nil
	}
}

// topicID makes a new topic's id from its name: an ASCII slug, else a
// hash; unique among taken.
func topicID(name string, taken func(string) bool) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		if r < 0x80 && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
			continue
		}
		dash = true
	}
	id := b.String()
	if len(id) > 40 {
		id = strings.TrimRight(id[:40], "-")
	}
	if id == "" {
		id = "t" + gapID(name)[1:]
	}
	for i, base := 2, id; taken(id); i++ {
		id = fmt.Sprintf("%s-%d", base, i)
	}
	return id
}

// cleanWords trims, lower-cases and de-duplicates topic words.
func cleanWords(ws []string) ([]string, error) {
	out := []string{}
	seen := map[string]bool{}
	for _, w := range ws {
		w = strings.ToLower(strings.TrimSpace(w))
		if w == "" || seen[w] {
			continue
		}
		if strings.ContainsAny(w, "\r\n") || len(w) > 100 {
			return nil, fmt.Errorf("%w: topic word %q: a line break or over 100 bytes", store.ErrInvalid, w)
		}
		seen[w] = true
		out = append(out, w)
	}
	if len(out) > 200 {
		return nil, fmt.Errorf("%w: over 200 topic words", store.ErrInvalid)
	}
	return out, nil
}

func findTopic(ts []knowledge.Topic, id string) int {
	for i := range ts {
		if ts[i].ID == id {
			return i
		}
	}
	return -1
}

// CreateTopic adds a topic under parent ("" = a root).
func (s *Service) CreateTopic(ctx context.Context, tenant string, req TopicRequest) (knowledge.Topic, error) {
	name := strings.TrimSpace(req.Name)
	if name == "" || len(name) > 200 {
		return knowledge.Topic{}, fmt.Errorf("%w: a topic needs a name of 1–200 bytes", store.ErrInvalid)
	}
	var words []string
	if req.Words != nil {
		w, err := cleanWords(*req.Words)
		if err != nil {
			return knowledge.Topic{}, err
		}
		words = w
	}
	var made knowledge.Topic
	_, err := editTopics(ctx, s.st, tenant, func(ts []knowledge.Topic) ([]knowledge.Topic, error) {
		parent := ""
		if req.Parent != nil {
			parent = *req.Parent
		}
		if parent != "" && findTopic(ts, parent) < 0 {
			return nil, fmt.Errorf("%w: no parent topic %q", store.ErrInvalid, parent)
		}
		for _, t := range ts {
			if t.Parent == parent && strings.EqualFold(t.Name, name) {
				return nil, fmt.Errorf("%w: a topic %q is already there", store.ErrInvalid, name)
			}
		}
		made = knowledge.Topic{ID: topicID(name, func(id string) bool { return findTopic(ts, id) >= 0 }), Parent: parent, Name: name, Words: words}
		if made.Words == nil {
			made.Words = []string{strings.ToLower(name)}
		}
		return append(ts, made), nil
	})
	if err != nil {
		return knowledge.Topic{}, err
	}
	s.knowledgeChanged(tenant)
	return made, nil
}

// UpdateTopic renames a topic, moves it under another parent or changes
// its words.
func (s *Service) UpdateTopic(ctx context.Context, tenant, id string, req TopicRequest) (knowledge.Topic, error) {
	var words []string
	if req.Words != nil {
		w, err := cleanWords(*req.Words)
		if err != nil {
			return knowledge.Topic{}, err
		}
		words = w
	}
	var out knowledge.Topic
	_, err := editTopics(ctx, s.st, tenant, func(ts []knowledge.Topic) ([]knowledge.Topic, error) {
		i := findTopic(ts, id)
		if i < 0 {
			return nil, fmt.Errorf("topic %q: %w", id, store.ErrNotFound)
		}
		t := ts[i]
		if n := strings.TrimSpace(req.Name); n != "" {
			if len(n) > 200 {
				return nil, fmt.Errorf("%w: a topic name is at most 200 bytes", store.ErrInvalid)
			}
			t.Name = n
		}
		if req.Parent != nil {
			p := *req.Parent
			if p != "" && findTopic(ts, p) < 0 {
				return nil, fmt.Errorf("%w: no parent topic %q", store.ErrInvalid, p)
			}
			for q := p; q != ""; q = ts[findTopic(ts, q)].Parent {
				if q == id {
					return nil, fmt.Errorf("%w: topic %q cannot move under itself or its own subtopic", store.ErrInvalid, id)
				}
			}
			t.Parent = p
		}
		if req.Words != nil {
			t.Words = words
		}
		ts[i], out = t, t
		return ts, nil
	})
	if err != nil {
		return knowledge.Topic{}, err
	}
	s.knowledgeChanged(tenant)
	return out, nil
}

// DeleteTopic removes a topic. Its subtopics move to its parent; with
// mergeInto, they move under that topic instead, which also takes the
// deleted topic's words, id and name as its own words, so that what was
// assigned to the deleted topic is assigned to it.
func (s *Service) DeleteTopic(ctx context.Context, tenant, id, mergeInto string) error {
	_, err := editTopics(ctx, s.st, tenant, func(ts []knowledge.Topic) ([]knowledge.Topic, error) {
		i := findTopic(ts, id)
		if i < 0 {
			return nil, fmt.Errorf("topic %q: %w", id, store.ErrNotFound)
		}
		gone := ts[i]
		newParent := gone.Parent
		if mergeInto != "" {
			j := findTopic(ts, mergeInto)
			if j < 0 || mergeInto == id {
				return nil, fmt.Errorf("%w: no topic %q to merge into", store.ErrInvalid, mergeInto)
			}
			for q := ts[j].Parent; q != ""; q = ts[findTopic(ts, q)].Parent {
				if q == id {
					newParent = gone.Parent // merging into a subtopic: it moves up first
					ts[j].Parent = gone.Parent
					break
				}
			}
			w, err := cleanWords(append(append(append([]string{}, ts[j].Words...), gone.Words...), gone.ID, gone.Name))
			if err != nil {
				return nil, err
			}
			ts[j].Words = w
			newParent = mergeInto
		}
		out := make([]knowledge.Topic, 0, len(ts)-1)
		for _, t := range ts {
			if t.ID == id {
				continue
			}
			if t.Parent == id {
				t.Parent = newParent
			}
			out = append(out, t)
		}
		return out, nil
	})
	if err != nil {
		return err
	}
	s.knowledgeChanged(tenant)
	return nil
}

// ensureDeclaredTopics adds to tenant's tree the topics documents
// declare that it lacks (roots named as declared).
func ensureDeclaredTopics(ctx context.Context, st store.Store, tenant string, names []string) (*knowledge.Tree, error) {
	tree, _, err := topicTreeOf(ctx, st, tenant)
	if err != nil {
		return nil, err
	}
	var missing []string
	for _, n := range names {
		if _, ok := tree.Resolve(n); !ok && strings.TrimSpace(n) != "" && !containsStr(missing, n) {
			missing = append(missing, n)
		}
	}
	if len(missing) == 0 {
		return tree, nil
	}
	ts, err := editTopics(ctx, st, tenant, func(ts []knowledge.Topic) ([]knowledge.Topic, error) {
		t := knowledge.NewTree(ts)
		for _, n := range missing {
			if _, ok := t.Resolve(n); ok {
				continue
			}
			name := strings.TrimSpace(n)
			ts = append(ts, knowledge.Topic{ID: topicID(name, func(id string) bool { return findTopic(ts, id) >= 0 }), Name: name,
				Words: []string{strings.ToLower(name)}})
			t = knowledge.NewTree(ts)
		}
		return ts, nil
	})
	if err != nil {
		return nil, err
	}
	return knowledge.NewTree(ts), nil
}

// topicRefs names ids by the tree.
func topicRefs(tree *knowledge.Tree, ids []string) []TopicRef {
	out := []TopicRef{}
	for _, id := range ids {
		if t, ok := tree.Topic(id); ok {
			out = append(out, TopicRef{ID: id, Name: t.Name})
		}
	}
	return out
}

// labelText returns the topics of tree a cluster of questions is about:
// the topic of its intent when the tree has it, and those whose words the
// examples contain.
func labelText(tree *knowledge.Tree, intent string, texts []string) []string {
	var ids []string
	if id := knowledge.IntentTopic(intent); id != "" {
		if _, ok := tree.Topic(id); ok {
			ids = append(ids, id)
		}
	}
	for _, id := range tree.Match(strings.Join(texts, "\n")) {
		if !containsStr(ids, id) {
			ids = append(ids, id)
		}
	}
	return ids
}

// labelTopics names hot-topic clusters with the tree's topics: a cluster
// the intent model did not label is labelled with its topics' names.
func (s *Service) labelTopics(ctx context.Context, tenant string, ts []Topic) []Topic {
	tree, _, err := s.TopicTree(ctx, tenant)
	if err != nil {
		s.log.Warn("knowledge: topic tree", "tenant", tenant, "err", err)
		return ts
	}
	for i := range ts {
		t := &ts[i]
		t.Topics = topicRefs(tree, labelText(tree, t.Intent, append(append([]string{}, t.Examples...), t.Terms...)))
		if len(t.Topics) > 0 && (t.Intent == "" || vagueIntents[t.Intent] || t.Intent == "human") {
			t.Label = t.Topics[0].Name
		}
	}
	return ts
}

// topicNodes builds the tree view with the hub's counts.
func (s *Service) topicNodes(tenant string, tree *knowledge.Tree, parent string) []TopicNode {
	counts := s.kbs.hub.TopicCounts(tenant)
	var build func(parent string) []TopicNode
	build = func(parent string) []TopicNode {
		out := []TopicNode{}
		for _, id := range tree.Children(parent) {
			t, _ := tree.Topic(id)
			c := counts[id]
			words := t.Words
			if words == nil {
				words = []string{}
			}
			out = append(out, TopicNode{ID: id, Parent: t.Parent, Name: t.Name, Path: tree.Path(id), Words: words,
				Documents: c.Documents, Passages: c.Passages, FAQPairs: c.FAQPairs, Children: build(id)})
		}
		return out
	}
	return build(parent)
}

func (s *Service) listTopics(c *fiber.Ctx) error {
	tree, version, err := s.TopicTree(c.UserContext(), tenantOf(c))
	if err != nil {
		return kbError(c, err)
	}
	return c.JSON(TopicsView{Version: version, Topics: s.topicNodes(tenantOf(c), tree, "")})
}

func (s *Service) topicView(c *fiber.Ctx, t knowledge.Topic) error {
	tree, _, err := s.TopicTree(c.UserContext(), tenantOf(c))
	if err != nil {
		return kbError(c, err)
	}
	words := t.Words
	if words == nil {
		words = []string{}
	}
	return c.JSON(TopicNode{ID: t.ID, Parent: t.Parent, Name: t.Name, Path: tree.Path(t.ID), Words: words,
		Children: s.topicNodes(tenantOf(c), tree, t.ID)})
}

func (s *Service) createTopic(c *fiber.Ctx) error {
	var req TopicRequest
	if err := decodeBody(c, &req); err != nil {
		return apiError(c, fiber.StatusBadRequest, CodeBadRequest, err.Error())
	}
	t, err := s.CreateTopic(c.UserContext(), tenantOf(c), req)
	if err != nil {
		return kbError(c, err)
	}
	c.Status(fiber.StatusCreated)
	return s.topicView(c, t)
}

func (s *Service) updateTopic(c *fiber.Ctx) error {
	var req TopicRequest
	if err := decodeBody(c, &req); err != nil {
		return apiError(c, fiber.StatusBadRequest, CodeBadRequest, err.Error())
	}
	t, err := s.UpdateTopic(c.UserContext(), tenantOf(c), c.Params("id"), req)
	if err != nil {
		return kbError(c, err)
	}
	return s.topicView(c, t)
}

func (s *Service) deleteTopic(c *fiber.Ctx) error {
	if err := s.DeleteTopic(c.UserContext(), tenantOf(c), c.Params("id"), c.Query("merge_into")); err != nil {
		return kbError(c, err)
	}
	return c.SendStatus(fiber.StatusNoContent)
}
