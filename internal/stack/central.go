package stack

import (
	"context"
	"fmt"
	"time"

	"github.com/kefu-io/kefu/central"
	"github.com/kefu-io/kefu/central/demo"
	"github.com/kefu-io/kefu/chat"
)

// startCentral starts central on SQLite under the data folder, with the
// shipped intent and language-id models (central's defaults).
func startCentral(ctx context.Context, s *Stack, o Options, pack chat.FAQPack) (*central.Service, error) {
	svc, err := central.New(ctx, central.Config{
		NATS:              s.ncCen,
		DataDir:           o.DataDir,
		FAQ:               pack,
		DemoTenant:        DemoSite,
		DemoAgentEmail:    o.AgentEmail,
		DemoAgentPassword: o.AgentPassword,
		DemoAgentName:     "Demo Agent",
		Logger:            o.Logger,
		Registerer:        s.reg,
		Tracer:            s.centralTracer,
		// kefu dev runs on one machine: webhooks and alert robots of a
		// developer are often on localhost (internal/egress).
		AllowPrivateURLs: true,
	})
	if err != nil {
		return nil, fmt.Errorf("stack: central: %w", err)
	}
	if !o.NoDemoKnowledge {
		if err := seedKnowledge(ctx, svc, DemoSite); err != nil {
			svc.Close()
			return nil, err
		}
	}
	return svc, nil
}

// seedDemo writes the demo history (kefu dev --demo-history).
func seedDemo(ctx context.Context, svc *central.Service, o Options) {
	start := time.Now()
	res, seeded, err := svc.SeedDemo(ctx, demo.Options{Tenant: DemoSite, Days: o.DemoHistoryDays})
	switch {
	case err != nil:
		o.Logger.Warn("demo history not seeded", "err", err)
	case seeded:
		o.Logger.Info("demo history seeded (remove with: kefu demo remove)", "days", o.DemoHistoryDays, "conversations", res.Conversations,
			"messages", res.Messages, "orders", res.Orders, "browser_answers", res.Hits, "took", time.Since(start).Round(time.Millisecond))
	}
}
