// Package artifacts embeds the trained model files shipped with kefu, so that
// `kefu dev` and the widget need no download. Each file is a .kmod
// (package models/textmodel) with a model card (<name>.md) beside it saying
// what trained it, under which licence, and what it measures.
//
// Retrain every file with `make models` (models/models.mk).
package artifacts

import (
	"embed"
	"io/fs"
	"path"
	"strings"
)

//go:embed intent.kmod
var intent []byte

//go:embed sentiment.kmod
var sentiment []byte

//go:embed langid.kmod
var langid []byte

//go:embed anger.kmod
var anger []byte

//go:embed langid-web.kmod
var langidWeb []byte

//go:embed intent-web.kmod
var intentWeb []byte

//go:embed intent-web
var intentWebDir embed.FS

// Intent returns the e-commerce intent model (labels such as order_status,
// refund_status, human_agent and oos). The slice is shared: do not modify it.
func Intent() []byte { return intent }

// Sentiment returns the sentiment model (labels negative, positive); its
// negative probability feeds models/anger. The slice is shared: do not modify it.
func Sentiment() []byte { return sentiment }

// LangID returns the language identification model; labels are BCP-47
// primary language subtags (zh, en, de, …). The slice is shared: do not modify it.
func LangID() []byte { return langid }

// Anger returns the anger text model (labels angry, calm) that models/anger
// combines with the sentiment model and intensity cues. The slice is shared:
// do not modify it.
func Anger() []byte { return anger }

// LangIDWeb returns the compact language identification model that the
// widget downloads (8,192 buckets × 8 dimensions, 6,144 rows kept at 4 bits:
// 37.1 KB, 27.7 KB brotli; langid-web.md): the same labels as LangID,
// within the widget's targets (sentences ≥ 99.5%, short utterances ≥ 96%).
// The slice is shared: do not modify it.
func LangIDWeb() []byte { return langidWeb }

// IntentWeb returns the compact intent model that the widget downloads
// (8,192 buckets × 32 dimensions at 2 bits: 148.8 KB, 41.5 KB brotli,
// instead of 961 KB; intent-web.md).
// Central keeps Intent. The slice is shared: do not modify it.
func IntentWeb() []byte { return intentWeb }

// IntentWebByLang returns the widget's per-language intent models by file
// stem (intent-web/<stem>.kmod): for each language (ar, de, en, es, fr, it,
// ja, ko, pt, ru, and zh for both Chinese scripts) a pair, <lang> and
// <lang>.2, two models trained on its language's rows of intent-web's data
// with different seeds, whose probabilities the widget averages
// (textmodel.Ensemble; intent-web.md). The slices are shared: do not modify
// them.
func IntentWebByLang() map[string][]byte {
	out := map[string][]byte{}
	files, _ := fs.ReadDir(intentWebDir, "intent-web")
	for _, f := range files {
		lang, ok := strings.CutSuffix(f.Name(), ".kmod")
		if !ok {
			continue
		}
		b, err := intentWebDir.ReadFile(path.Join("intent-web", f.Name()))
		if err != nil {
			panic("artifacts: " + err.Error()) // embedded: cannot happen
		}
		out[lang] = b
	}
	return out
}

// WidgetModels returns the models the edge serves to the widget, by the
// name the widget installs them under: "langid", "intent" (the
// multilingual IntentWeb, for a language without its own) and
// "intent.<lang>" and "intent.<lang>.2" (IntentWebByLang). The widget
// fetches langid and the intent model pair of the shopper's language only.
func WidgetModels() map[string][]byte {
	out := map[string][]byte{"intent": IntentWeb(), "langid": LangIDWeb()}
	for lang, b := range IntentWebByLang() {
		out["intent."+lang] = b
	}
	return out
}
