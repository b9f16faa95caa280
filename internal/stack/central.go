package stack

import (
	"context"
	"fmt"

	"github.com/kefu-io/kefu/central"
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
	})
	if err != nil {
		return nil, fmt.Errorf("stack: central: %w", err)
	}
	return svc, nil
}
