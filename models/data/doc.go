// Package data holds the product's own text data sets (JSONL files), written
// by the Kefu authors for the shipped models: the e-commerce intent set
// (intent/), the labelled anger set (anger/) and short chat utterances for
// language identification (langid-chat/). Each folder has a README.md that
// says how its files were made, their counts and their licence.
//
// The package has no code of its own; its test validates every file.
package data
