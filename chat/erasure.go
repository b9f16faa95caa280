package chat

import "time"

// Erasure delivery to the edges (SECURITY.md, issue 8 item 5). Central
// publishes every completed erasure (an EventErasure with Reason
// "completed") to StreamErasure as well as to the core NATS events
// subject, with Nats-Msg-Id ErasureMsgID(request). Each region's edges
// share the durable consumer ConsumerErasure + region and acknowledge an
// event only after the region's vault is saved without the visitor's
// values, so an edge that was not listening when the erasure happened (a
// leaf edge whose link was down, an edge that was restarting) forgets the
// visitor when it comes back.
const (
	// StreamErasure holds completed-erasure events.
	StreamErasure = "KEFU_ERASURE"
	// SubjectErasurePrefix + tenant is where central publishes them.
	SubjectErasurePrefix = "kefu.erasure."
	// ConsumerErasure + region is the durable consumer of StreamErasure of
	// one region's edges.
	ConsumerErasure = "erasure-"
)

// ErasureMaxAge bounds how long StreamErasure keeps an event: an edge that
// stays away longer than this must be re-seeded (its vault deleted) before
// it returns. Events hold ids only, no personal data.
const ErasureMaxAge = 30 * 24 * time.Hour

// BucketErased is the KV bucket in which central notes each erased
// visitor: key ErasedKey(tenant, visitor), value the erasure's completion
// time (RFC 3339). Central drops an inbound message of that visitor
// written before that time (a leaf edge buffered it while its link was
// down, and it reached central before the edge applied the erasure). It
// holds visitor tokens, never visitor ids; only central reads or writes it.
const BucketErased = "KEFU_ERASED"

// ErasedMaxAge bounds how long BucketErased keeps an entry: a message
// buffered before an erasure can wait RegionMaxAge in its region and then
// InboundMaxAge in central's stream, no longer.
const ErasedMaxAge = RegionMaxAge + InboundMaxAge

// ErasedKey is the key of visitor of tenant in BucketErased: the tenant's
// subject token and the visitor's token (VisitorToken).
func ErasedKey(tenant, visitor string) string {
	return SubjectToken(tenant) + "." + VisitorToken(tenant, visitor)
}

// ErasureSubject is the subject of a tenant's completed erasures.
func ErasureSubject(tenant string) string { return SubjectErasurePrefix + SubjectToken(tenant) }

// ErasureMsgID is the Nats-Msg-Id of the event of erasure request id.
func ErasureMsgID(id string) string { return "erasure-" + id }

// ErasureStream is StreamErasure: subjects SubjectErasurePrefix + ">", file
// storage, limits retention with ErasureMaxAge (every region's consumer
// reads every event; none removes it for the others). Central creates or
// updates it; edges create it when missing.
func ErasureStream() StreamSpec {
	return StreamSpec{Name: StreamErasure, Subjects: []string{SubjectErasurePrefix + ">"}, Duplicates: DuplicateWindow,
		MaxAge: ErasureMaxAge}
}
