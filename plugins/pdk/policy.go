package pdk

// Policy is a bit set of what a plugin needs from the host whatever the
// region's configuration says: its manifest, read by the host through the
// kefu_policy export when it loads a version of the plugin (plugins/ABI.md
// section 2).
type Policy int32

// Policies a plugin may declare.
const (
	// PolicyFailClosed: the plugin protects data (masks personal data,
	// enforces residency). When it fails (trap, fuel, timeout) the host
	// refuses the message instead of forwarding it unchanged. A region
	// config that leaves `fail` out runs it closed; one that sets
	// fail = "open" is refused unless it also sets override_policy = true.
	PolicyFailClosed Policy = 1
)

var policy Policy

// Declare adds p to the plugin's manifest. Call it from init, before the
// host asks (it asks once per loaded version, with the first instance).
func Declare(p Policy) { policy |= p }

// Declared returns the policies declared so far (for tests).
func Declared() Policy { return policy }
