package natsembed

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/kefu-io/kefu/chat"
)

// Client authentication of an embedded server (SECURITY.md, "NATS").
//
// With Options.Auth set, every client connection (TCP or in memory) must
// present a user name and password, and what it may publish and subscribe
// follows from its user name, its role:
//
//   - CentralUser ("central"): central, everything;
//   - EdgeUser(region) ("edge-REGION"): an edge of one region. It publishes
//     shoppers' inbound envelopes, history, auth-verify and channel-lookup
//     requests, hits and typing notices, and its own region's channel
//     outbox; it receives its own region's outbound replies, the
//     conversation events edges act on (kefu.events.TENANT, not the
//     consoles' kefu.events.TENANT.console: agents' notes, bots' and
//     agents' messages) and replies to its requests. It can never publish
//     a reply to a shopper (kefu.outbound.>), an event or a staff notice,
//     never read another region's replies or the inbound stream, and never
//     write the sites or knowledge buckets;
//   - anyone else, including an anonymous client, is refused.
//
// Leaf connections to a hub's leaf port present user LeafUserOf(region)
// with that region's token (LeafToken) or the operator's shared token, and
// get leafPermissions(region): what an edge of that region needs across
// the link, enforced by the hub.
//
// Passwords are not stored: a role's password is an HMAC of its user name
// under the server's secret (Secret, 32 random bytes in a 0600 file of the
// data folder, LoadOrCreateSecret), so that whoever holds the secret (the
// operator of central) can hand an edge of any region its credentials
// (Credentials) without the server being restarted or reconfigured.

// CentralUser is the user name of central's connections.
const CentralUser = "central"

// edgeUserPrefix + region token is an edge's user name.
const edgeUserPrefix = "edge-"

// EdgeUser is the user name of the edges of region.
func EdgeUser(region string) string { return edgeUserPrefix + chat.SubjectToken(region) }

// SecretFile is the name of the secret's file in a data folder.
const SecretFile = "nats-auth.key"

// Auth turns on client authentication (see above).
type Auth struct {
	// Secret derives every role's password (at least 16 bytes).
	Secret []byte
}

// ErrBadSecret is returned for a secret file that does not hold a secret.
var ErrBadSecret = errors.New("natsembed: bad NATS secret (want base64 of at least 16 bytes)")

// LoadOrCreateSecret reads the secret in path, or creates it (32 random
// bytes, base64, mode 0600 in a 0700 folder) when the file is missing. Two
// processes creating it at once agree on one secret.
func LoadOrCreateSecret(path string) ([]byte, error) {
	if b, err := os.ReadFile(path); err == nil {
		return parseSecret(path, b)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("natsembed: read secret: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("natsembed: secret folder: %w", err)
	}
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return nil, fmt.Errorf("natsembed: secret: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return LoadOrCreateSecret(path)
	}
	if err != nil {
		return nil, fmt.Errorf("natsembed: create secret: %w", err)
	}
	_, err = f.WriteString(base64.StdEncoding.EncodeToString(secret) + "\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(path)
		return nil, fmt.Errorf("natsembed: write secret: %w", err)
	}
	return secret, nil
}

func parseSecret(path string, b []byte) ([]byte, error) {
	s, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(s) < 16 {
		return nil, fmt.Errorf("%w: %s", ErrBadSecret, path)
	}
	return s, nil
}

// Password is the password of user under secret.
func Password(secret []byte, user string) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("kefu-nats-user\x00" + user))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// LeafToken is the leaf-node token of region's edges derived from secret
// (the password of LeafUserOf(region)): a hub with Auth accepts it from a
// leaf that names that region and no other, so a stolen token opens one
// region's subjects only.
func LeafToken(secret []byte, region string) string { return Password(secret, LeafUserOf(region)) }

// LeafUserOf is the user name a leaf edge of region presents to the hub's
// leaf port: LeafUser + "-" + region token. Its permissions follow from it
// (leafPermissions).
func LeafUserOf(region string) string { return LeafUser + "-" + chat.SubjectToken(region) }

// leafRegion is the region a leaf user name names; ok is false for a name
// that is no leaf user.
func leafRegion(user string) (region string, ok bool) {
	region, ok = strings.CutPrefix(user, LeafUser+"-")
	return region, ok && region != "" && chat.SubjectToken(region) == region
}

// Credentials are a user name and password for a NATS connection; as JSON
// they are the file `kefu nats-credentials` writes and `kefu edge
// --nats-credentials` reads.
type Credentials struct {
	User     string `json:"user"`
	Password string `json:"password"`
}

// CredentialsFor returns the credentials of user under secret.
func CredentialsFor(secret []byte, user string) Credentials {
	return Credentials{User: user, Password: Password(secret, user)}
}

// ReadCredentials reads a credentials file (JSON Credentials).
func ReadCredentials(path string) (Credentials, error) {
	var c Credentials
	b, err := os.ReadFile(path)
	if err != nil {
		return c, fmt.Errorf("natsembed: credentials: %w", err)
	}
	if err := json.Unmarshal(b, &c); err != nil || c.User == "" || c.Password == "" {
		return Credentials{}, fmt.Errorf("natsembed: credentials %s: want JSON {\"user\":…,\"password\":…}", path)
	}
	return c, nil
}

// Permissions returns the permissions of a role's user name; ok is false
// for a name that is no role.
func Permissions(user string) (p *server.Permissions, ok bool) {
	switch {
	case user == CentralUser:
		return &server.Permissions{
			Publish:   &server.SubjectPermission{Allow: []string{">"}},
			Subscribe: &server.SubjectPermission{Allow: []string{">"}},
		}, true
	case strings.HasPrefix(user, edgeUserPrefix):
		region := strings.TrimPrefix(user, edgeUserPrefix)
		if region == "" || chat.SubjectToken(region) != region {
			return nil, false
		}
		return edgePermissions(region), true
	}
	return nil, false
}

// edgePermissions are an edge's of region (see above).
func edgePermissions(region string) *server.Permissions {
	return &server.Permissions{
		Publish: &server.SubjectPermission{
			Allow: append([]string{
				chat.SubjectInboundPrefix + ">",
				chat.SubjectHistory,
				chat.SubjectAuthVerify,
				chat.SubjectChannelLookup,
				chat.SubjectTypingPrefix + ">",
				chat.SubjectShownPrefix + ">",
				chat.SubjectPagePrefix + ">",         // proactive notices: idle page reports
				chat.SubjectNoticeOpenedPrefix + ">", // proactive notices: opened
				"kefu.hits.>",
				chat.SubjectChannelOutPrefix + region + ".>",
				"_INBOX.>",
				// JetStream: flow control, the buckets it writes, and the
				// API calls and acknowledgements of edgeJetStream.
				"$JS.FC.>",
				"$KV." + chat.BucketChannelCursors + "." + region + ".>", // its region's keys only
				"$KV." + chat.BucketChannelSent + ".>",
			}, edgeJetStream("$JS.API.", region)...),
			Deny: []string{
				// No consumer of and no read from the inbound stream (every
				// region's shoppers), no change of another's stream.
				"$JS.API.CONSUMER.*." + chat.StreamInbound,
				"$JS.API.CONSUMER.*." + chat.StreamInbound + ".>",
				"$JS.API.CONSUMER.*.*." + chat.StreamInbound + ".>",
				"$JS.API.STREAM.MSG.GET." + chat.StreamInbound,
				"$JS.API.DIRECT.GET." + chat.StreamInbound,
				"$JS.API.DIRECT.GET." + chat.StreamInbound + ".>",
				"$JS.API.STREAM.PURGE.>",
				"$JS.API.STREAM.DELETE.>",
				"$JS.API.STREAM.MSG.DELETE.>",
				"$JS.API.STREAM.UPDATE.>",
				"$JS.API.STREAM.SNAPSHOT.>",
				"$JS.API.STREAM.RESTORE.>",
				"$JS.API.META.>",
				"$JS.API.SERVER.>",
				"$JS.API.ACCOUNT.>",
			},
		},
		Subscribe: &server.SubjectPermission{
			Allow: []string{
				chat.SubjectOutboundPrefix + region + ".>",
				chat.SubjectEventsPrefix + "*", // not the consoles' (chat.ConsoleEventsSubject)
				EdgeInbox(region) + ".>",
			},
			// A wildcard such as kefu.events.> passes the allow list (the
			// server matches it as a literal); this keeps the consoles'
			// events out of its deliveries.
			Deny: []string{chat.SubjectEventsPrefix + "*.>"},
		},
	}
}

// edgeJetStream lists the JetStream API subjects (under api: "$JS.API."
// or "$JS.<domain>.API.") and acknowledgements an edge of region may
// publish: account and stream information, creating the streams and
// buckets it declares (never another: a stream of its own on
// kefu.outbound.> would capture other regions' replies), the buckets'
// keys and watchers (of chat.BucketChannelCursors only its region's keys,
// read by subject), and of KEFU_CHANNEL_OUT and KEFU_ERASURE only its
// region's durable consumers (chat.ConsumerChannels, chat.ConsumerErasure
// + region): created through the filtered create subject
// ($JS.API.CONSUMER.CREATE.STREAM.DURABLE.FILTER, where the server checks
// that FILTER is the configuration's), so that an edge can neither create
// a consumer filtered on another region's channel outbox nor pull from,
// acknowledge or change another region's consumer.
func edgeJetStream(api, region string) []string {
	r := chat.SubjectToken(region)
	allow := []string{api + "INFO", api + "STREAM.INFO.*", api + "STREAM.NAMES", api + "STREAM.LIST"}
	for _, st := range []string{chat.StreamInbound, chat.StreamChannelOut, chat.StreamErasure,
		"KV_" + chat.BucketChannelCursors, "KV_" + chat.BucketChannelSent} {
		allow = append(allow, api+"STREAM.CREATE."+st)
	}
	for _, b := range []string{chat.BucketSites, chat.BucketKnowledgePacks, chat.BucketChannels, chat.BucketChannelSent} {
		st := "KV_" + b
		allow = append(allow, api+"STREAM.MSG.GET."+st, api+"DIRECT.GET."+st, api+"DIRECT.GET."+st+".>",
			api+"CONSUMER.*."+st, api+"CONSUMER.*."+st+".>", api+"CONSUMER.*.*."+st+".>")
	}
	// The cursor bucket holds pseudonym → e-mail address or phone number:
	// an edge reads its region's keys by subject and nothing else (no
	// message get by sequence, no consumer, no watcher).
	cur := chat.BucketChannelCursors
	allow = append(allow, api+"DIRECT.GET.KV_"+cur+".$KV."+cur+"."+r+".>")
	for _, c := range []struct{ stream, durable, filter string }{
		{chat.StreamChannelOut, chat.ConsumerChannels + r, chat.SubjectChannelOutPrefix + r + ".>"},
		{chat.StreamErasure, chat.ConsumerErasure + r, chat.SubjectErasurePrefix + ">"},
	} {
		allow = append(allow,
			api+"CONSUMER.CREATE."+c.stream+"."+c.durable+"."+c.filter,
			api+"CONSUMER.INFO."+c.stream+"."+c.durable,
			api+"CONSUMER.MSG.NEXT."+c.stream+"."+c.durable,
			"$JS.ACK."+c.stream+"."+c.durable+".>",
			"$JS.ACK.*.*."+c.stream+"."+c.durable+".>")
	}
	return allow
}

// EdgeInbox is the prefix of the reply subjects of region's edges
// ("_INBOX.edge-REGION"): an edge receives replies only there, so that no
// edge reads the replies to another region's requests (history, consumer
// deliveries). Connections of edges set it (nats.CustomInboxPrefix,
// InboxPrefix).
func EdgeInbox(region string) string { return "_INBOX." + EdgeUser(region) }

// InboxPrefix is the reply-subject prefix a connection of user must use:
// EdgeInbox for an edge's user name, "" (the default) for any other.
func InboxPrefix(user string) string {
	if region, ok := strings.CutPrefix(user, edgeUserPrefix); ok && region != "" && chat.SubjectToken(region) == region {
		return EdgeInbox(region)
	}
	return ""
}

// leafPermissions are what the leaf link of a region's edge may do on the
// hub whose JetStream domain is hubDomain, seen from the leaf: Publish is
// what it may send into the hub, Subscribe what it may receive (the server
// reverses them for the hub's side of the link). It is what an edge of
// region needs, as edgePermissions, with central's JetStream API under
// its domain prefix, and:
//
//   - it sends no inbound envelope directly: they travel in its regional
//     stream (domain chat.LeafDomain(region)), which central sources on
//     the leaf's request (chat.LeafSourceSubject(region), edge.ServeLeafSources):
//     it delivers on that domain's sourcing subject only, answers central's
//     requests to that domain's API only, and asks for its own region only;
//   - it changes no stream (no update, no KEFU_INBOUND, no purge or
//     delete), never reads or consumes KEFU_INBOUND, and reaches only its
//     region's consumers of KEFU_CHANNEL_OUT and KEFU_ERASURE
//     (edgeJetStream);
//   - it never receives other regions' replies, the inbound subjects,
//     staff notices or the replies to others' requests (its edge's
//     connection uses EdgeInbox(region)), and cannot publish a reply, an
//     event or a staff notice.
func leafPermissions(region, hubDomain string) *server.Permissions {
	api := "$JS.API."
	if hubDomain != "" {
		api = "$JS." + hubDomain + ".API."
	}
	domain := chat.LeafDomain(region)
	deny := []string{
		api + "CONSUMER.*." + chat.StreamInbound,
		api + "CONSUMER.*." + chat.StreamInbound + ".>",
		api + "CONSUMER.*.*." + chat.StreamInbound + ".>",
		api + "STREAM.MSG.GET." + chat.StreamInbound,
		api + "DIRECT.GET." + chat.StreamInbound,
		api + "DIRECT.GET." + chat.StreamInbound + ".>",
		api + "STREAM.CREATE." + chat.StreamInbound, // central creates it (and declares the sources)
		api + "STREAM.UPDATE.>",
		api + "STREAM.PURGE.>",
		api + "STREAM.DELETE.>",
		api + "STREAM.MSG.DELETE.>",
		api + "STREAM.SNAPSHOT.>",
		api + "STREAM.RESTORE.>",
		api + "META.>",
		api + "SERVER.>",
		api + "ACCOUNT.>",
	}
	sub := []string{
		chat.SubjectOutboundPrefix + region + ".>",
		chat.SubjectEventsPrefix + "*", // not the consoles' (chat.ConsoleEventsSubject)
		EdgeInbox(region) + ".>",
		// Its own domain's API: central's sourcing asks it.
		"$JS." + domain + ".API.>",
		"$JS.FC.>",
		"$JS.ACK.>",
	}
	if hubDomain != "" {
		// Central's domain: central maps $JS.<hubDomain>.API to its own
		// API before delivery, so a leaf never receives another's
		// requests to central (the test checks it); the server needs this
		// interest to route a leaf's requests to central's domain.
		sub = append(sub, "$JS."+hubDomain+".API.>")
	}
	return &server.Permissions{
		Publish: &server.SubjectPermission{
			Allow: append([]string{
				chat.SubjectHistory,
				chat.SubjectAuthVerify,
				chat.SubjectChannelLookup,
				chat.SubjectTypingPrefix + ">",
				chat.SubjectShownPrefix + ">",
				chat.SubjectPagePrefix + ">",
				chat.SubjectNoticeOpenedPrefix + ">",
				"kefu.hits.>",
				chat.SubjectChannelOutPrefix + region + ".>",
				chat.SourcingSubject(domain),
				chat.LeafSourceSubject(region),
				"$JSC.R.>", // replies to the API requests of central's sourcing
				"_INBOX.>",
				"$JS.FC.>",
				"$KV." + chat.BucketChannelCursors + "." + region + ".>", // its region's keys only
				"$KV." + chat.BucketChannelSent + ".>",
			}, edgeJetStream(api, region)...),
			Deny: deny,
		},
		Subscribe: &server.SubjectPermission{Allow: sub, Deny: []string{chat.SubjectEventsPrefix + "*.>"}},
	}
}

// authenticator is the server's server.Authentication: clients by Auth
// (secret; nil admits every client, as a server without Auth does), leaf
// connections by leafToken (the operator's shared token, if any) or, with
// a secret, by their region's LeafToken.
type authenticator struct {
	secret    []byte
	leafToken string
	hubDomain string
	srv       *server.Server // set once the server exists; leaf links join its global account
}

// Check admits a client connection whose user name is a role and whose
// password is that role's, with the role's permissions, and a leaf
// connection that names a region (LeafUserOf) with its token, with that
// region's leaf permissions.
func (a *authenticator) Check(c server.ClientAuthentication) bool {
	o := c.GetOpts()
	switch c.Kind() {
	case server.LEAF:
		return a.checkLeaf(c, o)
	case server.CLIENT:
		if a.secret == nil {
			return true
		}
	default:
		return false
	}
	if o == nil || o.Username == "" {
		return false
	}
	perms, ok := Permissions(o.Username)
	if !ok {
		return false
	}
	if !hmac.Equal([]byte(o.Password), []byte(Password(a.secret, o.Username))) {
		return false
	}
	c.RegisterUser(&server.User{Username: o.Username, Permissions: perms})
	return true
}

func (a *authenticator) checkLeaf(c server.ClientAuthentication, o *server.ClientOpts) bool {
	if o == nil {
		return false
	}
	region, ok := leafRegion(o.Username)
	if !ok {
		return false
	}
	shared := a.leafToken != "" && hmac.Equal([]byte(o.Password), []byte(a.leafToken))
	derived := a.secret != nil && hmac.Equal([]byte(o.Password), []byte(LeafToken(a.secret, region)))
	if !shared && !derived && !(a.leafToken == "" && a.secret == nil) {
		return false
	}
	c.RegisterUser(&server.User{Username: o.Username, Account: a.srv.GlobalAccount(), Permissions: leafPermissions(region, a.hubDomain)})
	return true
}
