package pluginhost

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/tetratelabs/wazero/api"

	"github.com/kefu-io/kefu/edge/vault"
)

// ErrNoVault is returned by Reveal for a region the host does not run.
var ErrNoVault = errors.New("pluginhost: no vault for region")

// Limits of vault_put.
const (
	maxVaultType  = 32
	maxVaultValue = 4 << 10
)

// newVaults opens one vault per configured region, sealing with the region's
// key from VaultKeys, else (VaultDir set) the key file's, else a random key
// of this process (values then do not survive a restart). With VaultDir the
// values saved there are loaded and vf persists them (vaultfile.go).
func newVaults(cfg Config, log *slog.Logger) (_ map[string]*vault.Vault, vf *vaultFiles, err error) {
	cfg, err = withVaultKeys(cfg, log)
	if err != nil {
		return nil, nil, err
	}
	audit := cfg.VaultAudit
	if cfg.VaultDir != "" {
		vf = &vaultFiles{dir: cfg.VaultDir, log: log, saved: map[string]uint64{}}
		if err := os.MkdirAll(cfg.VaultDir, 0o700); err != nil {
			return nil, nil, fmt.Errorf("pluginhost: vault dir: %w", err)
		}
		if audit == nil {
			if audit, err = vf.openAudit(); err != nil {
				return nil, nil, err
			}
		}
	}
	defer func() {
		if err != nil && vf != nil {
			vf.close()
		}
	}()
	var opts []vault.Option
	if audit != nil {
		opts = append(opts, vault.WithAuditLog(&lockedWriter{w: audit}))
	}
	out := make(map[string]*vault.Vault, len(cfg.Regions))
	for region := range cfg.Regions {
		key, err := vaultKey(cfg.VaultKeys, region)
		if err != nil {
			return nil, nil, err
		}
		v, err := vault.New(region, key, opts...)
		if err != nil {
			return nil, nil, fmt.Errorf("pluginhost: vault of region %q: %w", region, err)
		}
		out[region] = v
	}
	if vf != nil {
		if err := vf.load(out); err != nil {
			return nil, nil, err
		}
	}
	return out, vf, nil
}

func vaultKey(keys map[string]string, region string) ([]byte, error) {
	k, ok := keys[region]
	if !ok {
		key := make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return nil, fmt.Errorf("pluginhost: vault key of region %q: %w", region, err)
		}
		return key, nil
	}
	key, err := base64.StdEncoding.DecodeString(k)
	if err != nil || len(key) != 32 {
		return nil, fmt.Errorf("%w: vault_keys.%s is not 32 bytes of base64", ErrConfig, region)
	}
	return key, nil
}

// lockedWriter serialises writes of several regions' vaults to one audit log.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// hostVaultPut implements vault_put(type_ptr, type_len, val_ptr, val_len,
// out_ptr, out_cap) -> i32: it seals the value in the region's vault under
// (tenant, conversation) of the current envelope and returns the token.
func (h *Host) hostVaultPut(ctx context.Context, m api.Module, s []uint64) {
	st := stateOf(ctx)
	if !grant(st, CapVault, s) {
		return
	}
	if uint32(s[3]) > maxVaultValue {
		ret(s, codeTooLarge)
		return
	}
	typ, ok := read(m, s[0], s[1], maxVaultType)
	if !ok {
		ret(s, codeInvalid)
		return
	}
	val, ok := read(m, s[2], s[3], maxVaultValue)
	if !ok {
		ret(s, codeInvalid)
		return
	}
	token, code := st.d.sealer.seal(st.tenant, st.visitor, st.conv, string(typ), string(val))
	if code != 0 {
		ret(s, code)
		return
	}
	deliver(m, st, s, []byte(token), s[4], s[5])
}

// validVaultType accepts 1–32 bytes of [A-Z0-9_].
func validVaultType(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if (c < 'A' || c > 'Z') && (c < '0' || c > '9') && c != '_' {
			return false
		}
	}
	return true
}

// Reveal returns the clear value behind a token a plugin stored with
// vault_put in region, for an agent of that region (see vault.Vault.Reveal:
// the agent's region must be region, the token must belong to req.Tenant,
// and a reason is required). Every call, granted or refused, leaves an
// audit record (VaultAudit, Config.VaultAudit) and a log line.
func (h *Host) Reveal(_ context.Context, region string, req vault.RevealRequest) (string, error) {
	v := h.vaults[region]
	if v == nil {
		return "", fmt.Errorf("%w %q", ErrNoVault, region)
	}
	val, err := v.Reveal(req)
	h.log.Info("pii reveal", "region", region, "tenant", req.Tenant, "token", req.Token,
		"agent", req.Agent, "reason", req.Reason, "granted", err == nil)
	if err != nil {
		return "", fmt.Errorf("pluginhost: reveal in region %q: %w", region, err)
	}
	return val, nil
}

// VaultAudit returns the reveal audit records of tenant in region, oldest
// first (records of this process; Config.VaultAudit keeps them durable).
func (h *Host) VaultAudit(region, tenant string) []vault.Record {
	v := h.vaults[region]
	if v == nil {
		return nil
	}
	return v.Audit(tenant)
}

// EraseVault deletes every value plugins stored in region's vault for the
// visitor of tenant (a completed GDPR erasure), in every conversation, and
// for conversation, if not empty (values stored before vault entries
// recorded their visitor). It returns how many values were deleted. With
// Config.VaultDir the region's file is rewritten before EraseVault
// returns; a failure to write is logged and retried at the next save.
// Audit records stay: they hold no values.
func (h *Host) EraseVault(region, tenant, visitor, conversation string) int {
	v := h.vaults[region]
	if v == nil {
		return 0
	}
	n := v.EraseVisitor(tenant, visitor) + v.EraseConversation(tenant, conversation)
	if n == 0 {
		return 0
	}
	h.log.Info("pii vault erased", "region", region, "tenant", tenant, "values", n)
	if h.vaultFiles != nil {
		if err := h.vaultFiles.save(region, v); err != nil {
			h.log.Error("pii vault: erasure not yet on disk; retried at the next save", "region", region, "err", err)
		}
	}
	return n
}

// EraseVaultSaved is EraseVault that also reports whether the vault is
// saved without the erased values (nil when the vault is in memory only, or
// nothing was erased). The durable erasure of the edge acknowledges an
// erasure only then.
func (h *Host) EraseVaultSaved(region, tenant, visitor, conversation string) (int, error) {
	v := h.vaults[region]
	if v == nil {
		return 0, nil
	}
	n := v.EraseVisitor(tenant, visitor) + v.EraseConversation(tenant, conversation)
	if n > 0 {
		h.log.Info("pii vault erased", "region", region, "tenant", tenant, "values", n)
	}
	if h.vaultFiles == nil {
		return n, nil
	}
	if err := h.vaultFiles.save(region, v); err != nil {
		return n, fmt.Errorf("pii vault %s: save after erasure: %w", region, err)
	}
	return n, nil
}

// vaultSaveLoop saves the changed vaults every interval until the host closes.
func (h *Host) vaultSaveLoop(every time.Duration) {
	defer h.wg.Done()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-h.ctx.Done():
			return
		case <-t.C:
			if err := h.vaultFiles.saveChanged(h.vaults); err != nil {
				h.log.Error("pii vault: save failed; retrying", "err", err)
			}
		}
	}
}
