//go:build !race

package core_test

// raceBuild: the tests run under the race detector, which slows pure
// computation (brotli-11 of the core, the intent corpus) ten to twentyfold;
// `make test` runs those parts once more without it (EXHAUSTIVE).
const raceBuild = false
