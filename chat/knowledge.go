package chat

// Knowledge-hub subjects and buckets (docs/PROTOCOL.md).
const (
	// SubjectKnowledgeChangedPrefix + tenant token is the core NATS
	// subject on which a central replica that changed a tenant's knowledge
	// tells the others to rebuild that tenant's index part. It may be
	// lost: replicas also poll the store's knowledge revision.
	SubjectKnowledgeChangedPrefix = "kefu.kb.changed."
	// BucketKnowledgePacks is the JetStream key-value bucket where central
	// keeps each tenant's browser FAQ pack built from its knowledge (key:
	// tenant token, value: a FAQPack). Edges watch it and serve the pack
	// with /w/config within seconds of a change.
	BucketKnowledgePacks = "KEFU_KB_PACKS"
)
