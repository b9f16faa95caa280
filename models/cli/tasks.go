package cli

import (
	"strings"

	"github.com/kefu-io/kefu/models/artifacts"
	"github.com/kefu-io/kefu/models/features"
	"github.com/kefu-io/kefu/models/train"
)

// taskSpec holds what differs between tasks: where labels are read from,
// how they are normalized, the shipped artifact and default settings.
type taskSpec struct {
	name      string
	labelKeys []string
	mapLabel  func(string) string
	artifact  func() []byte
	train     train.Config
	oos       string // the out-of-scope label when the data has it
	// second is the other task of a joint model ("intent+langid": one
	// embedding, two heads; its data comes from --data2), else nil.
	second *taskSpec
	// langs, when set (train --lang), keeps only the rows of these
	// locales in every split loaded.
	langs []string
}

func sentimentLabel(l string) string {
	switch strings.ToLower(l) {
	case "0", "neg", "negative", "false":
		return "negative"
	case "1", "pos", "positive", "true":
		return "positive"
	}
	return l
}

func angerLabel(l string) string {
	switch strings.ToLower(l) {
	case "1", "true", "angry", "anger", "yes":
		return "angry"
	case "0", "false", "calm", "not_angry", "no", "neutral":
		return "calm"
	}
	return l
}

// langLabel maps a locale or language tag to the primary BCP-47 language
// subtag the langid model predicts (zh-CN, zh-TW → zh; en-US → en).
func langLabel(l string) string {
	l = strings.ReplaceAll(strings.ToLower(strings.TrimSpace(l)), "_", "-")
	if i := strings.IndexByte(l, '-'); i > 0 {
		l = l[:i]
	}
	return l
}

func specs() map[string]*taskSpec {
	return map[string]*taskSpec{
		"intent": {
			name:      "intent",
			labelKeys: []string{"intent", "label"},
			mapLabel:  func(s string) string { return s },
			artifact:  artifacts.Intent,
			oos:       "oos",
			train: train.Config{
				Task:     "intent",
				Features: features.Config{Buckets: 40000, WordNgrams: 2, MinN: 3, MaxN: 5, CJKMaxN: 2, Seed: 1},
				Dim:      20, Epochs: 20, LR: 0.01, Batch: 8, Seed: 1,
			},
		},
		"sentiment": {
			name:      "sentiment",
			labelKeys: []string{"label", "sentiment"},
			mapLabel:  sentimentLabel,
			artifact:  artifacts.Sentiment,
			train: train.Config{
				Task:     "sentiment",
				Features: features.Config{Buckets: 60000, WordNgrams: 2, MinN: 3, MaxN: 4, CJKMaxN: 3, Seed: 1},
				Dim:      8, Epochs: 5, LR: 0.01, Batch: 16, Seed: 1,
			},
		},
		"langid": {
			name:      "langid",
			labelKeys: []string{"lang", "locale", "language"},
			mapLabel:  langLabel,
			artifact:  artifacts.LangID,
			train: train.Config{
				Task:     "langid",
				Features: features.Config{Buckets: 50000, WordNgrams: 1, MinN: 1, MaxN: 4, CJKMaxN: 2, Seed: 1},
				Dim:      12, Epochs: 10, LR: 0.01, Batch: 16, Seed: 1,
			},
		},
		"anger": {
			name:      "anger",
			labelKeys: []string{"label", "anger", "angry"},
			mapLabel:  angerLabel,
			artifact:  artifacts.Anger,
			train: train.Config{
				Task:     "anger",
				Features: features.Config{Buckets: 50000, WordNgrams: 2, MinN: 3, MaxN: 5, CJKMaxN: 2, Seed: 1},
				Dim:      4, Epochs: 10, LR: 0.01, Batch: 8, Seed: 1, Dropout: 0.3,
			},
		},
	}
}
