package central

import (
	"context"
	"time"

	"github.com/kefu-io/kefu/central/store"
)

// Vacuuming erased rows (SECURITY.md, "Data at rest"). With a PostgreSQL
// store, erasure leaves the old versions of the rewritten rows in the
// tables until they are vacuumed. Every replica vacuums the tables that
// hold erased texts (store.ErasedTables) every Config.VacuumInterval (1 h)
// and Config.VacuumAfterErasure (1 min) after an erasure it carried out;
// erasures within that minute share one vacuum. So an erased text leaves
// PostgreSQL's tables within about a minute, unless a transaction older
// than the erasure is still open then (VACUUM keeps what an open snapshot
// may see; the next run takes it), and at the latest at the next scheduled
// run. Each run is logged (reason, full, took) with slog; a failure is
// logged and retried at the next occasion.

// vacuumTimeout bounds one run.
const vacuumTimeout = time.Hour

// startVacuum starts the vacuum loop when the store needs it.
func (s *Service) startVacuum() {
	v, ok := store.NeedsVacuum(s.st)
	if !ok {
		return
	}
	every, after := s.cfg.VacuumInterval, s.cfg.VacuumAfterErasure
	if every == 0 {
		every = time.Hour
	}
	if after == 0 {
		after = time.Minute
	}
	if every < 0 && after < 0 {
		s.log.Warn("store: erased rows are never vacuumed by central: run VACUUM on the erased tables yourself", "tables", store.ErasedTables)
		return
	}
	s.bg.Add(1)
	go s.vacuumLoop(v, every, after)
}

// wakeVacuum tells the vacuum loop that an erasure completed.
func (s *Service) wakeVacuum() {
	select {
	case s.vacuumWake <- struct{}{}:
	default:
	}
}

func (s *Service) vacuumLoop(v store.Vacuumer, every, after time.Duration) {
	defer s.bg.Done()
	var tick <-chan time.Time
	if every > 0 {
		t := time.NewTicker(every)
		defer t.Stop()
		tick = t.C
	}
	var due <-chan time.Time // pending run after erasures
	for {
		reason := ""
		select {
		case <-s.closed:
			return
		case <-s.vacuumWake:
			if after > 0 && due == nil {
				due = time.After(after)
			}
			continue
		case <-due:
			due, reason = nil, "erasure"
		case <-tick:
			reason = "schedule"
		}
		s.vacuum(v, reason)
	}
}

func (s *Service) vacuum(v store.Vacuumer, reason string) {
	ctx, cancel := context.WithTimeout(context.Background(), vacuumTimeout)
	defer cancel()
	go func() { // stop a long run when the service closes
		select {
		case <-s.closed:
			cancel()
		case <-ctx.Done():
		}
	}()
	start := time.Now()
	if err := v.VacuumErased(ctx, s.cfg.VacuumFull); err != nil {
		s.log.Warn("store: vacuum of erased rows failed; retried at the next run", "reason", reason, "full", s.cfg.VacuumFull, "err", err)
		return
	}
	s.log.Info("store: vacuumed the tables that hold erased texts", "reason", reason, "full", s.cfg.VacuumFull,
		"tables", store.ErasedTables, "took", time.Since(start).Round(time.Millisecond))
}
