// Package router decides whether the bot or a human answers a shopper, and
// how urgent a conversation in the human queue is.
//
// A conversation goes to a human when any of these holds (Decide checks them
// in this order and reports the first as the Reason):
//
//   - the shopper asks for one in words (转人工, 人工客服, "human", "agent",
//     "real person", "Mensch", "humain", "オペレーター", "상담원"…): ReasonAsked;
//   - the intent model labels the message human_agent: ReasonIntent;
//   - an edge plugin set the label escalate=<why>: ReasonPlugin;
//   - the anger score is at least Config.AngerThreshold: ReasonAnger;
//   - the bot already failed MaxBotFailures times in a row: ReasonBotFailed.
//
// Priority (higher first) mixes anger (up to 40 points), the VIP label (30)
// and the time waited against the tenant's SLA: up to 30 points as the wait
// approaches the SLA, and up to 20 more once it is overdue. A conversation
// that waits long enough therefore overtakes a calm VIP one, so nobody
// starves:
//
//	priority = 10 + round(40·anger) + 30·vip + 30·min(wait/SLA, 1) + 20·min(max(wait/SLA − 1, 0), 1)
//
// (whole points; the wait terms truncate). Central computes it whenever it
// reads the queue (take-next, queue views, queue positions) with the wait
// at that moment and the conversation's SLA target (a VIP's may be
// shorter), never the number stored at handoff (central/queue.go).
//
// The package is pure: no I/O, safe for concurrent use.
package router

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/kefu-io/kefu/chat"
)

// Reason says why a conversation was handed to a human.
type Reason string

// Handoff reasons.
const (
	ReasonAsked     Reason = "asked"
	ReasonIntent    Reason = "intent"
	ReasonPlugin    Reason = "plugin"
	ReasonAnger     Reason = "anger"
	ReasonBotFailed Reason = "bot_failed"
)

// IntentHuman is the intent label that asks for a human.
const IntentHuman = "human_agent"

// Defaults of Config.
const (
	DefaultAngerThreshold = 0.7
	DefaultMaxBotFailures = 2
	DefaultSLA            = 5 * time.Minute
)

// Config tunes a Router. The zero value uses the defaults.
type Config struct {
	// AngerThreshold hands off a message at least this angry. Defaults to 0.7.
	AngerThreshold float64
	// MaxBotFailures hands off after that many bot fallbacks in a row. Defaults to 2.
	MaxBotFailures int
	// SLA is the default target wait in the queue. Defaults to 5 minutes.
	SLA time.Duration
}

// Router applies a Config.
type Router struct{ cfg Config }

// New returns a Router with the defaults filled in.
func New(cfg Config) Router {
	if cfg.AngerThreshold <= 0 {
		cfg.AngerThreshold = DefaultAngerThreshold
	}
	if cfg.MaxBotFailures <= 0 {
		cfg.MaxBotFailures = DefaultMaxBotFailures
	}
	if cfg.SLA <= 0 {
		cfg.SLA = DefaultSLA
	}
	return Router{cfg: cfg}
}

// Config returns the effective configuration.
func (r Router) Config() Config { return r.cfg }

// Input is what Decide looks at.
type Input struct {
	Text   string
	Intent string
	// Anger in [0,1].
	Anger float64
	// Labels from the edge (escalate, vip…).
	Labels map[string]string
	// BotFailures is the number of consecutive bot fallbacks so far.
	BotFailures int
}

// Decision is the routing outcome.
type Decision struct {
	Human  bool
	Reason Reason
	// Detail adds context: the plugin's reason, the matched phrase.
	Detail string
}

// Decide says whether in goes to a human, and why.
func (r Router) Decide(in Input) Decision {
	if p, ok := AskedForHuman(in.Text); ok {
		return Decision{Human: true, Reason: ReasonAsked, Detail: p}
	}
	if in.Intent == IntentHuman {
		return Decision{Human: true, Reason: ReasonIntent}
	}
	if why, ok := in.Labels[chat.LabelEscalate]; ok {
		return Decision{Human: true, Reason: ReasonPlugin, Detail: why}
	}
	if in.Anger >= r.cfg.AngerThreshold {
		return Decision{Human: true, Reason: ReasonAnger}
	}
	if in.BotFailures >= r.cfg.MaxBotFailures {
		return Decision{Human: true, Reason: ReasonBotFailed}
	}
	return Decision{}
}

// Priority returns the queue priority of a conversation. sla <= 0 means the
// Config's SLA.
func (r Router) Priority(anger float64, vip bool, wait, sla time.Duration) int {
	if sla <= 0 {
		sla = r.cfg.SLA
	}
	anger = min(max(anger, 0), 1)
	p := 10 + int(anger*40+0.5)
	if vip {
		p += 30
	}
	if wait > 0 {
		frac := float64(wait) / float64(sla)
		if frac <= 1 {
			p += int(frac * 30)
		} else {
			p += 30 + int(min(frac-1, 1)*20)
		}
	}
	return p
}

// humanPhrases are explicit requests for a person. Latin-script phrases match
// whole words; the others match as substrings.
var humanPhrases = []string{
	// zh
	"转人工", "轉人工", "人工客服", "人工服务", "人工服務", "找人工", "要人工", "真人客服", "真人", "客服人员",
	// ja, ko
	"オペレーター", "担当者", "人間と話", "有人対応", "상담원", "사람과", "상담사",
	// en
	"human", "agent", "real person", "representative", "operator", "live person", "talk to someone",
	"speak to someone", "talk to a person", "speak to a person",
	// de, fr, es, it, pt, nl
	"mensch", "mitarbeiter", "echte person", "kundenberater", "humain", "conseiller", "vraie personne",
	"humano", "agente", "persona real", "operatore", "persona reale", "atendente", "pessoa real", "medewerker",
	// ru
	"оператор", "человек", "живой",
}

// AskedForHuman reports whether text asks for a person, and the phrase found.
func AskedForHuman(text string) (string, bool) {
	low := strings.ToLower(text)
	for _, p := range humanPhrases {
		if containsPhrase(low, p) {
			return p, true
		}
	}
	return "", false
}

// containsPhrase finds p in s; a phrase made of letters of a spaced script
// must stand as whole words (so "agentur" is not "agent").
func containsPhrase(s, p string) bool {
	// Most phrases are absent: look for p before asking whether its
	// script is spaced (both ran for every phrase of every message).
	first := strings.Index(s, p)
	if first < 0 {
		return false
	}
	if !spaced(p) {
		return true
	}
	for i, j := 0, first; ; {
		if i > 0 {
			j = strings.Index(s[i:], p)
		}
		if j < 0 {
			return false
		}
		start, end := i+j, i+j+len(p)
		if boundary(s, start-1, true) && boundary(s, end, false) {
			return true
		}
		i = start + 1
	}
}

func spaced(p string) bool {
	for _, r := range p {
		if unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul) {
			return false
		}
	}
	return true
}

// boundary reports whether the byte position at i (the one before a match
// when before, else the one after) is outside a word. Plural "s" after an
// English phrase counts as part of the phrase ("agents", "humans").
func boundary(s string, i int, before bool) bool {
	if i < 0 || i >= len(s) {
		return true
	}
	var r rune
	if before {
		r = lastRune(s[:i+1])
	} else {
		r, _ = utf8.DecodeRuneInString(s[i:])
		if r == 's' && (i+1 >= len(s) || !unicode.IsLetter(firstRune(s[i+1:]))) {
			return true
		}
	}
	return !unicode.IsLetter(r) && !unicode.IsDigit(r)
}

func firstRune(s string) rune {
	r, _ := utf8.DecodeRuneInString(s)
	return r
}

func lastRune(s string) rune {
	r, _ := utf8.DecodeLastRuneInString(s)
	return r
}
