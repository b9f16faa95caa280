// Package vault keeps the clear values behind PII placeholders inside the
// region that masked them, so that an agent of the same region may reveal
// one, and every reveal leaves an audit record.
//
// Values are sealed with AES-256-GCM under the region's key; the additional
// data binds each ciphertext to its region, tenant and token, so a sealed
// value copied to another token, tenant or region does not open. What is
// kept in memory and what Save writes is ciphertext only (with the tenant,
// visitor and conversation ids and the PII type in clear, so erasures find
// values); the key never leaves the Vault.
//
// A Vault lives in memory. Save and Load move its values to and from a
// file; Changes tells a caller that persists it whether it changed since the
// last save (edge/pluginhost keeps one file per region).
//
// A Vault is safe for concurrent use.
package vault

import (
	"bufio"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
	"unicode"
)

// Errors callers branch on.
var (
	ErrBadKey        = errors.New("vault: key must be 32 bytes (AES-256)")
	ErrUnknownToken  = errors.New("vault: unknown token")
	ErrWrongRegion   = errors.New("vault: reveal from another region refused")
	ErrWrongTenant   = errors.New("vault: token belongs to another tenant")
	ErrNoReason      = errors.New("vault: a reveal needs an agent and a reason")
	ErrCorrupt       = errors.New("vault: sealed value does not open")
	ErrEmptyValue    = errors.New("vault: empty value")
	ErrRegionMissing = errors.New("vault: empty region")
)

// entry is one sealed value.
type entry struct {
	Token        string    `json:"token"`
	Tenant       string    `json:"tenant"`
	Visitor      string    `json:"visitor,omitempty"`
	Conversation string    `json:"conversation,omitempty"`
	Type         string    `json:"type"`
	Sealed       []byte    `json:"sealed"` // nonce || ciphertext
	At           time.Time `json:"at"`
}

// Record is one audit log entry: who revealed which token, when and why.
type Record struct {
	At           time.Time `json:"at"`
	Region       string    `json:"region"`
	Tenant       string    `json:"tenant"`
	Conversation string    `json:"conversation,omitempty"`
	Token        string    `json:"token"`
	Type         string    `json:"type"`
	Agent        string    `json:"agent"`
	AgentRegion  string    `json:"agent_region"`
	Reason       string    `json:"reason"`
	Granted      bool      `json:"granted"`
	Error        string    `json:"error,omitempty"`
}

// Vault stores sealed values of one region.
type Vault struct {
	region string
	aead   cipher.AEAD
	now    func() time.Time
	audit  io.Writer

	mu sync.Mutex
	// entries by token, each its own allocation: a map of pointers grows
	// by copying 24-byte slots instead of the 144-byte entries (the edge's
	// vault takes one per masked value and only grows; growing a map of
	// entries was most of a Put)
	entries map[string]*entry
	records []Record
	changes uint64 // grows with every change of entries
}

// Option configures New.
type Option func(*Vault)

// WithClock sets the clock used for timestamps. Default: time.Now.
func WithClock(now func() time.Time) Option { return func(v *Vault) { v.now = now } }

// WithAuditLog also writes every audit record as one JSON line to w (for
// example an append-only file). Default: records are kept in memory only.
func WithAuditLog(w io.Writer) Option { return func(v *Vault) { v.audit = w } }

// New returns an empty vault for region sealing with key (32 bytes).
func New(region string, key []byte, opts ...Option) (*Vault, error) {
	if region == "" {
		return nil, ErrRegionMissing
	}
	if len(key) != 32 {
		return nil, fmt.Errorf("%w: got %d", ErrBadKey, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("vault: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("vault: %w", err)
	}
	v := &Vault{region: region, aead: aead, now: time.Now, entries: map[string]*entry{}}
	for _, o := range opts {
		o(v)
	}
	return v, nil
}

// Region returns the vault's region.
func (v *Vault) Region() string { return v.region }

func (v *Vault) aad(tenant, token string) []byte {
	return v.appendAAD(nil, tenant, token)
}

// appendAAD appends the additional data that binds a sealed value to its
// region, tenant and token.
func (v *Vault) appendAAD(b []byte, tenant, token string) []byte {
	b = append(append(b, v.region...), 0)
	b = append(append(b, tenant...), 0)
	return append(b, token...)
}

// aadBufs are buffers for the additional data of a seal: a buffer handed to
// cipher.AEAD (an interface) is moved to the heap, once per Put without
// them.
var aadBufs = sync.Pool{New: func() any { b := make([]byte, 0, 128); return &b }}

// tokenEnc is base32 (RFC 4648) in lower case, without padding.
var tokenEnc = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// tokenLen is the length of a token: "pii_" and 15 random bytes in base32.
const tokenLen = len("pii_") + 24

// Put seals value (of PII type typ, e.g. "PHONE") for tenant and returns a
// fresh token that names it ("pii_…"). conversation may be empty; it lets
// EraseConversation find the values of one conversation.
func (v *Vault) Put(tenant, conversation, typ, value string) (string, error) {
	return v.PutVisitor(tenant, "", conversation, typ, value)
}

// PutVisitor is Put that also records the visitor (the shopper's id) the
// value came from, so that EraseVisitor finds it, also after Save and Load.
func (v *Vault) PutVisitor(tenant, visitor, conversation, typ, value string) (string, error) {
	if value == "" {
		return "", ErrEmptyValue
	}
	ns := v.aead.NonceSize()
	// one read of the random source for the token's 15 bytes and the nonce
	var rnd [15 + 12]byte
	if ns > len(rnd)-15 {
		return "", fmt.Errorf("vault: nonce of %d bytes", ns)
	}
	if _, err := rand.Read(rnd[:15+ns]); err != nil {
		return "", fmt.Errorf("vault: token and nonce: %w", err)
	}
	var t [tokenLen]byte
	copy(t[:], "pii_")
	tokenEnc.Encode(t[len("pii_"):], rnd[:15])
	token := string(t[:])
	buf := make([]byte, ns, ns+len(value)+v.aead.Overhead())
	nonce := buf[:ns]
	copy(nonce, rnd[15:])
	plain := append(buf, value...)[ns:] // sealed in place, after the nonce
	aad := aadBufs.Get().(*[]byte)
	*aad = v.appendAAD((*aad)[:0], tenant, token)
	sealed := v.aead.Seal(nonce, nonce, plain, *aad)
	aadBufs.Put(aad)
	v.mu.Lock()
	v.entries[token] = &entry{Token: token, Tenant: tenant, Visitor: visitor, Conversation: conversation, Type: typ, Sealed: sealed, At: v.now().UTC()}
	v.changes++
	v.mu.Unlock()
	return token, nil
}

// RevealRequest is an agent's request to see a masked value.
type RevealRequest struct {
	Tenant      string
	Token       string
	Agent       string // the agent's login
	AgentRegion string // the region the agent works in
	Reason      string // why, in the agent's words (required)
}

// Reveal returns the clear value of req.Token if the agent is in the
// vault's region and the token belongs to req.Tenant. Every call, granted or
// refused, appends an audit record.
func (v *Vault) Reveal(req RevealRequest) (string, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	rec := Record{At: v.now().UTC(), Region: v.region, Tenant: req.Tenant, Token: req.Token,
		Agent: req.Agent, AgentRegion: req.AgentRegion, Reason: req.Reason}
	val, err := v.reveal(req, &rec)
	rec.Granted = err == nil
	if err != nil {
		rec.Error = err.Error()
	}
	v.records = append(v.records, rec)
	if v.audit != nil {
		b, _ := json.Marshal(rec)
		if _, werr := v.audit.Write(append(b, '\n')); werr != nil && err == nil {
			// no reveal without its audit line
			return "", fmt.Errorf("vault: writing audit log: %w", werr)
		}
	}
	return val, err
}

func (v *Vault) reveal(req RevealRequest, rec *Record) (string, error) {
	if strings.TrimSpace(req.Agent) == "" || !VisibleReason(req.Reason) {
		return "", ErrNoReason
	}
	if req.AgentRegion != v.region {
		return "", fmt.Errorf("%w: agent in %q, value in %q", ErrWrongRegion, req.AgentRegion, v.region)
	}
	e, ok := v.entries[req.Token]
	if !ok {
		return "", fmt.Errorf("%w: %q", ErrUnknownToken, req.Token)
	}
	rec.Type, rec.Conversation = e.Type, e.Conversation
	if e.Tenant != req.Tenant {
		return "", ErrWrongTenant
	}
	ns := v.aead.NonceSize()
	if len(e.Sealed) < ns {
		return "", ErrCorrupt
	}
	clear, err := v.aead.Open(nil, e.Sealed[:ns], e.Sealed[ns:], v.aad(e.Tenant, e.Token))
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	return string(clear), nil
}

// Audit returns a copy of the audit records of tenant, oldest first.
func (v *Vault) Audit(tenant string) []Record {
	v.mu.Lock()
	defer v.mu.Unlock()
	var out []Record
	for _, r := range v.records {
		if r.Tenant == tenant {
			out = append(out, r)
		}
	}
	return out
}

// EraseConversation deletes every value stored for one conversation of a
// tenant (a GDPR erasure) and returns how many were deleted. Audit records
// stay: they hold no values.
func (v *Vault) EraseConversation(tenant, conversation string) int {
	if conversation == "" {
		return 0
	}
	return v.erase(func(e *entry) bool { return e.Tenant == tenant && e.Conversation == conversation })
}

// EraseVisitor deletes every value PutVisitor stored for one visitor of a
// tenant, in all their conversations, and returns how many were deleted.
func (v *Vault) EraseVisitor(tenant, visitor string) int {
	if visitor == "" {
		return 0
	}
	return v.erase(func(e *entry) bool { return e.Tenant == tenant && e.Visitor == visitor })
}

func (v *Vault) erase(match func(*entry) bool) int {
	v.mu.Lock()
	defer v.mu.Unlock()
	n := 0
	for k, e := range v.entries {
		if match(e) {
			delete(v.entries, k)
			n++
		}
	}
	if n > 0 {
		v.changes++
	}
	return n
}

// Changes returns a number that grows with every change of the stored
// values (Put, an erasure that deleted something, Load). A caller that
// persists the vault saves when it differs from the number it read before
// its last Save.
func (v *Vault) Changes() uint64 {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.changes
}

// Len returns the number of stored values.
func (v *Vault) Len() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return len(v.entries)
}

// Save writes the sealed values as JSON lines (ciphertext only). It holds
// the vault's lock only to copy the entries, not while encoding and
// writing, so Put and Reveal are not held up by a slow disk.
func (v *Vault) Save(w io.Writer) error {
	v.mu.Lock()
	snap := make([]*entry, 0, len(v.entries))
	for _, e := range v.entries {
		snap = append(snap, e) // an entry is never modified after Put: sharing it is safe
	}
	v.mu.Unlock()
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	for _, e := range snap {
		if err := enc.Encode(e); err != nil {
			return fmt.Errorf("vault: saving: %w", err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("vault: saving: %w", err)
	}
	return nil
}

// Load adds the values Save wrote. Every value is opened once to check it
// was sealed by this region's key; the first that does not open fails Load
// and nothing is added.
func (v *Vault) Load(r io.Reader) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var add []*entry
	for n := 1; sc.Scan(); n++ {
		var e entry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			return fmt.Errorf("vault: loading line %d: %w", n, err)
		}
		ns := v.aead.NonceSize()
		if len(e.Sealed) < ns {
			return fmt.Errorf("vault: loading line %d: %w", n, ErrCorrupt)
		}
		if _, err := v.aead.Open(nil, e.Sealed[:ns], e.Sealed[ns:], v.aad(e.Tenant, e.Token)); err != nil {
			return fmt.Errorf("vault: loading line %d: %w", n, ErrCorrupt)
		}
		add = append(add, &e)
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("vault: loading: %w", err)
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, e := range add {
		v.entries[e.Token] = e
	}
	if len(add) > 0 {
		v.changes++
	}
	return nil
}

// MinReasonChars is the fewest visible characters a reveal reason needs.
const MinReasonChars = 4

// VisibleReason reports whether reason holds at least MinReasonChars
// visible characters: letters, digits, punctuation or symbols. Spaces,
// format characters (zero-width space, bidi controls…), control and
// combining characters do not count, so a reason made of invisible
// characters is no reason.
func VisibleReason(reason string) bool {
	n := 0
	for _, r := range reason {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsPunct(r) || unicode.IsSymbol(r) || unicode.Is(unicode.No, r) {
			if n++; n >= MinReasonChars {
				return true
			}
		}
	}
	return false
}
