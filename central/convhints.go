package central

import "sync"

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

// held reports whether k was last seen held by a person.
func (h *convHints) held(k string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	_, ok := h.m[k]
	return ok
}

// set records whether k is held by a person now.
func (h *convHints) set(k string, held bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !held {
		delete(h.m, k)
		return
	}
	if h.m == nil || len(h.m) >= maxConvHints {
		h.m = map[string]struct{}{}
	}
	h.m[k] = struct{}{}
}
