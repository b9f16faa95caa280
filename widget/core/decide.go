package core

// choose picks the entry to answer from the similarity of the text to every
// entry (ms, indexed by entry) and the intent model's label and probability
// (intent "" when no model is loaded). It returns -1 when the browser must
// not answer. The caller still refuses order-specific texts and entries
// that are not answerable (ix.local): rule 3 may return one, so that
// Analyze can still name the closest entry's intent. The rules, in order,
// are those of the package doc.
func (cfg *Config) choose(ix *index, ms []match, intent string, p float32) (chosen int, score float32) {
	if len(ms) == 0 {
		return -1, 0
	}
	model := intent != ""
	// 1. The model is sure the shopper wants live data or a person.
	if model && p >= cfg.EdgeIntent && ix.needsEdge(intent) {
		return -1, 0
	}
	// 2. The model alone: the intent's main entry, or another answerable
	// entry of the same intent (a sub-topic) that the paraphrases single
	// out. When the intent has sub-topics, the model cannot tell them from
	// the main entry, so the main entry must also be clearly the more similar.
	if model && p >= cfg.MinIntent {
		if m, ok := ix.main[intent]; ok {
			sub := -1
			for _, i := range ix.intents[intent] {
				if i != m && ix.local[i] && (sub < 0 || ms[i].score > ms[sub].score) {
					sub = i
				}
			}
			switch {
			case sub < 0:
				return m, p
			case ms[sub].score >= cfg.SubtopicSimilarity && ms[sub].score > ms[m].score:
				return sub, p
			case ms[m].score >= cfg.SubtopicMargin && ms[m].score-ms[sub].score >= cfg.SubtopicMargin:
				return m, p
			}
		}
	}
	// 3. A strong, unambiguous paraphrase match the model does not
	// contradict.
	best, second := -1, -1
	for i := range ms {
		switch {
		case best < 0 || ms[i].score > ms[best].score:
			best, second = i, best
		case second < 0 || ms[i].score > ms[second].score:
			second = i
		}
	}
	var runner float32
	if second >= 0 {
		runner = ms[second].score
	}
	if ms[best].score < cfg.MinSimilarity || ms[best].score-runner < cfg.MinMargin {
		return -1, 0
	}
	if bi := ix.entries[best].Intent; model && p >= cfg.ContradictIntent && bi != "" && bi != intent {
		return -1, 0
	}
	return best, ms[best].score
}
