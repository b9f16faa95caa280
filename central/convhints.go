package central

import (
	"sync"

	"github.com/kefu-io/kefu/central/store"
	"github.com/kefu-io/kefu/chat"
)

// convHints remembers which conversations (by tenant and visitor) were last
// seen held by a person (queued or assigned), so that replyPlan does not
// answer their messages in advance for nothing: such a message goes the
// usual way, which answers nothing. A hint only saves work; whether the
// bot answers is decided inside the store's transaction (store.ReplyPlan),
// so a stale hint costs at most an answer computed for nothing, or one
// stored in a transaction of its own.
type convHints struct {
	mu sync.Mutex
	m  map[string]struct{} // conversations held by a person
}

// maxConvHints bounds the hints; past it they are forgotten all at once.
const maxConvHints = 100_000

// hintKey is the key of env's conversation.
func hintKey(env chat.Envelope) string { return env.Tenant + "\x00" + env.Visitor }

// held reports whether env's conversation was last seen held by a person.
func (h *convHints) held(env chat.Envelope) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	_, ok := h.m[hintKey(env)]
	return ok
}

// seen records whether env's conversation c is held by a person now.
func (h *convHints) seen(env chat.Envelope, c store.Conversation) {
	k := hintKey(env)
	h.mu.Lock()
	defer h.mu.Unlock()
	if c.Status != store.StatusQueued && c.Status != store.StatusAssigned {
		delete(h.m, k)
		return
	}
	if h.m == nil || len(h.m) >= maxConvHints {
		h.m = map[string]struct{}{}
	}
	h.m[k] = struct{}{}
}
