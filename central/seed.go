package central

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/kefu-io/kefu/central/store"
)

// seedDemoSite gives the demo tenant an identity secret and its site (key =
// the tenant id, every origin allowed) when they are missing; a merchant's
// later changes to them are kept.
func (s *Service) seedDemoSite(ctx context.Context) error {
	t, err := s.st.Tenant(ctx, s.cfg.DemoTenant)
	if err != nil {
		return fmt.Errorf("central: seed: %w", err)
	}
	if t.IdentitySecret == "" {
		b := make([]byte, 32)
		_, _ = rand.Read(b)
		if err := s.st.SetIdentitySecret(ctx, t.ID, hex.EncodeToString(b)); err != nil {
			return fmt.Errorf("central: seed identity secret: %w", err)
		}
	}
	err = s.st.CreateSite(ctx, store.Site{Key: s.cfg.DemoTenant, Tenant: s.cfg.DemoTenant, Name: "Demo storefront"})
	if err != nil && !errors.Is(err, store.ErrExists) {
		return fmt.Errorf("central: seed site: %w", err)
	}
	return nil
}
