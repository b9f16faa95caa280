package pluginhost

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"

	"github.com/tetratelabs/wazero/api"

	"github.com/kefu-io/kefu/plugins/pii/vault"
)

// ErrNoVault is returned by Reveal for a region the host does not run.
var ErrNoVault = errors.New("pluginhost: no vault for region")

// Limits of vault_put.
const (
	maxVaultType  = 32
	maxVaultValue = 4 << 10
)

// newVaults opens one vault per configured region, sealing with the region's
// key from VaultKeys or, when absent, a random key of this process (values
// then do not survive a restart).
func newVaults(cfg Config) (map[string]*vault.Vault, error) {
	var opts []vault.Option
	if cfg.VaultAudit != nil {
		opts = append(opts, vault.WithAuditLog(&lockedWriter{w: cfg.VaultAudit}))
	}
	out := make(map[string]*vault.Vault, len(cfg.Regions))
	for region := range cfg.Regions {
		key, err := vaultKey(cfg.VaultKeys, region)
		if err != nil {
			return nil, err
		}
		v, err := vault.New(region, key, opts...)
		if err != nil {
			return nil, fmt.Errorf("pluginhost: vault of region %q: %w", region, err)
		}
		out[region] = v
	}
	return out, nil
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
	if !ok || !validVaultType(typ) {
		ret(s, codeInvalid)
		return
	}
	val, ok := read(m, s[2], s[3], maxVaultValue)
	if !ok || len(val) == 0 {
		ret(s, codeInvalid)
		return
	}
	v := h.vaults[st.d.region]
	if v == nil {
		ret(s, codeInvalid)
		return
	}
	token, err := v.Put(st.tenant, st.conv, string(typ), string(val))
	if err != nil {
		h.log.Error("plugin vault_put", "plugin", st.d.name, "region", st.d.region, "err", err)
		ret(s, codeIO)
		return
	}
	h.vaultConvs.add(st.d.region, st.tenant, st.visitor, st.conv)
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

// vaultIndex remembers, per (region, tenant, visitor), the conversations
// whose values are in the vault, so that a visitor's erasure finds them all.
type vaultIndex struct {
	mu sync.Mutex
	m  map[string]map[string]struct{}
}

func vaultIndexKey(region, tenant, visitor string) string {
	return region + "\x00" + tenant + "\x00" + visitor
}

func (x *vaultIndex) add(region, tenant, visitor, conv string) {
	if visitor == "" || conv == "" {
		return
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.m == nil {
		x.m = map[string]map[string]struct{}{}
	}
	k := vaultIndexKey(region, tenant, visitor)
	if x.m[k] == nil {
		x.m[k] = map[string]struct{}{}
	}
	x.m[k][conv] = struct{}{}
}

func (x *vaultIndex) take(region, tenant, visitor string) []string {
	x.mu.Lock()
	defer x.mu.Unlock()
	k := vaultIndexKey(region, tenant, visitor)
	convs := make([]string, 0, len(x.m[k]))
	for c := range x.m[k] {
		convs = append(convs, c)
	}
	delete(x.m, k)
	return convs
}

// EraseVault deletes every value plugins stored in region's vault for the
// visitor of tenant (a completed GDPR erasure) and for conversation, if not
// empty (a conversation of the visitor the host did not see, for example
// after a restart with a configured key). It returns how many values were
// deleted. Audit records stay: they hold no values.
func (h *Host) EraseVault(region, tenant, visitor, conversation string) int {
	v := h.vaults[region]
	if v == nil {
		return 0
	}
	convs := h.vaultConvs.take(region, tenant, visitor)
	if conversation != "" && !slices.Contains(convs, conversation) {
		convs = append(convs, conversation)
	}
	n := 0
	for _, c := range convs {
		n += v.EraseConversation(tenant, c)
	}
	if n > 0 {
		h.log.Info("pii vault erased", "region", region, "tenant", tenant, "conversations", len(convs), "values", n)
	}
	return n
}
