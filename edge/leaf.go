package edge

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/chat/jsconfig"
)

// Leaf configures an edge whose NATS connection goes to its own
// nats-server, a leaf node of central's (kefu edge --leaf; DESIGN.md
// "Delivery guarantees"). The edge then:
//
//   - publishes each inbound envelope to chat.RegionSubject(Domain, tenant,
//     visitor) in the stream chat.StreamRegion of its own JetStream domain; the
//     PubAck comes from the edge's server, so `accepted` means stored in the
//     region, whether or not central is reachable;
//   - asks central to source that stream in KEFU_INBOUND
//     (chat.LeafSourceSubject(region), answered by ServeLeafSources in
//     central), with a subject transform back to
//     chat.InboundVisitorSubject(tenant, visitor), so central consumes it
//     as before; JetStream moves the buffered messages when the link is up;
//   - purges an erased visitor's envelopes from that stream when it applies
//     the erasure (erasure.go), as central purges them from KEFU_INBOUND:
//     both subjects carry chat.VisitorToken.
//
// The edge asks, central declares: a leaf link may not change a stream
// (SECURITY.md), and the region in the request's subject, which central's
// NATS lets the link use for its own region only, names the domain
// (chat.LeafDomain), so central needs no list of regions and no leaf can
// make central source another region's domain. The declaration is
// idempotent (a source with the same stream name and API prefix is left
// alone, or replaced when its settings differ), asked for until central
// answers, and again every CheckInterval, which also repairs a source lost
// to KEFU_INBOUND being recreated. Central keeps the sources of
// KEFU_INBOUND when it updates the stream.
//
// Replies, events, history requests and kefu.auth.verify are core NATS and
// cross the leaf link like any subject with interest on the other side.
type Leaf struct {
	// Domain is the JetStream domain of the edge's own server: the
	// region's, chat.LeafDomain(region) ("edge-eu"). Required.
	Domain string
	// CentralDomain is central's JetStream domain. Default: "central".
	CentralDomain string
	// CheckInterval is how often the edge checks its source once declared.
	// Default: 30s.
	CheckInterval time.Duration
}

// DefaultCentralDomain is central's JetStream domain when it embeds NATS
// (kefu central --embed-nats) and the default of Leaf.CentralDomain.
const DefaultCentralDomain = "central"

func (l Leaf) withDefaults() (Leaf, error) {
	if l.CentralDomain == "" {
		l.CentralDomain = DefaultCentralDomain
	}
	if l.CheckInterval <= 0 {
		l.CheckInterval = 30 * time.Second
	}
	if l.Domain == "" || chat.SubjectToken(l.Domain) != l.Domain {
		return l, fmt.Errorf("edge: leaf domain %q must be [0-9A-Za-z_-]+", l.Domain)
	}
	if chat.SubjectToken(l.CentralDomain) != l.CentralDomain {
		return l, fmt.Errorf("edge: central domain %q must be [0-9A-Za-z_-]+", l.CentralDomain)
	}
	if l.Domain == l.CentralDomain {
		return l, fmt.Errorf("edge: leaf domain %q is central's: each JetStream domain must be distinct", l.Domain)
	}
	return l, nil
}

// RegionConsumer is the durable consumer of a leaf edge's regional stream
// that central's KEFU_INBOUND sources through (chat.ConsumerRegion).
const RegionConsumer = chat.ConsumerRegion

// RegionStreamConfig is the regional stream of a leaf edge in JetStream
// domain domain: chat.RegionStream (subjects chat.RegionSubject(domain, *, *),
// file storage, 2 minute duplicate window, work-queue retention — a message
// leaves the region once central's stream has stored it — kept at most 7
// days).
func RegionStreamConfig(domain string) jetstream.StreamConfig {
	return jsconfig.Stream(chat.RegionStream(domain))
}

// RegionConsumerConfig is the durable consumer RegionConsumer of the
// regional stream of domain: it pushes to chat.SubjectSourcingPrefix +
// domain and is acknowledged by central's flow-control replies (so a
// message counts as delivered once central stored it). Durable sourcing
// lets central resume within seconds after either side restarts.
func RegionConsumerConfig(domain string) jetstream.ConsumerConfig {
	return jetstream.ConsumerConfig{
		Durable:        RegionConsumer,
		DeliverSubject: chat.SourcingSubject(domain),
		AckPolicy:      jetstream.AckFlowControlPolicy,
		FlowControl:    true,
		IdleHeartbeat:  time.Second,
	}
}

// RegionSource is the source entry of KEFU_INBOUND for the regional stream
// of domain: across domains by the API prefix $JS.<domain>.API, subjects
// mapped to chat.InboundVisitorSubject(tenant, visitor) (and the subjects
// without a visitor token of older edges to chat.InboundSubject(tenant)).
func RegionSource(domain string) jetstream.StreamSource {
	cc := RegionConsumerConfig(domain)
	return jetstream.StreamSource{
		Name:     chat.StreamRegion,
		External: &jetstream.ExternalStream{APIPrefix: "$JS." + domain + ".API"},
		Consumer: &jetstream.StreamConsumerSource{Name: cc.Durable, DeliverSubject: cc.DeliverSubject},
		SubjectTransforms: []jetstream.SubjectTransformConfig{{
			Source:      chat.RegionWildcard(domain),
			Destination: chat.SubjectInboundPrefix + "{{wildcard(1)}}.{{wildcard(2)}}",
		}, {
			Source:      chat.RegionTenantWildcard(domain),
			Destination: chat.SubjectInboundPrefix + "{{wildcard(1)}}",
		}},
	}
}

// DeclareSource makes KEFU_INBOUND in JetStream domain centralDomain (""
// for nc's own) source the regional stream of edgeDomain (creating
// KEFU_INBOUND with StreamConfig when it is missing). changed is false
// when the source was already there as wanted. Central calls it
// (ServeLeafSources); a leaf link may not.
func DeclareSource(ctx context.Context, nc *nats.Conn, centralDomain, edgeDomain string) (changed bool, err error) {
	cjs, err := jetstream.NewWithDomain(nc, centralDomain)
	if centralDomain == "" {
		cjs, err = jetstream.New(nc)
	}
	if err != nil {
		return false, fmt.Errorf("edge: jetstream domain %q: %w", centralDomain, err)
	}
	want := RegionSource(edgeDomain)
	st, err := cjs.Stream(ctx, chat.StreamInbound)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		cfg := StreamConfig()
		cfg.Sources = []*jetstream.StreamSource{&want}
		if _, err = cjs.CreateStream(ctx, cfg); err == nil {
			return true, nil
		}
		if !errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			return false, fmt.Errorf("edge: create %s in domain %q: %w", chat.StreamInbound, centralDomain, err)
		}
		st, err = cjs.Stream(ctx, chat.StreamInbound)
	}
	if err != nil {
		return false, fmt.Errorf("edge: %s in domain %q: %w", chat.StreamInbound, centralDomain, err)
	}
	cfg := st.CachedInfo().Config
	i := slices.IndexFunc(cfg.Sources, func(s *jetstream.StreamSource) bool {
		return s != nil && s.Name == want.Name && s.External != nil && s.External.APIPrefix == want.External.APIPrefix
	})
	switch {
	case i < 0:
		cfg.Sources = append(cfg.Sources, &want)
	case sameSource(cfg.Sources[i], &want):
		return false, nil
	default:
		cfg.Sources[i] = &want
	}
	if _, err := cjs.UpdateStream(ctx, cfg); err != nil {
		return false, fmt.Errorf("edge: add source %s of domain %q to %s: %w", chat.StreamInbound, edgeDomain, chat.StreamInbound, err)
	}
	return true, nil
}

// leafSourceReply is central's answer on chat.LeafSourceSubject.
type leafSourceReply struct {
	Changed bool   `json:"changed"`
	Error   string `json:"error,omitempty"`
}

// ServeLeafSources answers the leaf edges' requests to be sourced
// (chat.LeafSourceSubject) on nc, central's connection, until ctx ends:
// the region is the subject's last token, the domain sourced is
// chat.LeafDomain(region) (DeclareSource in nc's own JetStream). Central's
// replicas share the requests (queue group).
func ServeLeafSources(ctx context.Context, nc *nats.Conn, log *slog.Logger) (*nats.Subscription, error) {
	sub, err := nc.QueueSubscribe(chat.SubjectLeafSourcePrefix+"*", "kefu-central", func(m *nats.Msg) {
		region := strings.TrimPrefix(m.Subject, chat.SubjectLeafSourcePrefix)
		var rep leafSourceReply
		if chat.SubjectToken(region) != region {
			rep.Error = "bad region"
		} else {
			c, cancel := context.WithTimeout(ctx, 10*time.Second)
			changed, err := DeclareSource(c, nc, "", chat.LeafDomain(region))
			cancel()
			rep.Changed = changed
			if err != nil {
				rep.Error = err.Error()
				log.Warn("edge: cannot source a leaf edge's regional stream", "region", region, "err", err)
			} else if changed {
				log.Info("sourcing a leaf edge's regional stream", "region", region, "domain", chat.LeafDomain(region))
			}
		}
		b, _ := json.Marshal(rep)
		_ = m.Respond(b)
	})
	if err != nil {
		return nil, fmt.Errorf("edge: serve leaf sources: %w", err)
	}
	return sub, nil
}

// RequestSource asks central (ServeLeafSources) to source the regional
// stream of region's leaf edges in KEFU_INBOUND; changed is false when it
// already did.
func RequestSource(ctx context.Context, nc *nats.Conn, region string) (changed bool, err error) {
	m, err := nc.RequestWithContext(ctx, chat.LeafSourceSubject(region), nil)
	if err != nil {
		return false, fmt.Errorf("edge: ask central to source region %q: %w", region, err)
	}
	var rep leafSourceReply
	if err := json.Unmarshal(m.Data, &rep); err != nil {
		return false, fmt.Errorf("edge: central's answer to the source request: %w", err)
	}
	if rep.Error != "" {
		return false, fmt.Errorf("edge: central could not source region %q: %s", region, rep.Error)
	}
	return rep.Changed, nil
}

func sameSource(a, b *jetstream.StreamSource) bool {
	return a.FilterSubject == b.FilterSubject && slices.Equal(a.SubjectTransforms, b.SubjectTransforms) &&
		a.OptStartSeq == 0 && a.OptStartTime == nil && a.Consumer != nil && *a.Consumer == *b.Consumer
}

// ensureRegionConsumer creates the regional stream and its durable
// consumer RegionConsumer when they are missing (never updates them).
func (n *Node) ensureRegionConsumer(ctx context.Context) error {
	if err := n.ensureStream(ctx); err != nil {
		return err
	}
	_, err := n.js.CreatePushConsumer(ctx, chat.StreamRegion, RegionConsumerConfig(n.cfg.Leaf.Domain))
	if err != nil && !errors.Is(err, jetstream.ErrConsumerExists) {
		return fmt.Errorf("edge: consumer %s of %s: %w", RegionConsumer, chat.StreamRegion, err)
	}
	return nil
}

// purgeRegion removes the envelopes of visitor of tenant from a leaf
// edge's regional stream (those not yet moved to central: the link is
// down, or central's stream does not source it at the moment); nothing to
// do for an edge on central's NATS or without a visitor.
func (n *Node) purgeRegion(ctx context.Context, tenant, visitor string) error {
	l := n.cfg.Leaf
	if l == nil || visitor == "" {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, n.cfg.PublishTimeout)
	defer cancel()
	st, err := n.js.Stream(ctx, chat.StreamRegion)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return nil
	}
	if err == nil {
		err = st.Purge(ctx, jetstream.WithPurgeSubject(chat.RegionSubject(l.Domain, tenant, visitor)))
	}
	if err != nil {
		return fmt.Errorf("edge: purge the erased visitor from %s: %w", chat.StreamRegion, err)
	}
	return nil
}

// keepSource declares the node's regional stream as a source of central's
// KEFU_INBOUND until the node closes: retried every second or so until it
// succeeds, then checked every Leaf.CheckInterval.
func (n *Node) keepSource() {
	defer n.bg.Done()
	l := n.cfg.Leaf
	declared, failures := false, 0
	for {
		ctx, cancel := context.WithTimeout(n.ctx, n.cfg.PublishTimeout)
		err := n.ensureRegionConsumer(ctx)
		changed := false
		if err == nil {
			changed, err = RequestSource(ctx, n.nc, n.cfg.Region)
		}
		cancel()
		wait := l.CheckInterval
		switch {
		case err != nil && n.ctx.Err() != nil:
			return
		case err != nil:
			failures++
			if failures == 1 || failures%30 == 0 {
				n.log.Warn("edge: cannot declare the regional stream as a source of central's; messages stay buffered in the region",
					"central_domain", l.CentralDomain, "domain", l.Domain, "attempts", failures, "err", err)
			}
			wait = min(time.Duration(failures)*500*time.Millisecond, 5*time.Second, l.CheckInterval)
		default:
			if changed || !declared {
				n.log.Info("edge: regional stream is a source of central's", "stream", chat.StreamRegion,
					"central_domain", l.CentralDomain, "domain", l.Domain, "changed", changed)
			}
			declared, failures = true, 0
		}
		select {
		case <-n.ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}
