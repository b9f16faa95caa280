package pluginhost

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/pelletier/go-toml/v2"

	"github.com/kefu-io/kefu/internal/metric"
)

// Duration is a time.Duration written as a Go duration string ("50ms") in
// the TOML config.
type Duration time.Duration

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("pluginhost: duration %q: %w", b, err)
	}
	if v < 0 {
		return fmt.Errorf("pluginhost: negative duration %q", b)
	}
	*d = Duration(v)
	return nil
}

// MarshalText implements encoding.TextMarshaler.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// Limits bound one plugin's instances. A zero field inherits the value from
// the level above (plugin → region → [defaults] → built-in default).
type Limits struct {
	// MaxMemoryPages caps each instance's linear memory, in 64 KiB pages.
	// Default: 512 (32 MiB).
	MaxMemoryPages uint32 `toml:"max_memory_pages"`
	// Timeout is the deadline of one hook call; the instance is closed when
	// it passes. Default: 250ms.
	Timeout Duration `toml:"timeout"`
	// InitTimeout bounds an instance's start function (_initialize).
	// Default: 10s.
	InitTimeout Duration `toml:"init_timeout"`
	// MaxOutputBytes caps the result a hook returns. Default: 65536.
	MaxOutputBytes int `toml:"max_output_bytes"`
	// MaxTextBytes caps a modified message text. Default: chat.MaxTextBytes.
	MaxTextBytes int `toml:"max_text_bytes"`
	// PoolSize is the most instances alive per (region, plugin); callers
	// beyond it wait. Default: 4.
	PoolSize int `toml:"pool_size"`
	// PoolWarm is how many instances are kept ready (created at load and
	// after a failure). Default: 1.
	PoolWarm int `toml:"pool_warm"`
	// Termination is how runaway guest code is stopped: TerminationFuel
	// (default) counts loop iterations inline and traps past
	// MaxLoopIterations; TerminationContext uses wazero's
	// WithCloseOnContextDone (the Timeout then bounds guest compute too, but
	// every loop iteration exits to Go: ~8× slower Go guests). Modules the
	// fuel instrumenter cannot rewrite (SIMD) fall back to context.
	Termination string `toml:"termination"`
	// MaxLoopIterations is the loop budget of one call (and of a start
	// function) under TerminationFuel. Default: 100,000,000 (~0.1–0.5 s
	// of a tight loop).
	MaxLoopIterations int64 `toml:"max_loop_iterations"`
}

// Termination modes (Limits.Termination).
const (
	TerminationFuel    = "fuel"
	TerminationContext = "context"
)

// Built-in limit defaults (plugins/ABI.md section 7).
var defaultLimits = Limits{
	MaxMemoryPages: 512,
	Timeout:        Duration(250 * time.Millisecond),
	InitTimeout:    Duration(10 * time.Second),
	MaxOutputBytes: 64 << 10,
	MaxTextBytes:   4 << 10,
	PoolSize:       4,
	PoolWarm:       1,

	Termination:       TerminationFuel,
	MaxLoopIterations: 100_000_000,
}

// merge returns l with its zero fields taken from base.
func (l Limits) merge(base Limits) Limits {
	if l.MaxMemoryPages == 0 {
		l.MaxMemoryPages = base.MaxMemoryPages
	}
	if l.Timeout == 0 {
		l.Timeout = base.Timeout
	}
	if l.InitTimeout == 0 {
		l.InitTimeout = base.InitTimeout
	}
	if l.MaxOutputBytes == 0 {
		l.MaxOutputBytes = base.MaxOutputBytes
	}
	if l.MaxTextBytes == 0 {
		l.MaxTextBytes = base.MaxTextBytes
	}
	if l.PoolSize == 0 {
		l.PoolSize = base.PoolSize
	}
	if l.PoolWarm == 0 {
		l.PoolWarm = base.PoolWarm
	}
	if l.Termination == "" {
		l.Termination = base.Termination
	}
	if l.MaxLoopIterations == 0 {
		l.MaxLoopIterations = base.MaxLoopIterations
	}
	return l
}

// Failure policies.
const (
	FailOpen   = "open"   // skip the failed plugin as if it passed
	FailClosed = "closed" // stop the pipeline with an error wrapping ErrPluginFailed
)

// Capabilities a region may grant a plugin (plugins/ABI.md section 8).
const (
	CapKV    = "kv"    // kv_get / kv_set
	CapHTTP  = "http"  // http_request to the region's http_allow hosts
	CapAlert = "alert" // alert to the region's alert_webhook
	CapEnv   = "env"   // WASI environment variables from Plugin.Env
	CapFS    = "fs"    // read-only WASI directory Plugin.FSDir mounted at /data
	CapVault = "vault" // vault_put into the region's PII vault
)

var knownCaps = []string{CapKV, CapHTTP, CapAlert, CapEnv, CapFS, CapVault}

// Plugin is how one region runs one plugin.
type Plugin struct {
	// Grants lists capabilities (CapKV, CapHTTP, CapAlert, CapEnv, CapFS,
	// CapVault).
	// Default: none.
	Grants []string `toml:"grants"`
	// Fail is FailOpen or FailClosed. Default: FailClosed for a plugin
	// whose manifest declares it (kefu_policy, plugins/ABI.md section 2:
	// pii-redact, gdpr-residency), else FailOpen. FailOpen for a plugin
	// that declares FailClosed is refused unless OverridePolicy is set.
	Fail string `toml:"fail"`
	// OverridePolicy lets Fail weaken the policy the plugin's manifest
	// declares (run a data-protecting plugin fail-open). Default: false.
	OverridePolicy bool `toml:"override_policy"`
	// Config is what config_get answers.
	Config map[string]string `toml:"config"`
	// Env is the WASI environment when CapEnv is granted.
	Env map[string]string `toml:"env"`
	// FSDir is mounted read-only at /data when CapFS is granted.
	FSDir string `toml:"fs_dir"`
	// Limits override the region's.
	Limits Limits `toml:"limits"`
	// AlwaysCall calls the plugin for every message, ignoring its trigger
	// phrases and standing answer (kefu_triggers, plugins/ABI.md sections
	// 2.1 and 2.2): to check a plugin's promise against its handlers, or
	// to run one that breaks it. Default: false.
	AlwaysCall bool `toml:"always_call"`
}

func (p *Plugin) granted(c string) bool { return slices.Contains(p.Grants, c) }

// Region is one region's pipelines and rules.
type Region struct {
	// Pipelines maps a hook ("inbound", "outbound", "event") to plugin names
	// run in order.
	Pipelines map[Hook][]string `toml:"pipelines"`
	// Plugins holds per-plugin settings; a plugin in a pipeline without an
	// entry runs with defaults and no grants.
	Plugins map[string]Plugin `toml:"plugins"`
	// HTTPAllow lists the hosts ("api.shop.example" or "127.0.0.1:8081")
	// http_request may reach.
	HTTPAllow []string `toml:"http_allow"`
	// AlertWebhook receives alerts as JSON POSTs.
	AlertWebhook string `toml:"alert_webhook"`
	// Limits override [defaults] for every plugin of the region.
	Limits Limits `toml:"limits"`
}

// Quota bounds one tenant per minute (0 = unlimited).
type Quota struct {
	// CPUPerMinute is guest run time (wall time inside plugins, less time
	// waiting on host HTTP) summed over all plugins.
	CPUPerMinute Duration `toml:"cpu_per_minute"`
	// HTTPCallsPerMinute counts http_request calls.
	HTTPCallsPerMinute int `toml:"http_calls_per_minute"`
}

// Config configures a Host. Its TOML form is read by ParseConfig; the
// fields tagged toml:"-" are wired in code.
type Config struct {
	// PluginDir holds <name>.wasm (and <name>.wasm.sig) bundles; it is
	// polled for new versions and Install writes accepted bundles there.
	// Empty: only built-in plugins and Install.
	PluginDir string `toml:"plugin_dir"`
	// CacheDir keeps wazero's compiled code across restarts. Empty: in
	// memory only.
	CacheDir string `toml:"cache_dir"`
	// PollInterval is how often PluginDir is checked. Default: 2s; negative
	// (in code) disables polling.
	PollInterval Duration `toml:"poll_interval"`
	// TrustedKeys are base64 ed25519 public keys that may sign bundles.
	TrustedKeys []string `toml:"trusted_keys"`
	// RequireSignature refuses unsigned bundles from disk and Install.
	// Built-in bundles are trusted; without TrustedKeys only they run.
	// `kefu edge` turns it on whatever the file says, unless started with
	// --allow-unsigned-plugins. Default (the library): false.
	RequireSignature bool `toml:"require_signature"`
	// KVMaxBytes bounds the plugin key/value store. Default: 64 MiB.
	KVMaxBytes int64 `toml:"kv_max_bytes"`
	// Defaults are the limits of every region.
	Defaults Limits `toml:"defaults"`
	// Quota applies to every tenant without an entry in TenantQuotas.
	Quota Quota `toml:"quota"`
	// TenantQuotas override Quota per tenant.
	TenantQuotas map[string]Quota `toml:"tenant_quotas"`
	// Regions by name ("eu", "cn", "local").
	Regions map[string]Region `toml:"regions"`
	// VaultKeys maps a region to the base64 AES-256 key (32 bytes) of its
	// PII vault (vault_put, Host.Reveal). A region without a key gets the
	// key of VaultKeyFile when VaultDir is set, else a random key per
	// process: its values do not survive a restart.
	VaultKeys map[string]string `toml:"vault_keys"`
	// VaultDir keeps the vaults on disk: <region>.vault (sealed values,
	// replaced atomically every VaultSaveInterval when changed, after an
	// erasure and at Close) and audit.jsonl (reveal audit, appended and
	// fsynced per record, unless VaultAudit is set); vaultfile.go says
	// what survives a crash. Values saved there are loaded by NewHost; a
	// file the region's key does not open fails NewHost.
	// Default: "", in memory only.
	VaultDir string `toml:"vault_dir"`
	// VaultKeyFile holds the base64 key of every region without an entry in
	// VaultKeys when VaultDir is set; it is created (32 random bytes, mode
	// 0600) when missing. Keep it away from backups of VaultDir in
	// production (a secrets mount), or use VaultKeys.
	// Default: VaultDir/vault.key.
	VaultKeyFile string `toml:"vault_key_file"`
	// VaultSaveInterval is how often changed vaults are written to VaultDir.
	// Default: 2s.
	VaultSaveInterval Duration `toml:"vault_save_interval"`

	// Builtin returns the bundle of a plugin built into the binary
	// (plugins/builtin.Lookup); used when PluginDir has no file for it.
	Builtin func(name string) ([]byte, bool) `toml:"-"`
	// Logger defaults to slog.Default().
	Logger *slog.Logger `toml:"-"`
	// Registerer receives the metrics (collectors already registered
	// there are reused). Default: nil, counted but not exported.
	Registerer metric.Registerer `toml:"-"`
	// HTTPClient performs http_request and alert posts. Default: a client
	// with a 5 s timeout that follows redirects only to allowed hosts.
	HTTPClient *http.Client `toml:"-"`
	// AlertSink, when set, receives alerts instead of the region webhook.
	AlertSink func(ctx context.Context, a Alert) `toml:"-"`
	// VaultAudit, when set, receives every reveal's audit record as one JSON
	// line (for example an append-only file). Records are also kept in
	// memory (Host.VaultAudit) and logged.
	VaultAudit io.Writer `toml:"-"`
}

// LoadConfig reads a TOML config file (see ParseConfig).
func LoadConfig(path string) (Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("pluginhost: reading config: %w", err)
	}
	c, err := ParseConfig(b)
	if err != nil {
		return Config{}, fmt.Errorf("%w (in %s)", err, path)
	}
	return c, nil
}

// ParseConfig decodes and validates a TOML config, for example:
//
//	plugin_dir = "plugins/dist"
//	cache_dir = "data/wazero"
//
//	[defaults]
//	timeout = "50ms"
//	max_memory_pages = 512
//
//	[quota]
//	cpu_per_minute = "5s"
//	http_calls_per_minute = 120
//
//	[regions.eu]
//	http_allow = ["orders.shop.example"]
//	pipelines.inbound = ["pii-redact", "gdpr-residency", "sensitive-alert", "order-status"]
//
//	[regions.eu.plugins.pii-redact]
//	fail = "closed"
//
//	[regions.eu.plugins.order-status]
//	grants = ["http"]
//	config = { api = "https://orders.shop.example/v1" }
//	limits = { timeout = "800ms" }
//
// Unknown keys are errors.
func ParseConfig(data []byte) (Config, error) {
	var c Config
	dec := toml.NewDecoder(bytes.NewReader(data)).DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		if sme, ok := errors.AsType[*toml.StrictMissingError](err); ok {
			return Config{}, fmt.Errorf("pluginhost: config: unknown keys:\n%s", sme.String())
		}
		if de, ok := errors.AsType[*toml.DecodeError](err); ok {
			row, col := de.Position()
			return Config{}, fmt.Errorf("pluginhost: config line %d column %d: %w", row, col, err)
		}
		return Config{}, fmt.Errorf("pluginhost: config: %w", err)
	}
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

var pluginNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)

// ErrConfig is wrapped by every configuration error.
var ErrConfig = errors.New("pluginhost: bad config")

// Validate checks names, hooks, grants, policies and keys.
func (c *Config) Validate() error {
	if _, err := c.publicKeys(); err != nil {
		return err
	}
	checkLimits := func(where string, l Limits) error {
		switch l.Termination {
		case "", TerminationFuel, TerminationContext:
		default:
			return fmt.Errorf("%w: %s: termination = %q (fuel or context)", ErrConfig, where, l.Termination)
		}
		if l.MaxLoopIterations < 0 || l.PoolSize < 0 || l.PoolWarm < 0 || l.MaxOutputBytes < 0 || l.MaxTextBytes < 0 {
			return fmt.Errorf("%w: %s: negative limit", ErrConfig, where)
		}
		if l.MaxMemoryPages > 65536 {
			return fmt.Errorf("%w: %s: max_memory_pages over 65536", ErrConfig, where)
		}
		return nil
	}
	for region := range c.VaultKeys {
		if _, err := vaultKey(c.VaultKeys, region); err != nil {
			return err
		}
	}
	if c.VaultKeyFile != "" && c.VaultDir == "" {
		return fmt.Errorf("%w: vault_key_file without vault_dir", ErrConfig)
	}
	for region := range c.Regions {
		if c.VaultDir != "" && (region == "" || strings.ContainsAny(region, `/\`) || strings.HasPrefix(region, ".")) {
			return fmt.Errorf("%w: region %q cannot name a vault file", ErrConfig, region)
		}
	}
	if err := checkLimits("defaults", c.Defaults); err != nil {
		return err
	}
	for rname, r := range c.Regions {
		if err := checkLimits("region "+rname, r.Limits); err != nil {
			return err
		}
		for pname, p := range r.Plugins {
			if err := checkLimits("region "+rname+" plugin "+pname, p.Limits); err != nil {
				return err
			}
		}
		for hook, names := range r.Pipelines {
			if hook != HookInbound && hook != HookOutbound && hook != HookEvent {
				return fmt.Errorf("%w: region %q: unknown hook %q (inbound, outbound, event)", ErrConfig, rname, hook)
			}
			seen := map[string]bool{}
			for _, n := range names {
				if !pluginNameRE.MatchString(n) {
					return fmt.Errorf("%w: region %q: bad plugin name %q", ErrConfig, rname, n)
				}
				if seen[n] {
					return fmt.Errorf("%w: region %q hook %s: plugin %q listed twice", ErrConfig, rname, hook, n)
				}
				seen[n] = true
			}
		}
		for pname, p := range r.Plugins {
			if !pluginNameRE.MatchString(pname) {
				return fmt.Errorf("%w: region %q: bad plugin name %q", ErrConfig, rname, pname)
			}
			switch p.Fail {
			case "", FailOpen, FailClosed:
			default:
				return fmt.Errorf("%w: region %q plugin %q: fail = %q (open or closed)", ErrConfig, rname, pname, p.Fail)
			}
			for _, g := range p.Grants {
				if !slices.Contains(knownCaps, g) {
					return fmt.Errorf("%w: region %q plugin %q: unknown grant %q (%v)", ErrConfig, rname, pname, g, knownCaps)
				}
			}
			if p.granted(CapFS) && p.FSDir == "" {
				return fmt.Errorf("%w: region %q plugin %q: fs granted without fs_dir", ErrConfig, rname, pname)
			}
		}
	}
	return nil
}

func (c *Config) publicKeys() ([]ed25519.PublicKey, error) {
	keys := make([]ed25519.PublicKey, 0, len(c.TrustedKeys))
	for i, k := range c.TrustedKeys {
		b, err := base64.StdEncoding.DecodeString(k)
		if err != nil || len(b) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("%w: trusted_keys[%d] is not a base64 ed25519 public key", ErrConfig, i)
		}
		keys = append(keys, ed25519.PublicKey(b))
	}
	return keys, nil
}

// limitsFor resolves the limits of plugin name in region r.
func (c *Config) limitsFor(r Region, name string) Limits {
	return r.Plugins[name].Limits.merge(r.Limits.merge(c.Defaults.merge(defaultLimits)))
}
