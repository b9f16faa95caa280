package central

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/kefu-io/kefu/central/demo"
	"github.com/kefu-io/kefu/central/store"
)

// SeedDemo writes package demo's synthetic history for opt.Tenant unless
// the tenant already has it (its demo agents exist); seeded is false then.
// It brings the tenant's conversation facts up to date first, so that the
// imported history (which carries its own facts) is not recomputed.
func (s *Service) SeedDemo(ctx context.Context, opt demo.Options) (res demo.Result, seeded bool, err error) {
	if _, err := s.st.AgentByEmail(ctx, opt.Tenant, "demo-agent-1"+demo.AgentEmailDomain); err == nil {
		return demo.Result{}, false, nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return demo.Result{}, false, err
	}
	if err := s.refreshStats(ctx, opt.Tenant); err != nil {
		return demo.Result{}, false, fmt.Errorf("central: seed demo: %w", err)
	}
	s.statsMu.Lock()
	wm, err := s.st.StatsWatermark(ctx, opt.Tenant)
	if err == nil && wm.IsZero() {
		err = s.st.SetStatsWatermark(ctx, opt.Tenant, time.Now())
	}
	s.statsMu.Unlock()
	if err != nil {
		return demo.Result{}, false, fmt.Errorf("central: seed demo: %w", err)
	}
	if opt.SLA == 0 {
		opt.SLA = s.sla(ctx, opt.Tenant)
	}
	res, err = demo.Seed(ctx, s.st, opt)
	if err != nil {
		return res, false, fmt.Errorf("central: seed demo: %w", err)
	}
	return res, true, nil
}
