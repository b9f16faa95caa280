package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// KnowledgeStore keeps a tenant's knowledge: documents with every version,
// the product catalogue, the questions the bot could not answer (misses,
// the raw material of gaps) and FAQ drafts. What a document means (its
// passages, FAQ pairs and facts) is kept as opaque JSON (Derived) written
// by central/knowledge; the store versions it with the document.
//
// Every change to a tenant's documents or catalogue increments the
// tenant's knowledge revision (KnowledgeRevisions) in the same
// transaction, so every central replica — and a `kefu kb ingest --data`
// run in another process — can tell within a poll that a tenant's index
// part must be rebuilt.
type KnowledgeStore interface {
	// PutDocuments stores documents in one transaction. A document whose
	// SHA equals its live version's is left unchanged (changed[i] false);
	// otherwise its version grows by one and the version is kept.
	PutDocuments(ctx context.Context, tenant string, docs []KBDocument) (stored []KBDocument, changed []bool, err error)
	// DeleteDocument marks a document deleted (a new version with Deleted
	// set). An unknown or already deleted one is ErrNotFound.
	DeleteDocument(ctx context.Context, tenant, id string, now time.Time) error
	// Document returns the live version of a document or ErrNotFound.
	Document(ctx context.Context, tenant, id string) (KBDocument, error)
	// Documents lists a tenant's live documents by id; without bodies when
	// withBody is false (Derived is always filled).
	Documents(ctx context.Context, tenant string, withBody bool) ([]KBDocument, error)
	// DocumentVersions lists every version of a document, newest first.
	DocumentVersions(ctx context.Context, tenant, id string) ([]KBDocument, error)

	// PutCatalogItems creates or replaces catalogue items in one transaction.
	PutCatalogItems(ctx context.Context, tenant string, items []CatalogItem) error
	// CatalogItems lists a tenant's catalogue by SKU.
	CatalogItems(ctx context.Context, tenant string) ([]CatalogItem, error)

	// KnowledgeRevisions returns every tenant's knowledge revision.
	KnowledgeRevisions(ctx context.Context) (map[string]int64, error)

	// RecordMiss keeps a question the bot did not answer with confidence.
	RecordMiss(ctx context.Context, m Miss) error
	// Misses lists a tenant's misses at or after since, newest first, at most limit (0 = 1000).
	Misses(ctx context.Context, tenant string, since time.Time, limit int) ([]Miss, error)

	// TopicTree returns tenant's topic tree in position order and its
	// version; ok is false when the tenant never stored one.
	TopicTree(ctx context.Context, tenant string) (topics []KBTopic, version int64, ok bool, err error)
	// PutTopicTree replaces tenant's topic tree if it is still at version
	// (0: never stored), else ErrStale; it returns the new version and
	// increments the knowledge revision. The topics must form a forest.
	PutTopicTree(ctx context.Context, tenant string, version int64, topics []KBTopic) (int64, error)

	// HotTemplates lists tenant's stored hot-topic template states by id.
	HotTemplates(ctx context.Context, tenant string) ([]KBTemplate, error)
	// PutHotTemplate creates or replaces a template state and increments
	// the knowledge revision.
	PutHotTemplate(ctx context.Context, t KBTemplate) error
	// DeleteHotTemplate removes a template state (ErrNotFound when there is
	// none) and increments the knowledge revision.
	DeleteHotTemplate(ctx context.Context, tenant, id string) error

	// PutDraft creates or replaces a draft (by tenant and id).
	PutDraft(ctx context.Context, d Draft) error
	// Draft returns one draft or ErrNotFound.
	Draft(ctx context.Context, tenant, id string) (Draft, error)
	// Drafts lists a tenant's drafts in status ("" = every status), newest first.
	Drafts(ctx context.Context, tenant string, status DraftStatus) ([]Draft, error)
}

// KBDocument is one version of a knowledge document.
type KBDocument struct {
	Tenant  string
	ID      string
	Version int
	Title   string
	// Kind is the source format: markdown, html, text, pdf, faq (CSV/XLSX sheet), draft.
	Kind string
	// Source is where it came from (a file name, "upload", "draft:ID").
	Source string
	// SHA is the hash of the source bytes: an unchanged file makes no version.
	SHA string
	// Body is the extracted plain text.
	Body string
	// Derived is central/knowledge's JSON of passages, FAQ pairs and facts.
	Derived   []byte
	Deleted   bool
	UpdatedAt time.Time
}

// CatalogItem is one product variant (SKU); Data is its JSON.
type CatalogItem struct {
	SKU       string
	Data      []byte
	UpdatedAt time.Time
}

// Miss is a shopper question the bot did not answer with confidence.
type Miss struct {
	Tenant string
	// ConversationID is the conversation the question was asked in, so
	// that erasing its visitor erases the question too.
	ConversationID string
	Text           string
	Lang           string
	// Reason: fallback, clarify (central), local_low (the widget answered
	// in the browser below central's LocalLowScore), handover (the
	// question that took the shopper to a person).
	Reason string
	Score  float64
	// Reply is an agent's answer to it, when one followed.
	Reply string
	At    time.Time
}

// DraftStatus is where a FAQ draft stands.
type DraftStatus string

// Draft states.
const (
	DraftPending  DraftStatus = "pending"
	DraftApproved DraftStatus = "approved"
	DraftRejected DraftStatus = "rejected"
)

// Draft is a suggested FAQ pair for a knowledge gap.
type Draft struct {
	Tenant   string
	ID       string
	Gap      string
	Question string
	Answer   string
	Lang     string
	// Sources are the document ids the answer was drawn from.
	Sources   string
	Status    DraftStatus
	CreatedAt time.Time
	DecidedAt time.Time
}

var _ KnowledgeStore = (*sqlStore)(nil)

func (s *sqlStore) bumpRevision(ctx context.Context, tx *sql.Tx, tenant string) error {
	_, err := tx.ExecContext(ctx, s.q(`INSERT INTO kb_revisions (tenant, rev) VALUES (?, 1)
		ON CONFLICT (tenant) DO UPDATE SET rev = kb_revisions.rev + 1`), tenant)
	if err != nil {
		return fmt.Errorf("store: knowledge revision of %q: %w", tenant, err)
	}
	return nil
}

const kbDocCols = `id, version, title, kind, source, sha, body, derived, deleted, updated_at`

func scanKBDoc(tenant string, row interface{ Scan(...any) error }) (KBDocument, error) {
	d := KBDocument{Tenant: tenant}
	var del int
	var at int64
	var derived string
	err := row.Scan(&d.ID, &d.Version, &d.Title, &d.Kind, &d.Source, &d.SHA, &d.Body, &derived, &del, &at)
	d.Derived, d.Deleted, d.UpdatedAt = []byte(derived), del != 0, fromMS(at)
	return d, err
}

func (s *sqlStore) liveDoc(ctx context.Context, q querier, tenant, id string) (KBDocument, error) {
	d, err := scanKBDoc(tenant, q.QueryRowContext(ctx, s.q(`SELECT `+kbDocCols+` FROM kb_docs WHERE tenant = ? AND id = ?`), tenant, id))
	if errors.Is(err, sql.ErrNoRows) {
		return KBDocument{}, fmt.Errorf("store: document %q of %q: %w", id, tenant, ErrNotFound)
	}
	if err != nil {
		return KBDocument{}, fmt.Errorf("store: document %q of %q: %w", id, tenant, err)
	}
	return d, nil
}

func (s *sqlStore) writeDoc(ctx context.Context, tx *sql.Tx, d KBDocument) error {
	args := []any{d.Tenant, d.ID, d.Version, d.Title, d.Kind, d.Source, d.SHA, d.Body, string(d.Derived), b2i(d.Deleted), ms(d.UpdatedAt)}
	if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO kb_docs (tenant, `+kbDocCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (tenant, id) DO UPDATE SET version = excluded.version, title = excluded.title, kind = excluded.kind,
		source = excluded.source, sha = excluded.sha, body = excluded.body, derived = excluded.derived,
		deleted = excluded.deleted, updated_at = excluded.updated_at`), args...); err != nil {
		return fmt.Errorf("store: document %q: %w", d.ID, err)
	}
	if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO kb_doc_versions (tenant, `+kbDocCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`), args...); err != nil {
		return fmt.Errorf("store: document %q version %d: %w", d.ID, d.Version, err)
	}
	return nil
}

func (s *sqlStore) PutDocuments(ctx context.Context, tenant string, docs []KBDocument) ([]KBDocument, []bool, error) {
	if tenant == "" {
		return nil, nil, fmt.Errorf("store: put documents: %w: empty tenant", ErrInvalid)
	}
	for i, d := range docs {
		if d.ID == "" || len(d.ID) > 200 {
			return nil, nil, fmt.Errorf("store: put documents: %w: document %d has an empty or over-long id", ErrInvalid, i)
		}
	}
	stored := make([]KBDocument, len(docs))
	changed := make([]bool, len(docs))
	err := s.withTx(ctx, func(tx *sql.Tx) error {
		any := false
		for i, d := range docs {
			d.Tenant, d.Deleted = tenant, false
			if d.UpdatedAt.IsZero() {
				d.UpdatedAt = time.Now()
			}
			old, err := s.liveDoc(ctx, tx, tenant, d.ID)
			switch {
			case err == nil && !old.Deleted && old.SHA == d.SHA && d.SHA != "":
				stored[i] = old
				continue
			case err == nil:
				d.Version = old.Version + 1
			case errors.Is(err, ErrNotFound):
				d.Version = 1
			default:
				return err
			}
			if err := s.writeDoc(ctx, tx, d); err != nil {
				return err
			}
			stored[i], changed[i], any = d, true, true
		}
		if any {
			return s.bumpRevision(ctx, tx, tenant)
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return stored, changed, nil
}

func (s *sqlStore) DeleteDocument(ctx context.Context, tenant, id string, now time.Time) error {
	return s.withTx(ctx, func(tx *sql.Tx) error {
		d, err := s.liveDoc(ctx, tx, tenant, id)
		if err != nil {
			return err
		}
		if d.Deleted {
			return fmt.Errorf("store: document %q of %q: %w", id, tenant, ErrNotFound)
		}
		d.Version++
		d.Deleted, d.UpdatedAt, d.Body, d.Derived = true, now, "", nil
		if err := s.writeDoc(ctx, tx, d); err != nil {
			return err
		}
		return s.bumpRevision(ctx, tx, tenant)
	})
}

func (s *sqlStore) Document(ctx context.Context, tenant, id string) (KBDocument, error) {
	d, err := s.liveDoc(ctx, s.db, tenant, id)
	if err == nil && d.Deleted {
		return KBDocument{}, fmt.Errorf("store: document %q of %q: %w", id, tenant, ErrNotFound)
	}
	return d, err
}

func (s *sqlStore) Documents(ctx context.Context, tenant string, withBody bool) ([]KBDocument, error) {
	cols := kbDocCols
	if !withBody {
		cols = `id, version, title, kind, source, sha, '', derived, deleted, updated_at`
	}
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT `+cols+` FROM kb_docs WHERE tenant = ? AND deleted = 0 ORDER BY id`), tenant)
	if err != nil {
		return nil, fmt.Errorf("store: documents of %q: %w", tenant, err)
	}
	out, err := collect(rows, func(r interface{ Scan(...any) error }) (KBDocument, error) { return scanKBDoc(tenant, r) })
	if err != nil {
		return nil, fmt.Errorf("store: documents of %q: %w", tenant, err)
	}
	return out, nil
}

func (s *sqlStore) DocumentVersions(ctx context.Context, tenant, id string) ([]KBDocument, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT `+kbDocCols+` FROM kb_doc_versions WHERE tenant = ? AND id = ? ORDER BY version DESC`), tenant, id)
	if err != nil {
		return nil, fmt.Errorf("store: versions of %q: %w", id, err)
	}
	out, err := collect(rows, func(r interface{ Scan(...any) error }) (KBDocument, error) { return scanKBDoc(tenant, r) })
	if err != nil {
		return nil, fmt.Errorf("store: versions of %q: %w", id, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("store: document %q of %q: %w", id, tenant, ErrNotFound)
	}
	return out, nil
}

func (s *sqlStore) PutCatalogItems(ctx context.Context, tenant string, items []CatalogItem) error {
	if tenant == "" {
		return fmt.Errorf("store: put catalogue: %w: empty tenant", ErrInvalid)
	}
	return s.withTx(ctx, func(tx *sql.Tx) error {
		for _, it := range items {
			if it.SKU == "" || len(it.SKU) > 200 {
				return fmt.Errorf("store: put catalogue: %w: empty or over-long sku", ErrInvalid)
			}
			if it.UpdatedAt.IsZero() {
				it.UpdatedAt = time.Now()
			}
			if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO kb_catalog (tenant, sku, data, updated_at) VALUES (?, ?, ?, ?)
				ON CONFLICT (tenant, sku) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at`),
				tenant, it.SKU, string(it.Data), ms(it.UpdatedAt)); err != nil {
				return fmt.Errorf("store: put catalogue item %q: %w", it.SKU, err)
			}
		}
		return s.bumpRevision(ctx, tx, tenant)
	})
}

func (s *sqlStore) CatalogItems(ctx context.Context, tenant string) ([]CatalogItem, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT sku, data, updated_at FROM kb_catalog WHERE tenant = ? ORDER BY sku`), tenant)
	if err != nil {
		return nil, fmt.Errorf("store: catalogue of %q: %w", tenant, err)
	}
	out, err := collect(rows, func(r interface{ Scan(...any) error }) (CatalogItem, error) {
		var it CatalogItem
		var data string
		var at int64
		err := r.Scan(&it.SKU, &data, &at)
		it.Data, it.UpdatedAt = []byte(data), fromMS(at)
		return it, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: catalogue of %q: %w", tenant, err)
	}
	return out, nil
}

func (s *sqlStore) KnowledgeRevisions(ctx context.Context) (map[string]int64, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT tenant, rev FROM kb_revisions`)
	if err != nil {
		return nil, fmt.Errorf("store: knowledge revisions: %w", err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var t string
		var r int64
		if err := rows.Scan(&t, &r); err != nil {
			return nil, fmt.Errorf("store: knowledge revisions: %w", err)
		}
		out[t] = r
	}
	return out, rows.Err()
}

func (s *sqlStore) RecordMiss(ctx context.Context, m Miss) error {
	if err := validMiss(&m); err != nil {
		return err
	}
	if _, err := s.execTx(ctx, s.q(insertMissSQL), missArgs(m)...); err != nil {
		return fmt.Errorf("store: record miss: %w", err)
	}
	return nil
}

const insertMissSQL = `INSERT INTO kb_misses (tenant, conversation_id, text, lang, reason, score, reply, at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`

// validMiss checks m and sets its time when missing.
func validMiss(m *Miss) error {
	if m.Tenant == "" || m.Text == "" {
		return fmt.Errorf("store: record miss: %w: empty tenant or text", ErrInvalid)
	}
	if m.At.IsZero() {
		m.At = time.Now()
	}
	return nil
}

func missArgs(m Miss) []any {
	return []any{m.Tenant, m.ConversationID, m.Text, m.Lang, m.Reason, m.Score, m.Reply, ms(m.At)}
}

func (s *sqlStore) Misses(ctx context.Context, tenant string, since time.Time, limit int) ([]Miss, error) {
	if limit <= 0 {
		limit = 1000
	}
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT text, lang, reason, score, reply, at FROM kb_misses
		WHERE tenant = ? AND at >= ? ORDER BY at DESC LIMIT ?`), tenant, ms(since), limit)
	if err != nil {
		return nil, fmt.Errorf("store: misses of %q: %w", tenant, err)
	}
	out, err := collect(rows, func(r interface{ Scan(...any) error }) (Miss, error) {
		m := Miss{Tenant: tenant}
		var at int64
		err := r.Scan(&m.Text, &m.Lang, &m.Reason, &m.Score, &m.Reply, &at)
		m.At = fromMS(at)
		return m, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: misses of %q: %w", tenant, err)
	}
	return out, nil
}

const draftCols = `id, gap, question, answer, lang, sources, status, created_at, decided_at`

func scanDraft(tenant string, r interface{ Scan(...any) error }) (Draft, error) {
	d := Draft{Tenant: tenant}
	var c, dec int64
	err := r.Scan(&d.ID, &d.Gap, &d.Question, &d.Answer, &d.Lang, &d.Sources, &d.Status, &c, &dec)
	d.CreatedAt, d.DecidedAt = fromMS(c), fromMS(dec)
	return d, err
}

func (s *sqlStore) PutDraft(ctx context.Context, d Draft) error {
	if d.Tenant == "" || d.ID == "" {
		return fmt.Errorf("store: put draft: %w: empty tenant or id", ErrInvalid)
	}
	if d.Status == "" {
		d.Status = DraftPending
	}
	if d.CreatedAt.IsZero() {
		d.CreatedAt = time.Now()
	}
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO kb_drafts (tenant, `+draftCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (tenant, id) DO UPDATE SET gap = excluded.gap, question = excluded.question, answer = excluded.answer,
		lang = excluded.lang, sources = excluded.sources, status = excluded.status, decided_at = excluded.decided_at`),
		d.Tenant, d.ID, d.Gap, d.Question, d.Answer, d.Lang, d.Sources, string(d.Status), ms(d.CreatedAt), ms(d.DecidedAt))
	if err != nil {
		return fmt.Errorf("store: put draft %q: %w", d.ID, err)
	}
	return nil
}

func (s *sqlStore) Draft(ctx context.Context, tenant, id string) (Draft, error) {
	d, err := scanDraft(tenant, s.db.QueryRowContext(ctx, s.q(`SELECT `+draftCols+` FROM kb_drafts WHERE tenant = ? AND id = ?`), tenant, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Draft{}, fmt.Errorf("store: draft %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return Draft{}, fmt.Errorf("store: draft %q: %w", id, err)
	}
	return d, nil
}

func (s *sqlStore) Drafts(ctx context.Context, tenant string, status DraftStatus) ([]Draft, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT `+draftCols+` FROM kb_drafts WHERE tenant = ? AND (? = '' OR status = ?)
		ORDER BY created_at DESC, id`), tenant, string(status), string(status))
	if err != nil {
		return nil, fmt.Errorf("store: drafts of %q: %w", tenant, err)
	}
	out, err := collect(rows, func(r interface{ Scan(...any) error }) (Draft, error) { return scanDraft(tenant, r) })
	if err != nil {
		return nil, fmt.Errorf("store: drafts of %q: %w", tenant, err)
	}
	return out, nil
}

func init() { migrations = append(migrations, knowledgeMigrations...) }

// knowledgeMigrations are the tables of KnowledgeStore (versions 1100–1199).
var knowledgeMigrations = []struct {
	version int
	stmt    string
}{
	{1100, `CREATE TABLE IF NOT EXISTS kb_docs (tenant TEXT NOT NULL, id TEXT NOT NULL, version INTEGER NOT NULL, title TEXT NOT NULL,
		kind TEXT NOT NULL, source TEXT NOT NULL, sha TEXT NOT NULL, body TEXT NOT NULL, derived TEXT NOT NULL, deleted INTEGER NOT NULL,
		updated_at BIGINT NOT NULL, PRIMARY KEY (tenant, id))`},
	{1101, `CREATE TABLE IF NOT EXISTS kb_doc_versions (tenant TEXT NOT NULL, id TEXT NOT NULL, version INTEGER NOT NULL, title TEXT NOT NULL,
		kind TEXT NOT NULL, source TEXT NOT NULL, sha TEXT NOT NULL, body TEXT NOT NULL, derived TEXT NOT NULL, deleted INTEGER NOT NULL,
		updated_at BIGINT NOT NULL, PRIMARY KEY (tenant, id, version))`},
	{1102, `CREATE TABLE IF NOT EXISTS kb_catalog (tenant TEXT NOT NULL, sku TEXT NOT NULL, data TEXT NOT NULL, updated_at BIGINT NOT NULL,
		PRIMARY KEY (tenant, sku))`},
	{1103, `CREATE TABLE IF NOT EXISTS kb_revisions (tenant TEXT PRIMARY KEY, rev BIGINT NOT NULL)`},
	{1104, `CREATE TABLE IF NOT EXISTS kb_misses (tenant TEXT NOT NULL, text TEXT NOT NULL, lang TEXT NOT NULL,
		reason TEXT NOT NULL, score DOUBLE PRECISION NOT NULL, reply TEXT NOT NULL, at BIGINT NOT NULL)`},
	{1105, `CREATE INDEX IF NOT EXISTS kb_misses_at ON kb_misses (tenant, at)`},
	{1106, `CREATE TABLE IF NOT EXISTS kb_drafts (tenant TEXT NOT NULL, id TEXT NOT NULL, gap TEXT NOT NULL, question TEXT NOT NULL,
		answer TEXT NOT NULL, lang TEXT NOT NULL, sources TEXT NOT NULL, status TEXT NOT NULL, created_at BIGINT NOT NULL,
		decided_at BIGINT NOT NULL, PRIMARY KEY (tenant, id))`},
	// The passages a bot answer cited (CitationStore), kept beside the
	// message so that agents see them in the conversation's history.
	{1107, `CREATE TABLE IF NOT EXISTS message_citations (tenant TEXT NOT NULL, conversation_id TEXT NOT NULL,
		message_id TEXT NOT NULL, sources TEXT NOT NULL, PRIMARY KEY (tenant, message_id))`},
	{1108, `CREATE INDEX IF NOT EXISTS message_citations_conversation ON message_citations (tenant, conversation_id)`},
	// A miss knows its conversation, so that erasure reaches it (rows from
	// before have none and are matched by their text, see Erase).
	{1123, `ALTER TABLE kb_misses ADD COLUMN conversation_id TEXT NOT NULL DEFAULT ''`},
	{1124, `CREATE INDEX IF NOT EXISTS kb_misses_conversation ON kb_misses (tenant, conversation_id)`},
}
