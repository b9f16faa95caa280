package pluginhost

import (
	"errors"

	"github.com/kefu-io/kefu/chat"
)

// Hook names the point in a message's life where a pipeline runs.
type Hook string

// Hooks a plugin may export an entry point for (plugins/ABI.md).
const (
	HookInbound  Hook = "inbound"  // shopper → central, before forwarding
	HookOutbound Hook = "outbound" // central → shopper, before delivery
	HookEvent    Hook = "event"    // a conversation event
)

// Verdict is what a plugin decided about an envelope.
type Verdict int

// Verdicts, in the order of precedence a pipeline applies them.
const (
	Pass     Verdict = iota // unchanged; the next plugin runs
	Modify                  // the envelope was changed; the next plugin sees the change
	Answer                  // reply directly (Outcome.Answer); stop the pipeline
	Drop                    // refuse the message (Outcome.Reason); stop the pipeline
	Escalate                // forward, and ask central for a human (Outcome.Reason)
	// Decline is a plugin's "not mine" (ABI 1.1): it goes on as Pass, and
	// the plugin and its reason are kept in Outcome.Declined. It is never
	// an Outcome's deciding verdict.
	Decline
)

// String returns the verdict's lower-case name.
func (v Verdict) String() string {
	switch v {
	case Pass:
		return "pass"
	case Modify:
		return "modify"
	case Answer:
		return "answer"
	case Drop:
		return "drop"
	case Escalate:
		return "escalate"
	case Decline:
		return "decline"
	}
	return "unknown"
}

// Outcome is the result of running a pipeline over one envelope.
type Outcome struct {
	// Verdict is the deciding verdict: the first Answer/Drop/Escalate, else
	// Modify if any plugin modified, else Pass.
	Verdict Verdict
	// Envelope is the envelope after every plugin that ran.
	Envelope chat.Envelope
	// Answer is the reply text when Verdict is Answer.
	Answer string
	// Reason explains Drop and Escalate.
	Reason string
	// Plugin names the plugin that decided Answer, Drop or Escalate.
	Plugin string
	// Declined lists the plugins that declined the message, in pipeline
	// order, with their reasons.
	Declined []Declined
}

// Declined is one plugin's decline of a message.
type Declined struct {
	Plugin, Reason string
}

// ErrPluginFailed is wrapped by Run's error when a fail-closed plugin
// trapped, timed out or returned malformed output.
var ErrPluginFailed = errors.New("pluginhost: plugin failed")
