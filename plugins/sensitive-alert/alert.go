package main

import (
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/kefu-io/kefu/plugins/pdk"
	"github.com/kefu-io/kefu/plugins/phrase"
	"github.com/kefu-io/kefu/plugins/pii"
)

// defaultWords are watched when the config names none: complaints to
// regulators, legal threats, public exposure, payment disputes.
var defaultWords = []string{
	"投诉", "12315", "12345热线", "律师", "起诉", "曝光", "媒体", "消协", "消费者协会", "報警", "报警", "投訴", "律師",
	"chargeback", "lawyer", "attorney", "sue you", "lawsuit", "legal action", "trading standards", "ombudsman", "bbb",
	"anwalt", "verbraucherzentrale", "klage", "rückbuchung", "avocat", "plainte", "rétrofacturation", "abogado", "denuncia", "demanda",
	"avvocato", "denuncia", "advogado", "procon", "reclame aqui", "弁護士", "消費者センター", "변호사", "소비자원", "юрист", "роспотребнадзор", "محامي",
}

// wordsFor returns the watch list of tenant.
func wordsFor(get func(string) (string, bool), tenant string) []string {
	if v, ok := get("words." + tenant); ok {
		return splitWords(v)
	}
	if v, ok := get("words"); ok {
		return splitWords(v)
	}
	return defaultWords
}

func splitWords(s string) []string {
	var out []string
	for _, w := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '\n' || r == '，' || r == ';' }) {
		if w = strings.ToLower(strings.TrimSpace(w)); w != "" {
			out = append(out, w)
		}
	}
	return out
}

func isWord(r rune) bool { return r < 0x2E80 && (unicode.IsLetter(r) || unicode.IsDigit(r)) }

// watch is a watch list ready for match.
type watch struct {
	words *phrase.Set
	// wordStart/wordEnd: the word starts/ends with a letter or digit of
	// an alphabetic script (isWord), so it must not continue a word there
	wordStart, wordEnd []bool
}

func newWatch(words []string) *watch {
	w := &watch{words: phrase.New(words), wordStart: make([]bool, len(words)), wordEnd: make([]bool, len(words))}
	for i, x := range words {
		first, _ := utf8.DecodeRuneInString(x)
		last, _ := utf8.DecodeLastRuneInString(x)
		w.wordStart[i], w.wordEnd[i] = isWord(first), isWord(last)
	}
	return w
}

// watches caches the watch list of each tenant: the config of an instance
// never changes (plugins/ABI.md section 6). Bounded: cleared past
// maxWatches tenants.
var watches = map[string]*watch{}

const maxWatches = 1000

// watchFor returns tenant's watch list, built once per instance.
func watchFor(get func(string) (string, bool), tenant string) *watch {
	if !cacheWatches {
		return newWatch(wordsFor(get, tenant))
	}
	if w, ok := watches[tenant]; ok {
		return w
	}
	w := newWatch(wordsFor(get, tenant))
	if len(watches) >= maxWatches {
		clear(watches)
	}
	watches[tenant] = w
	return w
}

// lowBuf holds the lower-cased text of the call in progress (an instance
// runs one call at a time; native tests may not).
var (
	lowMu  sync.Mutex
	lowBuf []byte
)

// match returns the first watched word in text, or "". Words in alphabetic
// scripts match whole words ("sue you" but not "issue you"); CJK words and
// numbers such as 12315 match anywhere except inside a longer number.
// "First" is the word's place in the list, as when each word was searched
// in turn: one pass over the lower-cased text finds every occurrence of
// every word (phrase.Set), and the earliest word with an occurrence that
// does not continue a word wins.
func match(text string, w *watch) string {
	lowMu.Lock()
	defer lowMu.Unlock()
	lowBuf = phrase.AppendLower(lowBuf[:0], text)
	low := lowBuf
	best := -1
	w.words.Each(low, func(i, at int) bool {
		if best >= 0 && i >= best {
			return true
		}
		end := at + len(w.words.Phrase(i))
		if at > 0 && w.wordStart[i] {
			if before, _ := utf8.DecodeLastRune(low[:at]); isWord(before) {
				return true
			}
		}
		if end < len(low) && w.wordEnd[i] {
			if after, _ := utf8.DecodeRune(low[end:]); isWord(after) {
				return true
			}
		}
		best = i
		return best > 0 // the first word cannot be beaten
	})
	if best < 0 {
		return ""
	}
	return w.words.Phrase(best)
}

// limiter remembers the last alert per conversation when KV is not granted.
var limiter = map[string]time.Time{}

// allow reports whether conversation key may alert at now, and records it.
func allow(key string, now time.Time, cooldown time.Duration) bool {
	kvKey := "last:" + key
	if b, err := pdk.KVGet(kvKey); err == nil {
		if ns, perr := strconv.ParseInt(string(b), 10, 64); perr == nil && now.Sub(time.Unix(0, ns)) < cooldown {
			return false
		}
	} else if last, ok := limiter[key]; ok && now.Sub(last) < cooldown {
		return false
	}
	if err := pdk.KVSet(kvKey, []byte(strconv.FormatInt(now.UnixNano(), 10)), cooldown); err != nil {
		if len(limiter) > 10000 { // bound the per-instance fallback
			clear(limiter)
		}
	}
	limiter[key] = now
	return true
}

// excerpt is the masked text, cut to n runes, for the alert body: the
// webhook is outside the region, so no personal data goes into it.
func excerpt(text string, n int) string {
	t := pii.Redact(text, pii.Options{}).Text
	if utf8.RuneCountInString(t) <= n {
		return t
	}
	r := []rune(t)
	return string(r[:n]) + "…"
}

func inbound(env *pdk.Envelope, get func(string) (string, bool), now time.Time) pdk.Result {
	w := match(env.Message.Text, watchFor(get, env.Tenant))
	if w == "" {
		return pdk.Pass()
	}
	res := pdk.Pass().WithLabel("alert", w)
	cooldown := 10 * time.Minute
	if v, ok := get("cooldown"); ok {
		if d, err := time.ParseDuration(v); err == nil && d >= 0 {
			cooldown = d
		}
	}
	key := env.Tenant + ":" + env.Message.ConversationID
	if env.Message.ConversationID == "" {
		key = env.Tenant + ":v:" + env.Visitor
	}
	if !allow(key, now, cooldown) {
		return res.WithLabel("alert_suppressed", "1")
	}
	level, ok := get("level")
	if !ok || level == "" {
		level = "high"
	}
	link := ""
	if base, ok := get("console_url"); ok && base != "" && env.Message.ConversationID != "" {
		link = base + env.Message.ConversationID
	}
	a := pdk.AlertMsg{Level: level, Text: "shopper mentions “" + w + "”: " + excerpt(env.Message.Text, 140), Link: link}
	if err := pdk.Alert(a); err != nil {
		pdk.Logf(pdk.LevelWarn, "sensitive-alert: %v", err)
		return res.WithLabel("alert_error", err.Error())
	}
	return res
}
