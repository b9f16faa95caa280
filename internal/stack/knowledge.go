package stack

import (
	"context"
	"fmt"
	"io/fs"
	"strings"

	"github.com/kefu-io/kefu/assets/kb"
	"github.com/kefu-io/kefu/central"
	"github.com/kefu-io/kefu/central/knowledge"
)

// seedKnowledge loads the demo knowledge pack (assets/kb) into tenant when
// it has no document yet, so `kefu dev` answers from 112 documents and a
// 210-product catalogue out of the box; a merchant's own ingest replaces
// or adds to it.
func seedKnowledge(ctx context.Context, svc *central.Service, tenant string) error {
	docs, err := svc.Store().Documents(ctx, tenant, false)
	if err != nil {
		return fmt.Errorf("stack: demo knowledge: %w", err)
	}
	if len(docs) > 0 {
		return nil
	}
	fsys := kb.Demo()
	files := map[string][]byte{}
	err = fs.WalkDir(fsys, "docs", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(fsys, p)
		files[strings.TrimPrefix(p, "docs/")] = b
		return err
	})
	if err != nil {
		return fmt.Errorf("stack: demo knowledge: %w", err)
	}
	if _, err := svc.IngestFiles(ctx, tenant, files, ""); err != nil {
		return fmt.Errorf("stack: demo knowledge: %w", err)
	}
	b, err := fs.ReadFile(fsys, "catalog.csv")
	if err != nil {
		return fmt.Errorf("stack: demo catalogue: %w", err)
	}
	ps, err := knowledge.ParseCatalogCSV(b)
	if err != nil {
		return fmt.Errorf("stack: demo catalogue: %w", err)
	}
	return svc.ImportProducts(ctx, tenant, ps)
}
