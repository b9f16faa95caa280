package pluginhost

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Signature is a plugin bundle's signature file (<name>.wasm.sig, and the
// X-Kefu-Signature header of the admin API): one line of JSON. The ed25519
// signature covers the plugin's name, its release version and the SHA-256
// of the bundle together (SignedMessage), so a signed bundle cannot be
// installed under another plugin's name, and the host can refuse an older
// release (a replayed signed version) than the one it runs.
type Signature struct {
	// Plugin is the plugin's name ("pii-redact").
	Plugin string `json:"plugin"`
	// Version is the release, dotted numbers compared left to right
	// ("1.4.0", "7").
	Version string `json:"version"`
	// SHA256 is the hex SHA-256 of the bundle.
	SHA256 string `json:"sha256"`
	// Sig is the base64 ed25519 signature of SignedMessage.
	Sig string `json:"sig"`
}

// Errors of signature checks (all wrapped with ErrRefused by Install).
var (
	// ErrDowngrade: the bundle's signed version is older than the running
	// one (or the same version with other bytes); InstallOptions.Force
	// installs it anyway.
	ErrDowngrade = errors.New("pluginhost: older signed version than the running one")
	// ErrLegacySignature: a signature over the bundle bytes alone (before
	// names and versions were signed) binds neither and is refused.
	ErrLegacySignature = errors.New("pluginhost: signature over the bundle alone binds no name or version; re-sign with `kefu plugin sign --name N --version V`")
)

var versionRE = regexp.MustCompile(`^[0-9]{1,9}(\.[0-9]{1,9}){0,3}$`)

// SignedMessage is what a plugin signature signs.
func SignedMessage(name, version, sha256Hex string) []byte {
	return []byte("kefu-plugin-signature-v1\n" + name + "\n" + version + "\n" + sha256Hex + "\n")
}

// SignBundle signs wasm as release version of plugin name and returns the
// signature file (one line of JSON, with a trailing newline).
func SignBundle(priv ed25519.PrivateKey, name, version string, wasm []byte) ([]byte, error) {
	if !pluginNameRE.MatchString(name) {
		return nil, fmt.Errorf("pluginhost: bad plugin name %q", name)
	}
	if !versionRE.MatchString(version) {
		return nil, fmt.Errorf("pluginhost: version %q is not dotted numbers (1.4.0)", version)
	}
	sum := sha256.Sum256(wasm)
	s := Signature{Plugin: name, Version: version, SHA256: hex.EncodeToString(sum[:])}
	s.Sig = base64.StdEncoding.EncodeToString(ed25519.Sign(priv, SignedMessage(name, version, s.SHA256)))
	b, err := json.Marshal(s)
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// ParseSignature reads a signature file. A legacy signature (64 raw bytes
// or their base64) is ErrLegacySignature.
func ParseSignature(b []byte) (Signature, error) {
	var s Signature
	// A legacy signature first: 64 raw bytes may begin with "{" (1 in
	// ~200 after white space is trimmed); a signature file never has
	// their length and is not base64.
	if _, err := DecodeSignature(b); err == nil {
		return s, ErrLegacySignature
	}
	t := strings.TrimSpace(string(b))
	if !strings.HasPrefix(t, "{") {
		return s, errors.New("signature is not a kefu signature file (JSON from `kefu plugin sign`)")
	}
	if err := json.Unmarshal([]byte(t), &s); err != nil {
		return s, fmt.Errorf("signature file: %w", err)
	}
	if !versionRE.MatchString(s.Version) {
		return s, fmt.Errorf("signature file: version %q is not dotted numbers", s.Version)
	}
	return s, nil
}

// verifySignature checks sig (a signature file) for wasm installed as name
// against keys and returns the signed version.
func verifySignature(keys []ed25519.PublicKey, name string, wasm, sig []byte) (string, error) {
	s, err := ParseSignature(sig)
	if err != nil {
		return "", err
	}
	if s.Plugin != name {
		return "", fmt.Errorf("signature is for plugin %q, not %q", s.Plugin, name)
	}
	sum := sha256.Sum256(wasm)
	if s.SHA256 != hex.EncodeToString(sum[:]) {
		return "", errors.New("signature does not verify: the bundle's SHA-256 is not the signed one")
	}
	raw, err := base64.StdEncoding.DecodeString(s.Sig)
	if err != nil || len(raw) != ed25519.SignatureSize {
		return "", errors.New("signature file: sig is not a base64 ed25519 signature")
	}
	if len(keys) == 0 {
		return "", errors.New("signed bundle but no trusted_keys configured")
	}
	msg := SignedMessage(s.Plugin, s.Version, s.SHA256)
	for _, k := range keys {
		if ed25519.Verify(k, msg, raw) {
			return s.Version, nil
		}
	}
	return "", errors.New("signature does not verify with any trusted key")
}

// VerifySignature checks a signature file for wasm installed as plugin
// name against keys, as an edge does.
func VerifySignature(keys []ed25519.PublicKey, name string, wasm, sig []byte) error {
	_, err := verifySignature(keys, name, wasm, sig)
	return err
}

// compareVersions compares dotted-number versions (missing parts are 0).
func compareVersions(a, b string) int {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := range max(len(pa), len(pb)) {
		var x, y int
		if i < len(pa) {
			x, _ = strconv.Atoi(pa[i])
		}
		if i < len(pb) {
			y, _ = strconv.Atoi(pb[i])
		}
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	return 0
}
