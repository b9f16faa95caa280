package central

import (
	"fmt"

	"github.com/kefu-io/kefu/models/anger"
	"github.com/kefu-io/kefu/models/artifacts"
	"github.com/kefu-io/kefu/models/textmodel"
)

// ModelClassifier adapts a textmodel.Model (models/textmodel) to Classifier.
type ModelClassifier struct{ Model *textmodel.Model }

// Predict returns the model's best label and its probability.
func (c ModelClassifier) Predict(text string) (string, float32) {
	p := c.Model.Predict(text)
	return p.Label, p.Score
}

// ShippedIntent loads the intent model embedded in models/artifacts.
func ShippedIntent() (Classifier, error) {
	m, err := textmodel.Load(artifacts.Intent())
	if err != nil {
		return nil, fmt.Errorf("central: shipped intent model: %w", err)
	}
	return ModelClassifier{Model: m}, nil
}

// ShippedLangID loads the language-id model embedded in models/artifacts.
func ShippedLangID() (Classifier, error) {
	m, err := textmodel.Load(artifacts.LangID())
	if err != nil {
		return nil, fmt.Errorf("central: shipped langid model: %w", err)
	}
	return ModelClassifier{Model: m}, nil
}

// ShippedSentiment loads the sentiment model embedded in models/artifacts.
func ShippedSentiment() (Classifier, error) {
	m, err := textmodel.Load(artifacts.Sentiment())
	if err != nil {
		return nil, fmt.Errorf("central: shipped sentiment model: %w", err)
	}
	return ModelClassifier{Model: m}, nil
}

// humanIntents are the intent labels that ask for a person: ours and the
// interim model's (Bitext) label.
var humanIntents = map[string]bool{"human_agent": true, "contact_human_agent": true}

// modelAnger turns a sentiment prediction into an anger score with
// models/anger (which adds exclamation, shouting, emoji and lexicon cues).
func modelAnger(text, label string, score float32) float64 {
	neg := score
	switch label {
	case "negative", "angry":
	case "positive":
		neg = 1 - score
	default:
		neg = 0.5
	}
	return anger.Score(text, neg)
}
