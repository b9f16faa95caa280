//go:build !race

package core

// raceBuild: the tests run under the race detector, which slows pure
// computation (the threshold sweep over the intent set) ten to twentyfold;
// `make test` runs those parts once more without it (EXHAUSTIVE).
const raceBuild = false
