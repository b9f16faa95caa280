//go:build js && wasm

package main

import (
	"errors"

	"github.com/kefu-io/kefu/widget/core"
)

// errNoModels is returned until a model format is wired in (models/textmodel).
var errNoModels = errors.New("kefuCore: model loading is not available in this build")

// loadModel installs the model called name ("langid", "intent") from its
// serialized bytes.
func loadModel(c *core.Core, name string, data []byte) error {
	_ = c
	_ = data
	return errors.New(errNoModels.Error() + ": " + name)
}
