package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrStale is returned by PutTopicTree when the tree changed since the
// caller read it: read it again and redo the edit.
var ErrStale = errors.New("store: changed meanwhile")

// KBTopic is one node of a tenant's topic tree (the tree the knowledge
// hub assigns documents, passages and FAQ pairs to).
type KBTopic struct {
	ID     string
	Parent string
	Name   string
	// Words signal the topic in a text, in any language.
	Words []string
	// Position orders siblings.
	Position int
}

// TopicTree returns tenant's topic tree in position order and its
// version; ok is false when the tenant never stored one (it then uses
// the default tree of central/knowledge).
func (s *sqlStore) TopicTree(ctx context.Context, tenant string) ([]KBTopic, int64, bool, error) {
	var version int64
	err := s.db.QueryRowContext(ctx, s.q(`SELECT version FROM kb_topic_trees WHERE tenant = ?`), tenant).Scan(&version)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, 0, false, nil
	}
	if err != nil {
		return nil, 0, false, fmt.Errorf("store: topic tree of %q: %w", tenant, err)
	}
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT id, parent, name, words, position FROM kb_topics WHERE tenant = ? ORDER BY position, id`), tenant)
	if err != nil {
		return nil, 0, false, fmt.Errorf("store: topic tree of %q: %w", tenant, err)
	}
	out, err := collect(rows, func(r interface{ Scan(...any) error }) (KBTopic, error) {
		var t KBTopic
		var words string
		err := r.Scan(&t.ID, &t.Parent, &t.Name, &words, &t.Position)
		if words != "" {
			t.Words = strings.Split(words, "\n")
		}
		return t, err
	})
	if err != nil {
		return nil, 0, false, fmt.Errorf("store: topic tree of %q: %w", tenant, err)
	}
	return out, version, true, nil
}

// PutTopicTree replaces tenant's topic tree in one transaction when its
// version is still version (0 for a tenant that never stored one), else
// ErrStale; it returns the new version and increments the tenant's
// knowledge revision, so every replica reassigns topics. The tree must be
// a forest: unique non-empty ids, names, parents that exist, no cycle.
func (s *sqlStore) PutTopicTree(ctx context.Context, tenant string, version int64, topics []KBTopic) (int64, error) {
	if tenant == "" {
		return 0, fmt.Errorf("store: put topic tree: %w: empty tenant", ErrInvalid)
	}
	if err := checkForest(topics); err != nil {
		return 0, fmt.Errorf("store: put topic tree of %q: %w: %w", tenant, ErrInvalid, err)
	}
	var next int64
	err := s.withTx(ctx, func(tx *sql.Tx) error {
		var cur int64
		err := tx.QueryRowContext(ctx, s.q(`SELECT version FROM kb_topic_trees WHERE tenant = ?`), tenant).Scan(&cur)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("store: topic tree of %q: %w", tenant, err)
		}
		if cur != version {
			return fmt.Errorf("store: topic tree of %q is version %d, not %d: %w", tenant, cur, version, ErrStale)
		}
		next = cur + 1
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO kb_topic_trees (tenant, version, updated_at) VALUES (?, ?, ?)
			ON CONFLICT (tenant) DO UPDATE SET version = excluded.version, updated_at = excluded.updated_at`), tenant, next, ms(time.Now())); err != nil {
			return fmt.Errorf("store: topic tree of %q: %w", tenant, err)
		}
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM kb_topics WHERE tenant = ?`), tenant); err != nil {
			return fmt.Errorf("store: topic tree of %q: %w", tenant, err)
		}
		for _, t := range topics {
			if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO kb_topics (tenant, id, parent, name, words, position) VALUES (?, ?, ?, ?, ?, ?)`),
				tenant, t.ID, t.Parent, t.Name, strings.Join(t.Words, "\n"), t.Position); err != nil {
				return fmt.Errorf("store: topic %q of %q: %w", t.ID, tenant, err)
			}
		}
		return s.bumpRevision(ctx, tx, tenant)
	})
	if err != nil {
		return 0, err
	}
	return next, nil
}

// checkForest checks that topics form a forest.
func checkForest(topics []KBTopic) error {
	byID := map[string]KBTopic{}
	for _, t := range topics {
		switch {
		case t.ID == "" || len(t.ID) > 64:
			return fmt.Errorf("topic id %q: empty or over 64 bytes", t.ID)
		case strings.TrimSpace(t.Name) == "" || len(t.Name) > 200:
			return fmt.Errorf("topic %q: empty or over-long name", t.ID)
		}
		for _, w := range t.Words {
			if strings.Contains(w, "\n") || strings.TrimSpace(w) == "" {
				return fmt.Errorf("topic %q: an empty word or one with a line break", t.ID)
			}
		}
		if _, dup := byID[t.ID]; dup {
			return fmt.Errorf("topic id %q twice", t.ID)
		}
		byID[t.ID] = t
	}
	for _, t := range topics {
		seen := map[string]bool{t.ID: true}
		for p := t.Parent; p != ""; p = byID[p].Parent {
			if _, ok := byID[p]; !ok {
				return fmt.Errorf("topic %q: no parent %q", t.ID, p)
			}
			if seen[p] {
				return fmt.Errorf("topic %q: a cycle through %q", t.ID, p)
			}
			seen[p] = true
		}
	}
	return nil
}

func init() { migrations = append(migrations, topicMigrations...) }

// topicMigrations are the tables of the topic tree (knowledge range 1100–1199).
var topicMigrations = []struct {
	version int
	stmt    string
}{
	{1120, `CREATE TABLE IF NOT EXISTS kb_topic_trees (tenant TEXT PRIMARY KEY, version BIGINT NOT NULL, updated_at BIGINT NOT NULL)`},
	{1121, `CREATE TABLE IF NOT EXISTS kb_topics (tenant TEXT NOT NULL, id TEXT NOT NULL, parent TEXT NOT NULL, name TEXT NOT NULL,
		words TEXT NOT NULL, position INTEGER NOT NULL, PRIMARY KEY (tenant, id))`},
}
