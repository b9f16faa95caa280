//go:build race

package central

// raceBuild: the tests run under the race detector, which slows the
// models' scoring about tenfold; corpus-wide measurements take a sample
// and `make test` runs them whole once more without it (EXHAUSTIVE).
const raceBuild = true
