package pluginhost

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"sync"
	"sync/atomic"

	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/plugins/phrase"
)

// Trigger phrases (plugins/ABI.md section 2.1, ABI 1.2): a guest that
// exports kefu_triggers tells the host, per tenant, the phrases without
// which its inbound and outbound handlers pass with nothing; the host then
// runs it only on texts whose lower-cased form contains one of them. A
// skipped call is a pass and costs no guest code.

// Bounds of a kefu_triggers answer; past them the answer is malformed and
// the tenant's messages all go to the guest.
const (
	maxTriggerBytes   = 64 << 10
	maxTriggerPhrases = 4096
	maxTriggerPhrase  = 1024
	// maxTriggerTenants bounds a deployment's cache; past it the cache
	// starts afresh.
	maxTriggerTenants = 1024
)

// triggersExport is the optional export that lists a tenant's trigger
// phrases: (tenant ptr, len) -> i64 answer as a hook's result, 0 for none.
const triggersExport = "kefu_triggers"

var errTriggers = errors.New("malformed kefu_triggers answer")

// parseTriggers decodes a kefu_triggers answer: a u32 count, then count
// phrases, each a u32 byte length (1..maxTriggerPhrase) and its bytes,
// then nothing (ABI 1.2) or a standing answer (ABI 1.3, answer.go).
func parseTriggers(b []byte) (*triggerSet, error) {
	phrases, rest, err := parsePhrases(b)
	if err != nil {
		return nil, err
	}
	t := &triggerSet{phrases: phrases}
	if len(rest) > 0 {
		if t.answer, err = parseAnswer(rest); err != nil {
			return nil, err
		}
	}
	t.set = phrase.New(phrases)
	return t, nil
}

// parsePhrases decodes the phrases of a kefu_triggers answer and returns
// the bytes after them.
func parsePhrases(b []byte) ([]string, []byte, error) {
	if len(b) > maxTriggerBytes {
		return nil, nil, fmt.Errorf("%w: %d bytes over %d", errTriggers, len(b), maxTriggerBytes)
	}
	if len(b) < 4 {
		return nil, nil, fmt.Errorf("%w: no count", errTriggers)
	}
	n := binary.LittleEndian.Uint32(b)
	b = b[4:]
	if n > maxTriggerPhrases || int(n) > len(b)/5 {
		return nil, nil, fmt.Errorf("%w: %d phrases", errTriggers, n)
	}
	out := make([]string, 0, n)
	for i := range n {
		if len(b) < 4 {
			return nil, nil, fmt.Errorf("%w: phrase %d cut short", errTriggers, i)
		}
		l := binary.LittleEndian.Uint32(b)
		b = b[4:]
		if l == 0 || l > maxTriggerPhrase || int(l) > len(b) {
			return nil, nil, fmt.Errorf("%w: phrase %d of %d bytes", errTriggers, i, l)
		}
		out = append(out, string(b[:l]))
		b = b[l:]
	}
	return out, b, nil
}

// triggerSet is one tenant's trigger phrases and what the guest answers
// without them; a nil *triggerSet runs the guest on every text.
type triggerSet struct {
	phrases []string
	set     *phrase.Set
	answer  *standingAnswer // nil: pass with no labels (ABI 1.2)
}

func newTriggerSet(phrases []string) *triggerSet {
	return &triggerSet{phrases: phrases, set: phrase.New(phrases)}
}

// skips reports whether the guest need not see text: none of the phrases
// occurs in the text the guest would get (invalid UTF-8 bytes become
// U+FFFD, as the envelope encodings do) lower-cased as strings.ToLower,
// or folded as phrase.AppendFold when the standing answer says so.
func (t *triggerSet) skips(text string) bool {
	if t == nil {
		return false
	}
	if t.set.Len() == 0 {
		return true // no phrase to find (pii-redact's answer rests on its scan)
	}
	text = guestView(text)
	var a [512]byte
	if t.answer != nil && t.answer.fold {
		return !t.set.Contains(phrase.AppendFold(a[:0], text))
	}
	return !t.set.Contains(phrase.AppendLower(a[:0], text))
}

// skip returns the guest's result for env without calling it, or false
// when the guest must be called: a phrase occurs in the text, or the
// standing answer's conditions do not hold (with the host's scan of the
// text when it ran one).
func (t *triggerSet) skip(env *chat.Envelope, s *sealer) (Result, bool, *prescan) {
	if !t.skips(env.Message.Text) {
		return Result{}, false, nil
	}
	return t.answer.answer(env, s)
}

// triggerCache holds a deployment's answers by tenant. Every filtered call
// reads it and a tenant's answer is written once, so reads take no lock:
// put replaces the map with a copy.
type triggerCache struct {
	mu sync.Mutex // serialises put
	m  atomic.Pointer[map[string]*triggerSet]
}

func (c *triggerCache) get(tenant string) (*triggerSet, bool) {
	m := c.m.Load()
	if m == nil {
		return nil, false
	}
	t, ok := (*m)[tenant]
	return t, ok
}

func (c *triggerCache) put(tenant string, t *triggerSet) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var next map[string]*triggerSet
	if old := c.m.Load(); old != nil && len(*old) < maxTriggerTenants {
		next = maps.Clone(*old)
	}
	if next == nil {
		next = map[string]*triggerSet{}
	}
	next[tenant] = t
	c.m.Store(&next)
}

// filtered reports whether calls of hook may be skipped by d's triggers.
func (d *deployment) filtered(hook Hook) bool {
	return d.triggersFn && hook != HookEvent && !d.settings.AlwaysCall
}

// askTriggers calls in's kefu_triggers for tenant and caches the answer. A
// malformed answer is logged and means no filter; a failed call is the
// call's failure (the instance is discarded).
func (h *Host) askTriggers(ctx context.Context, d *deployment, in *instance, tenant string) (*triggerSet, error) {
	if in.fuel != nil {
		in.fuel.Set(uint64(d.limits.MaxLoopIterations))
	}
	ptr, err := writeInput(ctx, in, []byte(tenant))
	if err != nil {
		return nil, err
	}
	stack := in.stack
	stack[0], stack[1] = uint64(ptr), uint64(len(tenant))
	if err := in.triggers.CallWithStack(ctx, stack); err != nil {
		return nil, classify(ctx, in, err)
	}
	var t *triggerSet
	if r := stack[0]; r != 0 {
		b, ok := in.mem.Read(uint32(r>>32), min(uint32(r), maxTriggerBytes+1))
		if !ok {
			return nil, &callError{KindOutput, fmt.Errorf("kefu_triggers answer %#x+%d outside memory", r>>32, uint32(r))}
		}
		var err error
		if t, err = parseTriggers(b); err != nil {
			h.log.Warn("plugin triggers ignored", "plugin", d.name, "region", d.region, "version", d.version, "err", err)
		}
	}
	if err := freeInput(ctx, in, ptr); err != nil {
		return nil, err
	}
	d.triggers.put(tenant, t)
	return t, nil
}
