package qa

import (
	"context"
	"log/slog"
	"strconv"
	"strings"

	"github.com/kefu-io/kefu/central/knowledge"
)

// KnowledgePolicy is the off_policy check against tenant's part of the
// knowledge hub (knowledge.Hub.Contradictions). A failed look-up (ctx
// cancelled) is logged and finds nothing, so scoring goes on.
func KnowledgePolicy(ctx context.Context, h *knowledge.Hub, tenant string, log *slog.Logger) PolicyFunc {
	return func(reply, about string) []PolicyFinding {
		cs, err := h.Contradictions(ctx, tenant, reply, about)
		if err != nil {
			if log != nil {
				log.Warn("qa: policy check", "tenant", tenant, "err", err)
			}
			return nil
		}
		out := make([]PolicyFinding, 0, len(cs))
		for _, c := range cs {
			out = append(out, PolicyFinding{Sentence: c.Promise.Sentence, Promise: claimText(c.Promise), Relation: c.Promise.Relation,
				Entity: c.Entity, Policy: claimText(c.Policy), Fact: c.Policy.Sentence, Doc: c.Source.Doc, Title: c.Source.Title,
				Passage: c.Source.Passage})
		}
		return out
	}
}

// claimText is a claim as written, or "free".
func claimText(c knowledge.Claim) string {
	if c.Free {
		return "free"
	}
	if c.Text != "" {
		return c.Text
	}
	return strings.TrimRight(strings.TrimRight(strconv.FormatFloat(c.Min, 'f', 2, 64), "0"), ".")
}
