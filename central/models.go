package central

import (
	"fmt"

	"github.com/kefu-io/kefu/central/router"
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

// AngerScorer scores how angry a text is, in [0,1]. *anger.Scorer
// (models/anger) is one. Implementations must be safe for concurrent use.
type AngerScorer interface {
	Score(text string) float64
}

// ShippedAnger builds models/anger's Scorer from the anger text model and the
// sentiment model embedded in models/artifacts, with the weights fitted for
// that pair (anger.ShippedWithModel).
func ShippedAnger() (AngerScorer, error) {
	sent, err := textmodel.Load(artifacts.Sentiment())
	if err != nil {
		return nil, fmt.Errorf("central: shipped sentiment model: %w", err)
	}
	am, err := textmodel.Load(artifacts.Anger())
	if err != nil {
		return nil, fmt.Errorf("central: shipped anger model: %w", err)
	}
	sc, err := anger.NewScorer(sent, am, anger.ShippedWithModel)
	if err != nil {
		return nil, fmt.Errorf("central: shipped anger scorer: %w", err)
	}
	return sc, nil
}

// humanIntents are the intent labels that ask for a person: ours and the
// interim model's (Bitext) label.
var humanIntents = map[string]bool{"human_agent": true, "contact_human_agent": true}

// intentComplaint is the intent label of a complaint; it corroborates the
// anger model (see messageAnger).
const intentComplaint = "complaint"

// uncorroborated is the most anger the model alone can give a message
// (messageAnger): "undecided", below any sensible handoff threshold.
const uncorroborated = 0.5

// messageAnger is the anger central routes on, in [0,1].
//
// With an anger model it combines two detectors by taking the larger score,
// so a message hands off when either alone would:
//
//   - router.KeywordAnger, a rule: strong complaint words, "!!", shouting.
//     It rarely fires but is precise (no false alarm on the anger set's
//     train or test rows).
//   - the model (models/anger: anger text model, sentiment and intensity
//     cues in a fitted logistic regression), which finds far more angry
//     messages but raises false alarms on short plain ones ("哈喽", "Wo ist
//     meine Bestellung?", "human": 1.8% of the calm messages of the intent
//     dev set, TestAngerAccuracy; the cap below brings that to ~0.3% at a
//     cost of 4–5 points of recall). So the model alone may not take a
//     conversation from the bot:
//     unless the text shows explicit evidence — an intensity cue or lexicon
//     hit of anger.Find, a keyword of the rule, or the intent complaint — its
//     score is capped at 0.5 ("undecided"): it still orders the queue, it
//     does not hand off.
//
// The widget's hint (hint, computed in the browser from cues central sees
// too, and a client's claim) is used only when central has no anger model,
// as the larger of it and the keyword rule.
func messageAnger(model AngerScorer, text, intent string, hint float64) float64 {
	kw := router.KeywordAnger(text)
	if model == nil {
		return max(min(max(hint, 0), 1), kw)
	}
	a := min(max(model.Score(text), 0), 1)
	if kw == 0 && intent != intentComplaint && anger.Find(text) == (anger.Cues{}) {
		a = min(a, uncorroborated)
	}
	return max(a, kw)
}
