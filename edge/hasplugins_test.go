package edge

import (
	"context"
	"testing"

	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/edge/pluginhost"
)

type runOnly struct{}

func (runOnly) Run(_ context.Context, _ string, _ pluginhost.Hook, env chat.Envelope) (pluginhost.Outcome, error) {
	return pluginhost.Outcome{Verdict: pluginhost.Pass, Envelope: env}, nil
}

type listed struct {
	runOnly
	inbound bool
}

func (l listed) HasPipeline(_ string, hook pluginhost.Hook) bool {
	return hook == pluginhost.HookInbound && l.inbound
}

// Only a PipelineLister that says so (or no plugins) lets a hook skip its
// worker or lane.
func TestHasPipeline(t *testing.T) {
	for _, c := range []struct {
		name    string
		p       Plugins
		in, out bool
	}{
		{"none", nil, false, false},
		{"not a lister", runOnly{}, true, true},
		{"inbound only", listed{inbound: true}, true, false},
		{"nothing listed", listed{}, false, false},
	} {
		in, out := hasPipeline(c.p, "r", pluginhost.HookInbound), hasPipeline(c.p, "r", pluginhost.HookOutbound)
		if in != c.in || out != c.out {
			t.Errorf("%s: inbound %v outbound %v, want %v %v", c.name, in, out, c.in, c.out)
		}
	}
}
