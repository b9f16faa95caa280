//go:build js && wasm

package main

import (
	"github.com/kefu-io/kefu/models/textmodel"
	"github.com/kefu-io/kefu/widget/core"
)

// classifier adapts a textmodel.Model to core.Classifier.
type classifier struct{ m *textmodel.Model }

func (c classifier) Classify(text string) (string, float32) {
	p := c.m.Predict(text)
	return p.Label, p.Score
}

// loadModel installs the model called name ("langid", "intent") from the
// bytes of a *.kmod file (models/textmodel format). A two-head file (e.g.
// intent with language id over one embedding) installs both heads, each
// under its task. Corrupt or truncated files are refused and the previous
// model, if any, stays.
func loadModel(c *core.Core, name string, data []byte) error {
	if name != core.ModelLangID && name != core.ModelIntent {
		return c.SetModel(name, nil) // the error names the unknown model
	}
	m, err := textmodel.Load(data)
	if err != nil {
		return err
	}
	if s := m.Second(); s != nil && s.Task() != name && (s.Task() == core.ModelLangID || s.Task() == core.ModelIntent) {
		if err := c.SetModel(s.Task(), classifier{s}); err != nil {
			return err
		}
	}
	if h := m.Head(name); h != nil {
		m = h
	}
	return c.SetModel(name, classifier{m})
}
