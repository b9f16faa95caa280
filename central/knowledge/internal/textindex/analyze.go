package textindex

import (
	"strings"
	"unicode/utf8"

	porterstemmer "github.com/blevesearch/go-porterstemmer"
	"github.com/blevesearch/snowballstem"
	"github.com/blevesearch/snowballstem/dutch"
	"github.com/blevesearch/snowballstem/russian"
	"golang.org/x/text/unicode/norm"
)

// Analyzer names. A language's analyzer is named by its ISO 639-1 code.
const (
	// Standard lower-cases Unicode words and drops English stop words:
	// for languages without an analyzer of their own.
	Standard = "standard"
	// CJK makes bigrams of adjacent Han, Hiragana and Katakana characters
	// (a lone one is a unigram), after folding full- and half-width forms.
	CJK = "cjk"
	// Keyword keeps the whole value as one term, as written.
	Keyword = "keyword"
)

// filter rewrites one lower-cased term; "" drops it.
type filter func(string) string

// analyzer is a tokenizer's words through filters, in order.
type analyzer struct {
	// before runs on the term as written, before lower-casing.
	before filter
	// after run on the lower-cased term.
	after []filter
}

var analyzers = map[string]analyzer{
	Standard: {after: []filter{stop("en")}},
	"en":     {before: possessiveEN, after: []filter{stop("en"), porterEN}},
	"de":     {after: []filter{stop("de"), deNormalize, runeStem(deStem)}},
	"fr":     {after: []filter{elision("fr"), stop("fr"), runeStem(frStem)}},
	"es":     {after: []filter{stop("es"), esNormalize, runeStem(esStem)}},
	"it":     {after: []filter{elision("it"), stop("it"), runeStem(itStem)}},
	"pt":     {after: []filter{stop("pt"), runeStem(ptStem)}},
	"ru":     {after: []filter{stop("ru"), snowball(russian.Stem)}},
	"nl":     {after: []filter{stop("nl"), snowball(dutch.Stem)}},
	"ar":     {after: []filter{norm.NFKC.String, stop("ar"), arNormalize, arStem}},
}

// Has reports whether name is an analyzer Analyze knows.
func Has(name string) bool {
	_, ok := analyzers[name]
	return ok || name == CJK || name == Keyword
}

// Analyze returns the terms of text under the named analyzer, in order and
// with repeats (a term's count is its frequency). An unknown analyzer
// yields nothing.
func Analyze(name, text string) []string {
	switch name {
	case Keyword:
		if text == "" {
			return nil
		}
		return []string{text}
	case CJK:
		return cjkTerms(text)
	}
	an, ok := analyzers[name]
	if !ok {
		return nil
	}
	toks := Tokenize(text)
	out := make([]string, 0, len(toks))
	for _, tok := range toks {
		t := tok.Term
		if an.before != nil {
			t = an.before(t)
		}
		t = lower(t)
		for _, f := range an.after {
			if t == "" {
				break
			}
			t = f(t)
		}
		if t != "" {
			out = append(out, t)
		}
	}
	return out
}

// lower lower-cases t; a final capital sigma becomes ς.
func lower(t string) string {
	l := strings.ToLower(t)
	if strings.HasSuffix(t, "Σ") && strings.HasSuffix(l, "σ") {
		l = strings.TrimSuffix(l, "σ") + "ς"
	}
	return l
}

var stopSets = func() map[string]map[string]bool {
	out := map[string]map[string]bool{}
	for lang, list := range stopLists {
		set := map[string]bool{}
		for _, w := range strings.Fields(list) {
			set[w] = true
		}
		out[lang] = set
	}
	return out
}()

// stop drops lang's stop words.
func stop(lang string) filter {
	set := stopSets[lang]
	return func(t string) string {
		if set[t] {
			return ""
		}
		return t
	}
}

// IsStopWord reports whether t (lower case) is a stop word of lang.
func IsStopWord(lang, t string) bool { return stopSets[lang][t] }

// possessiveEN strips an English 's (any apostrophe, either case).
func possessiveEN(t string) string {
	last, n := utf8.DecodeLastRuneInString(t)
	if last != 's' && last != 'S' {
		return t
	}
	prev, m := utf8.DecodeLastRuneInString(t[:len(t)-n])
	if prev == '\'' || prev == '’' || prev == '＇' {
		return t[:len(t)-n-m]
	}
	return t
}

func porterEN(t string) string {
	return string(porterstemmer.StemWithoutLowerCasing([]rune(t)))
}

// elision strips a French or Italian article before an apostrophe
// ("l'avion" → "avion").
func elision(lang string) filter {
	arts := map[string]bool{}
	for _, a := range strings.Fields(elisionArticles[lang]) {
		arts[a] = true
	}
	return func(t string) string {
		for i, r := range t {
			if (r == '\'' || r == '’') && arts[t[:i]] {
				return t[i+utf8.RuneLen(r):]
			}
		}
		return t
	}
}

func runeStem(f func([]rune) []rune) filter {
	return func(t string) string { return string(f([]rune(t))) }
}

func snowball(stem func(*snowballstem.Env) bool) filter {
	return func(t string) string {
		env := snowballstem.NewEnv(t)
		stem(env)
		return env.Current()
	}
}

// cjkTerms is the CJK analyzer: width folding, lower-casing, then bigrams
// of each run of adjacent ideographic characters (a run of one is a
// unigram); other words pass as they are.
func cjkTerms(text string) []string {
	var out []string
	var run []string // characters of the current ideographic run
	runEnd := -1
	flush := func() {
		if len(run) == 1 {
			out = append(out, run[0])
		}
		run = run[:0]
	}
	for _, tok := range Tokenize(text) {
		term := lower(foldWidth(tok.Term))
		if tok.Kind != Ideographic {
			flush()
			out = append(out, term)
			continue
		}
		if tok.Start != runEnd {
			flush()
		}
		runEnd = tok.End
		for _, r := range term {
			run = append(run, string(r))
			if len(run) >= 2 {
				out = append(out, run[len(run)-2]+run[len(run)-1])
			}
		}
	}
	flush()
	return out
}
