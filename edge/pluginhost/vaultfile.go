package pluginhost

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/kefu-io/kefu/edge/vault"
)

// Persistence of the PII vaults (Config.VaultDir).
//
// Layout of VaultDir:
//
//	<region>.vault   the region's sealed values, JSON lines (vault.Save):
//	                 ciphertext plus tenant, visitor, conversation, type
//	audit.jsonl      the reveal audit, one JSON line per reveal, appended
//	vault.key        the key file, when VaultKeyFile is left empty
//
// A <region>.vault file is rewritten whole: written to a temporary file in
// the same folder, fsynced, renamed over the old one and the folder
// fsynced, so a crash leaves the old or the new snapshot, never a torn one.
// It is written every VaultSaveInterval when the vault changed, right after
// an erasure deleted values (EraseVault returns once the erasure is on
// disk), and at Close. So a crash (kill -9, power loss) loses at most the
// values sealed in the last interval: their messages reached central masked,
// only the reveal of those values fails with "unknown token". Audit records
// are appended and fsynced before the reveal answers, so a revealed value
// always has its record on disk.

// Defaults of the vault files.
const (
	defaultVaultSaveInterval = 2 * time.Second
	vaultKeyFileName         = "vault.key"
	vaultAuditFileName       = "audit.jsonl"
)

// vaultFiles persists the vaults of one Host.
type vaultFiles struct {
	dir   string
	log   *slog.Logger
	audit *os.File // nil when Config.VaultAudit is set

	mu    sync.Mutex        // serialises saves
	saved map[string]uint64 // region → vault.Changes() at its last save
}

// ReadVaultKeyFile returns the base64 AES-256 key kept in path, creating
// the file with 32 random bytes (mode 0600, its folder 0700) when it does
// not exist. A key file readable by group or others is used with a warning
// on log. Use the result in Config.VaultKeys.
func ReadVaultKeyFile(path string, log *slog.Logger) (string, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return createVaultKeyFile(path)
	}
	if err != nil {
		return "", fmt.Errorf("pluginhost: vault key file: %w", err)
	}
	key := strings.TrimSpace(string(b))
	if raw, err := base64.StdEncoding.DecodeString(key); err != nil || len(raw) != 32 {
		return "", fmt.Errorf("%w: vault key file %s does not hold 32 bytes of base64", ErrConfig, path)
	}
	if st, err := os.Stat(path); err == nil && st.Mode().Perm()&0o077 != 0 && log != nil {
		log.Warn("pluginhost: vault key file is readable by others; chmod 600 it", "path", path, "mode", st.Mode().Perm().String())
	}
	return key, nil
}

func createVaultKeyFile(path string) (string, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("pluginhost: vault key: %w", err)
	}
	key := base64.StdEncoding.EncodeToString(raw)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", fmt.Errorf("pluginhost: vault key file: %w", err)
	}
	// O_EXCL: two processes starting at once do not both write a key.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return ReadVaultKeyFile(path, nil)
	}
	if err != nil {
		return "", fmt.Errorf("pluginhost: vault key file: %w", err)
	}
	_, err = f.WriteString(key + "\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return "", fmt.Errorf("pluginhost: vault key file: %w", err)
	}
	return key, nil
}

// withVaultKeys returns cfg with a key for every region: VaultKeys, else
// the key of VaultKeyFile (default VaultDir/vault.key) when VaultDir is set.
func withVaultKeys(cfg Config, log *slog.Logger) (Config, error) {
	if cfg.VaultDir == "" {
		return cfg, nil
	}
	keys := make(map[string]string, len(cfg.Regions))
	for r, k := range cfg.VaultKeys {
		keys[r] = k
	}
	var shared string
	for r := range cfg.Regions {
		if _, ok := keys[r]; ok {
			continue
		}
		if shared == "" {
			path := cfg.VaultKeyFile
			if path == "" {
				path = filepath.Join(cfg.VaultDir, vaultKeyFileName)
			}
			k, err := ReadVaultKeyFile(path, log)
			if err != nil {
				return cfg, err
			}
			shared = k
		}
		keys[r] = shared
	}
	cfg.VaultKeys = keys
	return cfg, nil
}

// load reads each region's file into its vault. A file that does not open
// with the region's key (another key, tampering) fails with the reason:
// better to refuse to start than to start empty and overwrite the values at
// the first save.
func (vf *vaultFiles) load(vaults map[string]*vault.Vault) error {
	for region, v := range vaults {
		path := vf.path(region)
		f, err := os.Open(path)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("pluginhost: vault of region %q: %w", region, err)
		}
		err = v.Load(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("pluginhost: vault of region %q: %s does not open with its key (vault_keys or the key file): %w", region, path, err)
		}
		vf.saved[region] = v.Changes()
		vf.log.Info("pii vault loaded", "region", region, "values", v.Len(), "path", path)
	}
	return nil
}

// openAudit opens VaultDir/audit.jsonl for appending.
func (vf *vaultFiles) openAudit() (*syncedFile, error) {
	f, err := os.OpenFile(filepath.Join(vf.dir, vaultAuditFileName), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("pluginhost: vault audit log: %w", err)
	}
	vf.audit = f
	return &syncedFile{f: f}, nil
}

func (vf *vaultFiles) path(region string) string {
	return filepath.Join(vf.dir, region+".vault")
}

// saveChanged saves every vault that changed since its last save.
func (vf *vaultFiles) saveChanged(vaults map[string]*vault.Vault) error {
	regions := make([]string, 0, len(vaults))
	for r := range vaults {
		regions = append(regions, r)
	}
	sort.Strings(regions)
	var errs []error
	for _, r := range regions {
		errs = append(errs, vf.save(r, vaults[r]))
	}
	return errors.Join(errs...)
}

// save writes region's vault if it changed since its last save.
func (vf *vaultFiles) save(region string, v *vault.Vault) error {
	vf.mu.Lock()
	defer vf.mu.Unlock()
	n := v.Changes()
	if prev, ok := vf.saved[region]; ok && prev == n {
		return nil
	}
	if err := writeAtomic(vf.path(region), v.Save); err != nil {
		return fmt.Errorf("pluginhost: saving vault of region %q: %w", region, err)
	}
	vf.saved[region] = n
	return nil
}

func (vf *vaultFiles) close() error {
	if vf.audit == nil {
		return nil
	}
	return vf.audit.Close()
}

// writeAtomic replaces path with what write produces: temporary file in
// the same folder, fsync, rename, fsync of the folder.
func writeAtomic(path string, write func(io.Writer) error) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after the rename: no such file, ignored
	err = write(tmp)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// syncedFile is an append-only audit log: every record is on disk before
// Write returns.
type syncedFile struct{ f *os.File }

func (s *syncedFile) Write(p []byte) (int, error) {
	n, err := s.f.Write(p)
	if err == nil {
		err = s.f.Sync()
	}
	return n, err
}
