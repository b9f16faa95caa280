// Package plugintest holds the end-to-end tests of the built-in business
// plugins (pii-redact, gdpr-residency, sensitive-alert, order-status,
// geo-campaign): it builds each one for GOOS=wasip1 with the local Go
// toolchain and runs the .wasm files in the real edge/pluginhost, in an EU
// pipeline like the one regional ops deploy. Builds are cached by source
// hash under the user cache directory (or $KEFU_WASM_CACHE).
package plugintest
