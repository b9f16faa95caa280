package chat

import "time"

// StreamSpec is the data of a JetStream stream of the protocol: edge,
// central and the test stand-ins derive their stream configurations from
// it (package chat/jsconfig turns it into a jetstream.StreamConfig), so
// they cannot drift. Storage is always file.
type StreamSpec struct {
	// Name is the stream name.
	Name string
	// Subjects are the subjects the stream captures.
	Subjects []string
	// Duplicates is the window in which a repeated Nats-Msg-Id is stored once.
	Duplicates time.Duration
	// MaxAge bounds how long a message is kept; 0 keeps it until removed.
	MaxAge time.Duration
	// WorkQueue removes a message once a consumer acknowledged it.
	WorkQueue bool
	// Replicas is the stream's replica count in a NATS cluster; 0 lets the
	// deployment decide (1 on a single server).
	Replicas int
}

// DuplicateWindow is the Nats-Msg-Id duplicate window of the inbound
// streams: a publish retried within it is stored once.
const DuplicateWindow = 2 * time.Minute

// RegionMaxAge bounds how long a leaf edge's regional stream keeps a
// message: the longest outage of the link to central that loses nothing.
const RegionMaxAge = 7 * 24 * time.Hour

// ConsumerCentral is the durable consumer of StreamInbound that every
// central replica shares, and the queue group of central's request/reply
// responders (SubjectHistory, SubjectAuthVerify).
const ConsumerCentral = "central"

// ConsumerRegion is the durable consumer of a leaf edge's StreamRegion
// through which central's StreamInbound sources it.
const ConsumerRegion = "central"

// InboundMaxAge bounds how long StreamInbound keeps a message: central
// stores a message within seconds of its arrival (and acknowledges it
// after its store committed), so the stream holds what is not yet
// processed plus a bounded replay window, never a second copy of every
// conversation forever (SECURITY.md). A central down for longer than this
// loses the oldest unprocessed messages.
const InboundMaxAge = 7 * 24 * time.Hour

// InboundStream is StreamInbound: subjects SubjectInboundPrefix + ">",
// file storage, DuplicateWindow, limits retention with InboundMaxAge.
// Central creates or updates it (keeping its sources); edges create it
// when missing and never update it.
func InboundStream() StreamSpec {
	return StreamSpec{Name: StreamInbound, Subjects: []string{SubjectInboundPrefix + ">"}, Duplicates: DuplicateWindow,
		MaxAge: InboundMaxAge}
}

// RegionStream is StreamRegion of a leaf edge in JetStream domain domain:
// subjects RegionWildcard(domain) and RegionTenantWildcard(domain), file
// storage, DuplicateWindow, work-queue retention (a message leaves the
// region once central's stream stored it), kept at most RegionMaxAge.
func RegionStream(domain string) StreamSpec {
	return StreamSpec{Name: StreamRegion, Subjects: []string{RegionWildcard(domain), RegionTenantWildcard(domain)},
		Duplicates: DuplicateWindow, MaxAge: RegionMaxAge, WorkQueue: true}
}

// RegionWildcard matches RegionSubject(domain, tenant, visitor) for every
// tenant and visitor.
func RegionWildcard(domain string) string {
	return SubjectRegionPrefix + SubjectToken(domain) + ".*.*"
}

// RegionTenantWildcard matches the subjects without a visitor token that
// leaf edges before the visitor token published to
// (SubjectRegionPrefix + domain + "." + tenant): a regional stream keeps
// capturing them so that what such an edge buffered still drains to
// central after an upgrade. Nothing publishes there any more.
func RegionTenantWildcard(domain string) string {
	return SubjectRegionPrefix + SubjectToken(domain) + ".*"
}

// SourcingSubject is the deliver subject of the durable consumer
// ConsumerRegion of domain's regional stream.
func SourcingSubject(domain string) string { return SubjectSourcingPrefix + SubjectToken(domain) }

// LeafDomain is the JetStream domain of a leaf edge of region
// ("edge-REGION"): central's NATS lets a region's leaf link serve and
// deliver that domain's regional stream and no other.
func LeafDomain(region string) string { return "edge-" + SubjectToken(region) }

// LeafSourceSubject is where a leaf edge of region asks central to
// source its regional stream (SubjectLeafSourcePrefix).
func LeafSourceSubject(region string) string { return SubjectLeafSourcePrefix + SubjectToken(region) }

// OutboundWildcard matches OutboundSubject(region, tenant) for every tenant.
func OutboundWildcard(region string) string {
	return SubjectOutboundPrefix + SubjectToken(region) + ".*"
}
