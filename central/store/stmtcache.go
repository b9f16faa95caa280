package store

import (
	"context"
	"database/sql/driver"
	"reflect"
	"sync"
)

// stmtCacheSize bounds the prepared statements one SQLite connection keeps
// (the store's queries are a fixed set; one built per call, such as an IN
// list of variable length, may fill the rest and is then run unprepared).
const stmtCacheSize = 512

// stmtCacheConnector opens SQLite connections that keep each query's
// prepared statement (stmtCacheConn): the store runs the same few hundred
// queries over and over, and SQLite parsed and planned each one anew on
// every call (a quarter of central's CPU time per shopper message in
// `kefu bench stack`).
type stmtCacheConnector struct{ driver.Connector }

// Connect implements driver.Connector.
func (c stmtCacheConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	sc, ok := conn.(sqliteConn)
	if !ok { // not modernc's connection: no cache
		return conn, nil
	}
	return &stmtCacheConn{sqliteConn: sc, stmts: map[string]*cachedStmt{}}, nil
}

// sqliteConn is what every modernc.org/sqlite connection implements; the
// wrapper forwards all of it (modernc.org/sqlite NewConnector).
type sqliteConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
}

// stmtCacheConn runs a query with arguments on its cached prepared
// statement, preparing it on first use. A statement is used by one call at
// a time: a query whose statement still has rows open (the same query
// nested in a transaction) runs unprepared, as do queries without
// arguments (schema scripts, pragmas, VACUUM) and queries past
// stmtCacheSize. database/sql uses a connection from one goroutine at a
// time; mu also orders a Rows.Close that database/sql makes when a query's
// context ends.
type stmtCacheConn struct {
	sqliteConn
	mu    sync.Mutex
	stmts map[string]*cachedStmt
	inTx  bool // a transaction is open (BeginTx until its Commit or Rollback)
}

type cachedStmt struct {
	stmt  driver.Stmt
	exec  driver.StmtExecContext
	query driver.StmtQueryContext
	busy  bool
}

// Unwrap returns the driver's connection (modernc.org/sqlite NewConnector).
func (c *stmtCacheConn) Unwrap() driver.Conn { return c.sqliteConn }

// take returns query's statement, marked busy, or false to run it
// unprepared.
func (c *stmtCacheConn) take(ctx context.Context, query string, args []driver.NamedValue) (*cachedStmt, bool) {
	if len(args) == 0 {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	cs := c.stmts[query]
	if cs == nil {
		if len(c.stmts) >= stmtCacheSize {
			return nil, false
		}
		st, err := c.sqliteConn.PrepareContext(ctx, query)
		if err != nil {
			return nil, false // the unprepared call reports it
		}
		ex, okExec := st.(driver.StmtExecContext)
		qu, okQuery := st.(driver.StmtQueryContext)
		if !okExec || !okQuery {
			_ = st.Close()
			return nil, false
		}
		cs = &cachedStmt{stmt: st, exec: ex, query: qu}
		c.stmts[query] = cs
	}
	if cs.busy {
		return nil, false
	}
	cs.busy = true
	return cs, true
}

func (c *stmtCacheConn) give(cs *cachedStmt) {
	c.mu.Lock()
	cs.busy = false
	c.mu.Unlock()
}

// Statements inside a transaction run without the caller's cancellation.
// modernc.org/sqlite starts a goroutine per statement whose context can
// end (interruptOnDone: a channel, a mutex and a progress handler besides),
// to call sqlite3_interrupt when it does; central's writes pass the
// message's context, so every statement of a message's transaction paid
// for one (issue 14). And an interrupt is wrong there: on SQLite every
// transaction is the group commit's (groupcommit.go), shared by the
// callers queued together, and an interrupted write rolls the whole
// transaction back, taking the other callers' writes with it (they then
// run again, each alone). A caller whose context ended before its function
// ran gets its error from the group without running; its statements are
// point reads and writes that end on their own.

// BeginTx implements driver.ConnBeginTx.
func (c *stmtCacheConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	tx, err := c.sqliteConn.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	c.inTx = true
	return &cacheTx{Tx: tx, c: c}, nil
}

// cacheTx ends its connection's transaction state with the transaction.
type cacheTx struct {
	driver.Tx
	c *stmtCacheConn
}

func (t *cacheTx) Commit() error {
	t.c.inTx = false
	return t.Tx.Commit()
}

func (t *cacheTx) Rollback() error {
	t.c.inTx = false
	return t.Tx.Rollback()
}

// stmtCtx is the context a statement runs with: ctx, or, inside a
// transaction, one that never ends.
func (c *stmtCacheConn) stmtCtx(ctx context.Context) context.Context {
	if c.inTx {
		return context.Background()
	}
	return ctx
}

// ExecContext implements driver.ExecerContext.
func (c *stmtCacheConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	ctx = c.stmtCtx(ctx)
	cs, ok := c.take(ctx, query, args)
	if !ok {
		return c.sqliteConn.ExecContext(ctx, query, args)
	}
	defer c.give(cs)
	return cs.exec.ExecContext(ctx, args)
}

// QueryContext implements driver.QueryerContext.
func (c *stmtCacheConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	ctx = c.stmtCtx(ctx)
	cs, ok := c.take(ctx, query, args)
	if !ok {
		return c.sqliteConn.QueryContext(ctx, query, args)
	}
	rows, err := cs.query.QueryContext(ctx, args)
	if err != nil {
		c.give(cs)
		return nil, err
	}
	return &cachedRows{Rows: rows, release: func() { c.give(cs) }}, nil
}

// Close finalizes the cached statements, then closes the connection.
func (c *stmtCacheConn) Close() error {
	c.mu.Lock()
	for q, cs := range c.stmts {
		_ = cs.stmt.Close()
		delete(c.stmts, q)
	}
	c.mu.Unlock()
	return c.sqliteConn.Close()
}

// cachedRows gives its statement back when closed, and forwards the
// column-type methods of the driver's rows.
type cachedRows struct {
	driver.Rows
	release func()
	once    sync.Once
}

func (r *cachedRows) Close() error {
	err := r.Rows.Close()
	r.once.Do(r.release)
	return err
}

func (r *cachedRows) ColumnTypeDatabaseTypeName(i int) string {
	if t, ok := r.Rows.(driver.RowsColumnTypeDatabaseTypeName); ok {
		return t.ColumnTypeDatabaseTypeName(i)
	}
	return ""
}

func (r *cachedRows) ColumnTypeLength(i int) (int64, bool) {
	if t, ok := r.Rows.(driver.RowsColumnTypeLength); ok {
		return t.ColumnTypeLength(i)
	}
	return 0, false
}

func (r *cachedRows) ColumnTypeNullable(i int) (bool, bool) {
	if t, ok := r.Rows.(driver.RowsColumnTypeNullable); ok {
		return t.ColumnTypeNullable(i)
	}
	return false, false
}

func (r *cachedRows) ColumnTypePrecisionScale(i int) (int64, int64, bool) {
	if t, ok := r.Rows.(driver.RowsColumnTypePrecisionScale); ok {
		return t.ColumnTypePrecisionScale(i)
	}
	return 0, 0, false
}

func (r *cachedRows) ColumnTypeScanType(i int) reflect.Type {
	if t, ok := r.Rows.(driver.RowsColumnTypeScanType); ok {
		return t.ColumnTypeScanType(i)
	}
	return reflect.TypeFor[any]()
}

// Interface guards.
var (
	_ driver.Connector                      = stmtCacheConnector{}
	_ sqliteConn                            = (*stmtCacheConn)(nil)
	_ driver.RowsColumnTypeScanType         = (*cachedRows)(nil)
	_ driver.RowsColumnTypeDatabaseTypeName = (*cachedRows)(nil)
)
