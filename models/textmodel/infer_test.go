package textmodel

import (
	"bufio"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/kefu-io/kefu/models/artifacts"
	"github.com/kefu-io/kefu/models/features"
)

// refProbs is the forward pass as it was before the inference was made
// allocation-free (commit 8c26f7d): features from refAppend, the bag summed
// row by row from the int8 table, the head from the int8 output, softmax.
// TestInferenceUnchanged holds the new code to it bit for bit.
func refProbs(m *Model, text string) []float32 {
	ids := refAppend(m.feat, nil, text)
	logits := make([]float32, len(m.labels))
	if m.cols > 0 {
		return nil // linear models are not the subject here
	}
	d := m.dim
	h := make([]float32, d)
	for _, id := range ids {
		row := m.emb[int(id)*d : int(id)*d+d]
		sc := m.embScale[id]
		for j, q := range row {
			h[j] += float32(int8(q)) * sc
		}
	}
	if n := len(ids); n > 0 {
		inv := 1 / float32(n)
		if m.sqrtPool {
			inv = 1 / float32(math.Sqrt(float64(n)))
		}
		for j := range h {
			h[j] *= inv
		}
	}
	if m.hidden > 0 {
		return nil
	}
	for c := range logits {
		row := m.out[c*d : c*d+d]
		var dot float32
		for j, q := range row {
			dot += float32(int8(q)) * h[j]
		}
		logits[c] = dot*m.outScale[c] + m.bias[c]
	}
	maxZ := float32(math.Inf(-1))
	for _, v := range logits {
		maxZ = max(maxZ, v)
	}
	var sum float32
	for c, v := range logits {
		e := float32(math.Exp(float64(v - maxZ)))
		logits[c] = e
		sum += e
	}
	for c := range logits {
		logits[c] /= sum
	}
	return logits
}

// refPredict is Predict over refProbs.
func refPredict(m *Model, text string) Prediction {
	p := refProbs(m, text)
	best := 0
	for c, v := range p {
		if v > p[best] {
			best = c
		}
	}
	out := Prediction{Label: m.labels[best], Score: p[best]}
	if m.fallback >= 0 && out.Score < m.threshold {
		out.Label = m.labels[m.fallback]
	}
	return out
}

// refAppend is features.Config.Append as it was (commit 8c26f7d).
func refAppend(c features.Config, dst []uint32, text string) []uint32 {
	const maxWordRunes = 40
	const (
		kindWord byte = iota + 1
		kindBigram
		kindSub
		kindCJK
		kindSym
	)
	hb := func(h uint32, b byte) uint32 { return (h ^ uint32(b)) * 16777619 }
	hr := func(h uint32, r rune) uint32 {
		var buf [utf8.UTFMax]byte
		n := utf8.EncodeRune(buf[:], r)
		for i := 0; i < n; i++ {
			h = hb(h, buf[i])
		}
		return h
	}
	hu := func(h, v uint32) uint32 { return hb(hb(hb(hb(h, byte(v)), byte(v>>8)), byte(v>>16)), byte(v>>24)) }
	start := func(kind byte) uint32 { return hb(hu(2166136261, c.Seed), kind) }
	id := func(x uint32) uint32 {
		x ^= x >> 16
		x *= 0x85ebca6b
		x ^= x >> 13
		x *= 0xc2b2ae35
		x ^= x >> 16
		return x % c.Buckets
	}
	var (
		word     [maxWordRunes]rune
		nword    int
		cjk      [4]rune
		ncjk     int
		prevWord uint32
		havePrev bool
		cur      = refSpace
	)
	flushWord := func() {
		if nword == 0 {
			return
		}
		w := word[:nword]
		nword = 0
		if c.WordNgrams > 0 {
			h := start(kindWord)
			for _, r := range w {
				h = hr(h, r)
			}
			dst = append(dst, id(h))
			if c.WordNgrams > 1 && havePrev {
				dst = append(dst, id(hu(hu(start(kindBigram), prevWord), h)))
			}
			prevWord, havePrev = h, true
		}
		if c.MaxN == 0 {
			return
		}
		n := len(w) + 2
		at := func(i int) rune {
			switch i {
			case 0:
				return '<'
			case n - 1:
				return '>'
			}
			return w[i-1]
		}
		for size := int(c.MinN); size <= int(c.MaxN); size++ {
			if size > n {
				break
			}
			for i := 0; i+size <= n; i++ {
				if size == 1 && (i == 0 || i == n-1) {
					continue
				}
				h := start(kindSub)
				for j := i; j < i+size; j++ {
					h = hr(h, at(j))
				}
				dst = append(dst, id(h))
			}
		}
	}
	pushCJK := func(r rune) {
		maxN := int(c.CJKMaxN)
		copy(cjk[1:maxN], cjk[:maxN-1])
		cjk[0] = r
		ncjk++
		for size := 1; size <= maxN && size <= ncjk; size++ {
			h := start(kindCJK)
			for j := size - 1; j >= 0; j-- {
				h = hr(h, cjk[j])
			}
			dst = append(dst, id(h))
		}
	}
	for _, raw := range text {
		r := features.Normalize(raw)
		k := refClassify(r)
		if k == refJoin {
			switch cur {
			case refWord:
				if nword < maxWordRunes {
					word[nword] = r
					nword++
				}
				continue
			case refCJK:
				continue
			}
			k = refSym
		}
		if k != refWord {
			flushWord()
		}
		if k != refCJK {
			ncjk = 0
		}
		switch k {
		case refWord:
			if nword < maxWordRunes {
				word[nword] = r
				nword++
			}
		case refCJK:
			havePrev = false
			pushCJK(r)
		case refSym:
			h := hr(start(kindSym), r)
			dst = append(dst, id(h))
			if c.WordNgrams > 1 {
				if havePrev {
					dst = append(dst, id(hu(hu(start(kindBigram), prevWord), h)))
				}
				prevWord, havePrev = h, true
			}
		}
		cur = k
	}
	flushWord()
	return dst
}

const (
	refSpace = iota
	refWord
	refCJK
	refSym
	refJoin
)

func refClassify(r rune) int {
	if r < utf8.RuneSelf {
		switch {
		case r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\f' || r == '\v':
			return refSpace
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			return refWord
		case r < ' ' || r == 0x7f:
			return refSpace
		}
		return refSym
	}
	switch {
	case unicode.IsSpace(r):
		return refSpace
	case unicode.Is(unicode.Han, r), unicode.Is(unicode.Hiragana, r), unicode.Is(unicode.Katakana, r),
		r == 0x30FC,
		unicode.Is(unicode.Thai, r), unicode.Is(unicode.Lao, r), unicode.Is(unicode.Khmer, r),
		unicode.Is(unicode.Myanmar, r):
		return refCJK
	case unicode.IsLetter(r), unicode.IsDigit(r):
		return refWord
	case unicode.Is(unicode.Mn, r), unicode.Is(unicode.Mc, r), r == 0x200C, r == 0x200D:
		return refJoin
	case unicode.Is(unicode.Cf, r), unicode.Is(unicode.Cc, r):
		return refSpace
	}
	return refSym
}

// jsonlTexts returns the "text" of every row of a JSON-lines file.
func jsonlTexts(t testing.TB, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var row struct{ Text string }
		if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, row.Text)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// inferTexts is the intent set's four splits, the langid test file of the
// shared data sets (../shared/datasets, found from the working directory
// up; left out when absent), the package's sample and odd texts.
func inferTexts(t testing.TB) []string {
	t.Helper()
	var texts []string
	for _, split := range []string{"train", "dev", "dev2", "test"} {
		texts = append(texts, jsonlTexts(t, filepath.Join("..", "data", "intent", split+".jsonl"))...)
	}
	dir, _ := os.Getwd()
	for ; dir != filepath.Dir(dir); dir = filepath.Dir(dir) {
		p := filepath.Join(dir, "shared", "datasets", "langid", "test.jsonl")
		if _, err := os.Stat(p); err == nil {
			texts = append(texts, jsonlTexts(t, p)...)
			break
		}
	}
	texts = append(texts, sample...)
	return append(texts, "", " ", "?", "a", "ÀÉÎ ǅ İstanbul", "e\u0301cole", "ｆｕｌｌ　ｗｉｄｔｈ １２３", "ก่อน", "한국어 텍스트",
		"\u200d\u200c", "😡😡😡!!!", "x\x00y\x7f", string([]byte{0xff, 0xfe, 'a'}),
		"supercalifragilisticexpialidociousandthensomemoreletters", "Ω≈ç√∫˜µ≤≥÷")
}

// TestInferenceUnchanged: Predict and Probs of the shipped compact models
// (the widget's intent and language id, and the two-head file's heads
// through Second) and of the server's bag models give exactly, bit for
// bit, what the reference copy of the old code gives on every text.
func TestInferenceUnchanged(t *testing.T) {
	texts := inferTexts(t)
	if len(texts) < 45000 {
		t.Logf("%d texts (the shared langid test file not found)", len(texts))
	}
	for name, blob := range map[string][]byte{"intent-web": artifacts.IntentWeb(), "langid-web": artifacts.LangIDWeb(),
		"intent": artifacts.Intent(), "langid": artifacts.LangID()} {
		m, err := Load(blob)
		if err != nil {
			t.Fatal(err)
		}
		if (name == "intent-web") != (m.signs != nil) {
			t.Fatalf("%s: signs table %v; the 2-bit intent-web alone should have one", name, m.signs != nil)
		}
		var probs []float32
		var ids []uint32
		for _, s := range texts {
			ids = m.feat.Append(ids[:0], s)
			if want := refAppend(m.feat, nil, s); !slices.Equal(ids, want) {
				t.Fatalf("%s %q: features %v, want %v", name, s, ids, want)
			}
			want := refProbs(m, s)
			probs = m.Probs(probs, s)
			if len(probs) != len(want) {
				t.Fatalf("%s %q: %d probabilities, want %d", name, s, len(probs), len(want))
			}
			for c := range want {
				if math.Float32bits(probs[c]) != math.Float32bits(want[c]) {
					t.Fatalf("%s %q: p[%s] = %v, want %v", name, s, m.labels[c], probs[c], want[c])
				}
			}
			if got, want := m.Predict(s), refPredict(m, s); got.Label != want.Label || math.Float32bits(got.Score) != math.Float32bits(want.Score) {
				t.Fatalf("%s %q: Predict = %+v, want %+v", name, s, got, want)
			}
		}
		t.Logf("%s: %d texts identical", name, len(texts))
	}
}

// BenchmarkPredictWeb times the widget's two models on questions of the
// intent set's test split (the first 200, one Predict per question per
// iteration: ns/op / 200 is a question's time).
func BenchmarkPredictWeb(b *testing.B) {
	texts := jsonlTexts(b, filepath.Join("..", "data", "intent", "test.jsonl"))[:200]
	for _, tc := range []struct {
		name string
		blob []byte
	}{{"intent-web", artifacts.IntentWeb()}, {"langid-web", artifacts.LangIDWeb()}} {
		m, err := Load(tc.blob)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				for _, s := range texts {
					m.Predict(s)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(texts)), "ns/question")
		})
	}
}
