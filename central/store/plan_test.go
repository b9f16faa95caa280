package store

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// TestVisitorLookupsUseTheVisitorIndex: SQLite, without statistics, found a
// visitor's conversation by walking the tenant's conversations newest first
// (conversations_updated) until the visitor's turned up, a cost that grew
// with the tenant's conversations on every shopper message.
func TestVisitorLookupsUseTheVisitorIndex(t *testing.T) {
	st, err := OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "kefu.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	s := st.(*sqlStore)
	for name, q := range map[string]string{"open conversation": openConvSQL, "latest conversation": latestConvSQL} {
		rows, err := s.db.QueryContext(context.Background(), "EXPLAIN QUERY PLAN "+q, "t", "v")
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		if p := strings.Join(plan, "; "); !strings.Contains(p, "conversations_visitor (tenant=? AND visitor=?)") {
			t.Errorf("%s: plan %q, want a search of conversations_visitor", name, p)
		}
	}
}
