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

// ensemble adapts a textmodel.Ensemble to core.Classifier.
type ensemble struct{ e *textmodel.Ensemble }

func (c ensemble) Classify(text string) (string, float32) {
	p := c.e.Predict(text)
	return p.Label, p.Score
}

// pairs are the per-language intent models loaded so far, by language: the
// files intent.<lang> and intent.<lang>.2, whose probabilities the core's
// model of that language averages (either may arrive first).
var pairs = map[string]*[2]*textmodel.Model{}

// loadModel installs the model called name ("langid", "intent", or
// "intent.<lang>" and "intent.<lang>.2": the intent model pair of one
// language) from the bytes of a *.kmod file (models/textmodel format). A two-head file (e.g. intent with
// language id over one embedding) installs both heads, each under its task.
// Corrupt or truncated files are refused and the previous model, if any,
// stays.
func loadModel(c *core.Core, name string, data []byte) error {
	prefix := core.IntentModelOf("")
	perLang := len(name) > len(prefix) && name[:len(prefix)] == prefix
	if name != core.ModelLangID && name != core.ModelIntent && !perLang {
		return c.SetModel(name, nil) // the error names the unknown model
	}
	if perLang {
		m, err := textmodel.Load(data)
		if err != nil {
			return err
		}
		if h := m.Head(core.ModelIntent); h != nil {
			m = h
		}
		lang, slot := name[len(prefix):], 0
		if n := len(lang); n > 2 && lang[n-2:] == ".2" {
			lang, slot = lang[:n-2], 1
		}
		p := pairs[lang]
		if p == nil {
			p = new([2]*textmodel.Model)
		}
		next := *p
		next[slot] = m
		var ms []*textmodel.Model
		for _, x := range next {
			if x != nil {
				ms = append(ms, x)
			}
		}
		e, err := textmodel.NewEnsemble(ms...)
		if err != nil {
			return err
		}
		if err := c.SetModel(core.IntentModelOf(lang), ensemble{e}); err != nil {
			return err
		}
		*p = next
		pairs[lang] = p
		return nil
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
