package central

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/kefu-io/kefu/central/knowledge"
	"github.com/kefu-io/kefu/central/store"
	"github.com/kefu-io/kefu/chat"
)

// kbPoll is how often a replica checks the store's knowledge revisions
// (for changes made by another process, e.g. `kefu kb ingest --data`, or
// a lost change notice).
const kbPoll = time.Second

// kbState is the replica's view of every tenant's knowledge.
type kbState struct {
	hub  *knowledge.Hub
	mu   sync.Mutex
	revs map[string]int64
	// edges: when a tenant must be reloaded without an edit (the next
	// opening or closing of one of its enabled hot-topic templates).
	edges map[string]time.Time
	kick  chan string
	kv    jetstream.KeyValue
	// clock is the time templates are opened and closed by (tests move it).
	clockMu sync.Mutex
	clock   func() time.Time
}

func (k *kbState) now() time.Time {
	k.clockMu.Lock()
	c := k.clock
	k.clockMu.Unlock()
	if c == nil {
		return time.Now()
	}
	return c()
}

// setNow replaces the clock (tests).
func (k *kbState) setNow(f func() time.Time) {
	k.clockMu.Lock()
	k.clock = f
	k.clockMu.Unlock()
}

// startKnowledge loads every tenant's knowledge, publishes the browser
// packs, and starts following changes.
func (s *Service) startKnowledge(ctx context.Context) error {
	s.kbs = &kbState{hub: knowledge.NewHub(knowledge.HubOptions{}), revs: map[string]int64{}, edges: map[string]time.Time{}, kick: make(chan string, 64)}
	kv, err := s.js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: chat.BucketKnowledgePacks, History: 1, Replicas: s.bucketReplicas(ctx, chat.BucketKnowledgePacks),
		Description: "browser FAQ packs built from each tenant's knowledge (central/kb.go)"})
	if err != nil {
		return fmt.Errorf("central: knowledge packs bucket: %w", err)
	}
	s.kbs.kv = kv
	if err := s.syncKnowledge(ctx); err != nil {
		return err
	}
	sub, err := s.nc.Subscribe(chat.SubjectKnowledgeChangedPrefix+"*", func(m *nats.Msg) {
		select {
		case s.kbs.kick <- strings.TrimPrefix(m.Subject, chat.SubjectKnowledgeChangedPrefix):
		default:
		}
	})
	if err != nil {
		return fmt.Errorf("central: subscribe knowledge changes: %w", err)
	}
	s.subs = append(s.subs, sub)
	go s.followKnowledge()
	return nil
}

func (s *Service) followKnowledge() {
	t := time.NewTicker(kbPoll)
	defer t.Stop()
	every := s.cfg.GapInterval
	if every == 0 {
		every = 5 * time.Minute
	}
	nextGaps := time.Now().Add(every)
	for {
		select {
		case <-s.closed:
			return
		case <-t.C:
		case <-s.kbs.kick:
		}
		if every > 0 && time.Now().After(nextGaps) {
			nextGaps = time.Now().Add(every)
			s.draftGaps()
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		if err := s.syncKnowledge(ctx); err != nil && !s.isClosed() {
			s.log.Warn("knowledge: sync", "err", err)
		}
		cancel()
	}
}

// syncKnowledge reloads every tenant whose revision changed.
func (s *Service) syncKnowledge(ctx context.Context) error {
	revs, err := s.st.KnowledgeRevisions(ctx)
	if err != nil {
		return err
	}
	s.kbs.mu.Lock()
	defer s.kbs.mu.Unlock()
	now := s.kbs.now()
	for tenant, rev := range revs {
		if e := s.kbs.edges[tenant]; s.kbs.revs[tenant] == rev && (e.IsZero() || now.Before(e)) {
			continue
		}
		if err := s.loadTenantKnowledge(ctx, tenant); err != nil {
			return err
		}
		s.kbs.revs[tenant] = rev
	}
	return nil
}

// loadTenantKnowledge rebuilds one tenant's index part and browser pack.
func (s *Service) loadTenantKnowledge(ctx context.Context, tenant string) error {
	start := time.Now()
	stored, err := s.st.Documents(ctx, tenant, false)
	if err != nil {
		return err
	}
	tree, _, err := s.TopicTree(ctx, tenant)
	if err != nil {
		return err
	}
	docs := make([]knowledge.Doc, 0, len(stored))
	for _, d := range stored {
		der, err := knowledge.DecodeDerived(d.Derived)
		if err != nil {
			s.log.Warn("knowledge: document skipped", "tenant", tenant, "doc", d.ID, "err", err)
			continue
		}
		knowledge.AssignTopics(&der, tree) // the tree as it is now (kbtopics.go)
		docs = append(docs, knowledge.Doc{ID: d.ID, Title: d.Title, Version: d.Version, Derived: der})
	}
	// The open hot-topic templates are documents while their window is (kbtemplates.go).
	hot, edge, err := s.templateDocs(ctx, tenant, s.kbs.now())
	if err != nil {
		return err
	}
	for _, d := range hot {
		knowledge.AssignTopics(&d.Derived, tree)
		docs = append(docs, d)
	}
	s.kbs.edges[tenant] = edge
	items, err := s.st.CatalogItems(ctx, tenant)
	if err != nil {
		return err
	}
	products := make([]knowledge.Product, 0, len(items))
	for _, it := range items {
		var p knowledge.Product
		if err := json.Unmarshal(it.Data, &p); err != nil {
			s.log.Warn("knowledge: catalogue item skipped", "tenant", tenant, "sku", it.SKU, "err", err)
			continue
		}
		products = append(products, p)
	}
	if err := s.kbs.hub.Load(ctx, tenant, docs, products); err != nil {
		return err
	}
	entries, decline := s.kbs.hub.Pack(tenant)
	pack := chat.FAQPack{Version: 1, Tenant: tenant, Entries: entries, Decline: decline}
	if pack.Entries == nil {
		pack.Entries = []chat.FAQEntry{}
	}
	b, err := json.Marshal(pack)
	if err != nil {
		return fmt.Errorf("central: knowledge pack of %q: %w", tenant, err)
	}
	if _, err := s.kbs.kv.Put(ctx, chat.SubjectToken(tenant), b); err != nil {
		return fmt.Errorf("central: publish knowledge pack of %q: %w", tenant, err)
	}
	st := s.kbs.hub.Stats(tenant)
	s.log.Info("knowledge loaded", "tenant", tenant, "documents", st.Documents, "passages", st.Passages,
		"faq_pairs", st.FAQPairs, "entities", st.Entities, "products", st.Products, "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// knowledgeChanged tells every replica (this one too) to rebuild tenant.
func (s *Service) knowledgeChanged(tenant string) {
	if err := s.nc.Publish(chat.SubjectKnowledgeChangedPrefix+chat.SubjectToken(tenant), nil); err != nil {
		s.log.Warn("knowledge: change notice", "tenant", tenant, "err", err)
	}
}

// Hub returns the knowledge hub (documents, graph, catalogue).
func (s *Service) Hub() *knowledge.Hub { return s.kbs.hub }

// askHub answers msg from the tenant's knowledge hub.
func (s *Service) askHub(ctx context.Context, env chat.Envelope, msg chat.Message) (knowledge.Answer, error) {
	return s.kbs.hub.Ask(ctx, env.Tenant, knowledge.Question{Text: msg.Text, Lang: msg.Lang, Intent: msg.Intent, SKU: env.Label("sku")})
}

// miss is a question the bot could not answer with confidence, to be
// kept with the reply (store.Store.SaveReplyMiss); nil when it has no text
// (RecordMiss would refuse it).
func (s *Service) miss(tenant string, msg chat.Message, reason string, score float64) *store.Miss {
	if msg.Text == "" {
		return nil
	}
	return &store.Miss{Tenant: tenant, ConversationID: msg.ConversationID, Text: msg.Text, Lang: msg.Lang, Reason: reason, Score: score, At: time.Now()}
}

// recordMiss keeps a question the bot could not answer with confidence.
func (s *Service) recordMiss(ctx context.Context, tenant string, msg chat.Message, reason string, score float64) {
	if err := s.st.RecordMiss(ctx, store.Miss{Tenant: tenant, ConversationID: msg.ConversationID, Text: msg.Text, Lang: msg.Lang, Reason: reason, Score: score, At: time.Now()}); err != nil &&
		!errors.Is(err, context.Canceled) {
		s.log.Warn("knowledge: record miss", "tenant", tenant, "err", err)
	}
}

// withCitations fills the Sources of a conversation's bot answers from
// the store (what the answer cited when it was given), for agents.
func (s *Service) withCitations(ctx context.Context, tenant, conv string, msgs []chat.Message) error {
	byMsg, err := s.st.ConversationCitations(ctx, tenant, conv)
	if err != nil {
		return err
	}
	for i := range msgs {
		if c := byMsg[msgs[i].ID]; len(c) > 0 {
			msgs[i].Sources = c
		}
	}
	return nil
}

func citations(src []knowledge.Source) []chat.Citation {
	out := make([]chat.Citation, 0, len(src))
	for _, c := range src {
		out = append(out, chat.Citation{Doc: c.Doc, Title: c.Title, Version: c.Version, Passage: c.Passage})
	}
	return out
}

// draftGaps clusters every tenant's recent misses and drafts a FAQ pair
// for each gap asked at least twice that has no draft yet; a pending
// draft gets an agent's answer when one appeared since (refreshDraft).
func (s *Service) draftGaps() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s.kbs.mu.Lock()
	tenants := make([]string, 0, len(s.kbs.revs))
	for t := range s.kbs.revs {
		tenants = append(tenants, t)
	}
	s.kbs.mu.Unlock()
	for _, tenant := range tenants {
		gaps, err := s.Gaps(ctx, tenant, time.Now().Add(-7*24*time.Hour))
		if err != nil {
			s.log.Warn("knowledge: gaps", "tenant", tenant, "err", err)
			continue
		}
		pending, err := s.st.Drafts(ctx, tenant, store.DraftPending)
		if err != nil {
			s.log.Warn("knowledge: drafts", "tenant", tenant, "err", err)
			continue
		}
		byGap := make(map[string]store.Draft, len(pending))
		for _, d := range pending {
			byGap[d.Gap] = d
		}
		for _, g := range gaps {
			if g.Count < 2 {
				continue
			}
			if d, ok := byGap[g.ID]; ok {
				err = s.refreshDraft(ctx, g, d)
			} else if g.Draft == "" {
				_, err = s.DraftFor(ctx, tenant, DraftRequest{Gap: g.ID})
			}
			if err != nil {
				s.log.Warn("knowledge: draft for gap", "tenant", tenant, "gap", g.ID, "err", err)
			}
		}
	}
}
