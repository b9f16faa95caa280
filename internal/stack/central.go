package stack

import (
	"context"
	"fmt"

	"github.com/kefu-io/kefu/central"
	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/models/artifacts"
	"github.com/kefu-io/kefu/models/textmodel"
)

// classifier adapts a textmodel.Model to central.Classifier.
type classifier struct{ m *textmodel.Model }

func (c classifier) Predict(text string) (string, float32) {
	p := c.m.Predict(text)
	return p.Label, p.Score
}

func loadClassifier(name string, data []byte) (central.Classifier, error) {
	m, err := textmodel.Load(data)
	if err != nil {
		return nil, fmt.Errorf("stack: %s model: %w", name, err)
	}
	return classifier{m}, nil
}

func startCentral(ctx context.Context, s *Stack, o Options, pack chat.FAQPack) (*central.Service, error) {
	intent, err := loadClassifier("intent", artifacts.Intent())
	if err != nil {
		return nil, err
	}
	sentiment, err := loadClassifier("sentiment", artifacts.Sentiment())
	if err != nil {
		return nil, err
	}
	svc, err := central.New(ctx, central.Config{
		NATS:              s.ncCen,
		DataDir:           o.DataDir,
		FAQ:               pack,
		Intent:            intent,
		Sentiment:         sentiment,
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
