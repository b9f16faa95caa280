//go:build race

package pluginhost

// raceBuild: the tests run under the race detector, which slows each
// guest call about tenfold.
const raceBuild = true
