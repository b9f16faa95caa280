package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"sync/atomic"
	"time"
)

// Group commit (issue 14).
//
// Central stores the messages of a JetStream batch on several lanes at once
// (central/consume.go), each message in a few write transactions. SQLite
// has one writer: those transactions used to queue on a mutex, each paying
// BEGIN, its page writes to the WAL and COMMIT on its own. Now a write
// transaction asked for while another group is committing waits in a queue,
// and the next free slot runs everything queued as ONE transaction:
//
//   - each function runs inside a SAVEPOINT; an error rolls back its own
//     writes only (ROLLBACK TO), and is returned to its caller alone, so a
//     message the store refuses neither rolls back nor blocks the others;
//   - every caller returns only after the shared COMMIT (what a method
//     returns without error is committed, store.go), so central acks a
//     message and publishes its reply only after what they depend on is
//     committed;
//   - when the shared transaction cannot be committed (or breaks midway,
//     as SQLite does on some errors), the functions that had succeeded run
//     again, each in a transaction of its own: one failing commit costs the
//     group a retry, never another caller's write.
//
// A lone transaction runs as before, without a savepoint. SQLite has one
// slot (one writer); PostgreSQL several, so that replicas' row locks and
// the pool's connections still serve concurrent writers, while each slot
// flushes its WAL once per group.

// maxGroup bounds the functions of one shared transaction, so that a
// commit never holds the writer for long.
const maxGroup = 128

// txGroup queues write transactions and runs them in groups.
type txGroup struct {
	slots chan struct{} // one token per group that may run at once
	queue chan *txReq   // waiting to be taken by a slot
	// delay is how long a slot waits for company before it runs a small
	// group while the group before had company (0: never waits).
	delay time.Duration
	sleep func(time.Duration) // time.Sleep; tests replace it
	last  atomic.Int32        // the size of the group taken last
	// afterRun, in tests, runs after each shared transaction's functions
	// and before its commit; an error fails the commit.
	afterRun func(tx *sql.Tx) error
}

type txReq struct {
	ctx  context.Context
	f    func(tx *sql.Tx) error
	done chan error // buffered: the runner never waits for the caller
}

// commitDelay is SQLite's wait for company (take): its one writer pays
// each commit's WAL writes of every page the group dirtied. PostgreSQL's
// slots do not wait (its server has commit_delay of its own).
const commitDelay = time.Millisecond

// smallGroup is the size below which a slot under load waits for company.
const smallGroup = maxGroup / 8

func newTxGroup(slots int, delay time.Duration) *txGroup {
	return &txGroup{slots: make(chan struct{}, max(1, slots)), queue: make(chan *txReq, 4096),
		delay: delay, sleep: time.Sleep}
}

// do runs f in a write transaction (shared with the others queued at the
// same time) and returns its error once the transaction committed or
// failed.
func (g *txGroup) do(ctx context.Context, db *sql.DB, f func(tx *sql.Tx) error) error {
	r := &txReq{ctx: ctx, f: f, done: make(chan error, 1)}
	select {
	case g.queue <- r:
	case <-ctx.Done():
		return fmt.Errorf("store: begin: %w", ctx.Err())
	}
	for {
		select {
		case err := <-r.done: // a slot ran it
			return err
		case g.slots <- struct{}{}:
			batch := g.take()
			if len(batch) > 0 {
				g.run(db, batch)
			}
			<-g.slots
			if len(batch) == 0 {
				// The queue was empty, so another slot's group took r:
				// wait for it rather than take free slots in a loop.
				return <-r.done
			}
		}
	}
}

// take removes what is queued, up to maxGroup. A lone transaction first
// lets the other runnable goroutines run once (runtime.Gosched): lanes
// about to ask for a write then join its commit instead of each committing
// alone right after it (in a goal run of `kefu bench stack`, 44% of the
// write transactions' CPU was in groups of one). On an idle process
// Gosched returns at once. Under load (the group before had company) a
// group smaller than smallGroup also waits g.delay once, as PostgreSQL's
// commit_delay does: with CPU to spare the writer otherwise committed
// more often with fewer messages each, each commit writing again every
// page its group dirtied (conversation, message and their indexes), so
// the CPU per message rose with the CPU left free (issue 14, goal 4).
func (g *txGroup) take() []*txReq {
	var batch []*txReq
	yielded, waited := false, false
	for len(batch) < maxGroup {
		select {
		case r := <-g.queue:
			batch = append(batch, r)
			continue
		default:
		}
		if len(batch) == 1 && !yielded {
			yielded = true
			runtime.Gosched()
			continue
		}
		if len(batch) > 0 && len(batch) < smallGroup && !waited && g.delay > 0 && g.last.Load() > 1 {
			waited = true
			g.sleep(g.delay)
			continue
		}
		break
	}
	if len(batch) > 0 {
		g.last.Store(int32(len(batch)))
	}
	return batch
}

// run runs a batch taken from the queue and answers each of its callers.
func (g *txGroup) run(db *sql.DB, batch []*txReq) {
	if len(batch) == 1 && g.afterRun == nil {
		batch[0].done <- single(db, batch[0])
		return
	}
	errs, ok := shared(db, batch, g.afterRun)
	for i, r := range batch {
		switch {
		case ok || errs[i] != nil:
			r.done <- errs[i]
		default: // the shared commit failed: on its own
			r.done <- single(db, r)
		}
	}
}

// single runs one function in a transaction of its own.
func single(db *sql.DB, r *txReq) error {
	if err := r.ctx.Err(); err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	tx, err := db.BeginTx(context.WithoutCancel(r.ctx), nil)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	if err := call(r.f, tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	return nil
}

// shared runs the batch in one transaction, each function in a savepoint.
// errs holds the error of each function that failed on its own (its
// writes rolled back); ok reports whether the transaction committed. When
// it did not, the functions whose errs is nil must run again.
func shared(db *sql.DB, batch []*txReq, afterRun func(tx *sql.Tx) error) (errs []error, ok bool) {
	errs = make([]error, len(batch))
	tx, err := db.BeginTx(context.Background(), nil)
	if err != nil {
		return errs, false
	}
	for i, r := range batch {
		if err := r.ctx.Err(); err != nil {
			errs[i] = fmt.Errorf("store: begin: %w", err)
			continue
		}
		if _, err := tx.Exec(`SAVEPOINT kefu_group`); err != nil {
			_ = tx.Rollback()
			return clearFrom(errs, i), false
		}
		if err := call(r.f, tx); err != nil {
			errs[i] = err
			if _, rerr := tx.Exec(`ROLLBACK TO SAVEPOINT kefu_group`); rerr != nil {
				// The transaction broke (SQLite rolls it back whole on
				// some errors): the earlier functions run again on their own.
				_ = tx.Rollback()
				return clearFrom(errs, i+1), false
			}
		}
		if _, err := tx.Exec(`RELEASE SAVEPOINT kefu_group`); err != nil {
			_ = tx.Rollback()
			return clearFrom(errs, i+1), false
		}
	}
	if afterRun != nil {
		if err := afterRun(tx); err != nil {
			_ = tx.Rollback()
			return errs, false
		}
	}
	if err := tx.Commit(); err != nil {
		return errs, false
	}
	return errs, true
}

// clearFrom forgets the errors from i on: those functions did not run (or
// ran in a transaction that is gone) and run again on their own.
func clearFrom(errs []error, i int) []error {
	for j := i; j < len(errs); j++ {
		errs[j] = nil
	}
	return errs
}

// call runs f, turning a panic into an error: f runs on the goroutine of
// whichever caller took the group, and must not take that caller down.
func call(f func(tx *sql.Tx) error, tx *sql.Tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("store: transaction: %w: %v", errPanic, p)
		}
	}()
	return f(tx)
}

var errPanic = errors.New("panic")
