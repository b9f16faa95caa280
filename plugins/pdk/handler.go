package pdk

import (
	"errors"
	"fmt"
)

// Hook names a point where handlers run.
type Hook int

// Hooks, with the bit each has in kefu_hooks.
const (
	HookInbound  Hook = 1
	HookOutbound Hook = 2
	HookEvent    Hook = 4
)

// Handler decides about one envelope. It may modify env freely: only the
// returned Result reaches the host.
type Handler func(env *Envelope) Result

var handlers [3]Handler

func slot(h Hook) int {
	switch h {
	case HookInbound:
		return 0
	case HookOutbound:
		return 1
	case HookEvent:
		return 2
	}
	panic(fmt.Sprintf("pdk: unknown hook %d", h))
}

// OnInbound registers the handler for shopper → central messages. Call it
// from an init function.
func OnInbound(h Handler) { handlers[0] = h }

// OnOutbound registers the handler for central → shopper messages.
func OnOutbound(h Handler) { handlers[1] = h }

// OnEvent registers the handler for conversation events.
func OnEvent(h Handler) { handlers[2] = h }

func hookBits() int32 {
	var b int32
	for i, h := range handlers {
		if h != nil {
			b |= 1 << i
		}
	}
	return b
}

// ErrNoHandler is returned by Handle when no handler is registered for the hook.
var ErrNoHandler = errors.New("pdk: no handler registered for hook")

// Handle decodes input (an envelope as JSON, or in the binary format of
// plugins/ABI.md section 4.1), runs the handler registered
// for hook and returns the encoded result (nil for a plain pass). The wasm
// exports call it; native tests may too.
func Handle(hook Hook, input []byte) ([]byte, error) {
	return handle(hook, input, nil)
}

// handle is Handle appending the encoded result to dst.
func handle(hook Hook, input, dst []byte) ([]byte, error) {
	h := handlers[slot(hook)]
	if h == nil {
		return nil, ErrNoHandler
	}
	var env Envelope
	knowsDecline := true // a JSON envelope: the host is assumed to speak ABI 1.1
	var err error
	if isBinaryEnvelope(input) {
		knowsDecline, err = decodeBinaryEnvelopeABI(input, &env)
	} else {
		err = decodeEnvelope(input, &env)
	}
	if err != nil {
		return nil, fmt.Errorf("pdk: decoding envelope: %w", err)
	}
	r := h(&env)
	if r.Verdict == VerdictDecline && !knowsDecline {
		r.Verdict, r.Reason = VerdictPass, "" // an ABI 1.0 host refuses the verdict
	}
	if r.isPlainPass() {
		return nil, nil
	}
	return r.appendTo(dst), nil
}

// Run runs the handler registered for hook on env directly (native tests).
func Run(hook Hook, env *Envelope) (Result, error) {
	h := handlers[slot(hook)]
	if h == nil {
		return Result{}, ErrNoHandler
	}
	return h(env), nil
}
