package knowledge

import (
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"slices"
	"strings"
	"unicode"

	"github.com/kefu-io/kefu/central/knowledge/ingest"
)

// Derived is what a document means to the knowledge hub: passages with
// their language and topics, FAQ pairs, and facts about entities
// (destinations, product lines, fees…). It is stored with each document
// version (store.KBDocument.Derived) as JSON.
type Derived struct {
	Lang   string   `json:"lang,omitempty"`
	Topics []string `json:"topics,omitempty"`
	// Declared are the topics the document declared (front matter
	// "topics:"/"topic:"), kept to reassign topics after a tree edit.
	Declared []string  `json:"declared_topics,omitempty"`
	Passages []Passage `json:"passages"`
	FAQ      []FAQPair `json:"faq,omitempty"`
	Entities []Entity  `json:"entities,omitempty"`
	Facts    []Fact    `json:"facts,omitempty"`
}

// Passage is an answerable piece of a document.
type Passage struct {
	ID      string   `json:"id"`
	Heading string   `json:"heading,omitempty"`
	Text    string   `json:"text"`
	Lang    string   `json:"lang"`
	Topics  []string `json:"topics,omitempty"`
	// Entities are the ids of the entities the passage is about.
	Entities []string `json:"entities,omitempty"`
}

// FAQPair is a question with its answer sentence.
type FAQPair struct {
	ID       string `json:"id"`
	Question string `json:"question"`
	Answer   string `json:"answer"`
	Lang     string `json:"lang"`
	// Topic is the topic its sheet row declared, if any.
	Topic string `json:"topic,omitempty"`
	// Topics are the ids of the topics of the tenant's tree it belongs to.
	Topics []string `json:"topics,omitempty"`
	// Passage is the passage the answer came from, if any.
	Passage string `json:"passage,omitempty"`
}

// Entity is a specific thing policies name: a destination, a product
// line, a fee, a payment method.
type Entity struct {
	ID      string   `json:"id"`
	Kind    string   `json:"kind"`
	Name    string   `json:"name"`
	Aliases []string `json:"aliases,omitempty"`
}

// Fact is one relation of an entity: (Canary Islands, delivery time, 7–12 business days).
type Fact struct {
	Entity   string `json:"entity"`
	Relation string `json:"relation"`
	Value    string `json:"value"`
	Passage  string `json:"passage"`
}

// Counts returns the numbers of passages, FAQ pairs and entities.
func (d *Derived) Counts() (passages, faq, entities int) {
	return len(d.Passages), len(d.FAQ), len(d.Entities)
}

// maxPassageRunes is the length passages are packed to.
const maxPassageRunes = 420

// topicWords name a topic by the words that signal it.
var topicWords = map[string][]string{
	"shipping":   {"ship", "deliver", "courier", "carrier", "parcel", "dispatch", "配送", "发货", "快递", "运费", "邮费", "物流", "送达", "运送"},
	"returns":    {"return", "refund", "退货", "退款", "退回"},
	"exchange":   {"exchange", "swap", "换货", "更换", "调换"},
	"payment":    {"pay", "card", "paypal", "alipay", "wechat pay", "installment", "支付", "付款", "分期", "信用卡"},
	"invoice":    {"invoice", "vat", "receipt", "发票", "收据", "抬头"},
	"sizes":      {"size", "fit", "measure", "尺码", "尺寸", "码数", "身高"},
	"warranty":   {"warranty", "guarantee", "repair", "defect", "保修", "质保", "维修", "三包"},
	"membership": {"member", "points", "tier", "vip", "会员", "积分", "等级"},
	"promotions": {"promo", "discount", "coupon", "sale", "code", "优惠", "折扣", "促销", "优惠券", "满减"},
	"fees":       {"fee", "surcharge", "charge", "duty", "duties", "customs", "tax", "费用", "手续费", "关税", "附加费", "税"},
	"products":   {"product", "material", "fabric", "battery", "care", "产品", "材质", "面料", "电池", "保养"},
	"account":    {"account", "password", "login", "账户", "账号", "密码", "登录"},
	"orders":     {"order", "cancel", "订单", "取消"},
}

// entityKinds maps words of a table's first header cell to an entity kind.
var entityKinds = []struct {
	kind  string
	words []string
}{
	{"destination", []string{"destination", "country", "region", "territory", "island", "目的地", "国家", "地区", "区域"}},
	{"product_line", []string{"product line", "product", "category", "line", "产品线", "品类", "产品", "类别"}},
	{"fee", []string{"fee", "charge", "surcharge", "service", "费用", "收费", "服务"}},
	{"payment_method", []string{"payment", "method", "支付方式", "付款方式"}},
	{"tier", []string{"tier", "level", "membership", "等级", "会员"}},
}

// LangOf guesses a text's language from its script: zh when at least a
// fifth of its letters are Han, else en (the demo's two languages; other
// languages keep the caller's tag).
func LangOf(s string) string {
	han, letters := 0, 0
	for _, r := range s {
		switch {
		case unicode.Is(unicode.Han, r):
			han++
			letters++
		case unicode.IsLetter(r):
			letters++
		}
	}
	if letters > 0 && han*5 >= letters {
		return "zh"
	}
	return "en"
}

func topicsOf(text string) []string {
	low := strings.ToLower(text)
	var out []string
	for _, t := range slices.Sorted(maps.Keys(topicWords)) {
		for _, w := range topicWords[t] {
			if strings.Contains(low, w) {
				out = append(out, t)
				break
			}
		}
	}
	return out
}

func shortID(parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(h[:6])
}

// splitAliases splits "Canary Islands (Canarias) / 加那利群岛" into names.
func splitAliases(s string) []string {
	f := strings.FieldsFunc(s, func(r rune) bool {
		return r == '/' || r == '／' || r == '(' || r == ')' || r == '（' || r == '）' || r == '、' || r == '|' || r == ';' || r == '；'
	})
	// "智能手表和手环" names two things, as "Smartwatches and fitness bands" does.
	for _, a := range f {
		if parts := strings.Split(a, "和"); len(parts) > 1 && hasHan(a) {
			ok := true
			for _, p := range parts {
				ok = ok && len([]rune(strings.TrimSpace(p))) >= 2
			}
			if ok {
				f = append(f, parts...)
			}
		}
	}
	var out []string
	seen := map[string]bool{}
	for _, a := range f {
		a = strings.TrimSpace(a)
		k := strings.ToLower(a)
		if len([]rune(a)) < 2 || seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, a)
	}
	return out
}

func kindOfHeader(h string) string {
	low := strings.ToLower(h)
	for _, k := range entityKinds {
		for _, w := range k.words {
			if strings.Contains(low, w) {
				return k.kind
			}
		}
	}
	return ""
}

// Derive builds passages, FAQ pairs, topics, entities and facts from a
// parsed document. docID seeds the ids, so a document derives the same
// ids every time.
func Derive(docID string, d ingest.Document) Derived {
	out := Derived{Passages: []Passage{}}
	docTopics := splitList(d.Meta["topics"])
	if t := d.Meta["topic"]; t != "" {
		docTopics = append(docTopics, t)
	}
	// A document about one entity says so in its front matter:
	//   entity: destination: Canary Islands | Canarias | 加那利群岛
	var docEntity string
	if e := d.Meta["entity"]; e != "" {
		kind, names, ok := strings.Cut(e, ":")
		if !ok {
			kind, names = "topic", e
		}
		al := splitAliases(names)
		if strings.TrimSpace(kind) == "fee" {
			al = feeAliases(al)
		}
		if len(al) > 0 {
			ent := Entity{ID: shortID(docID, "entity", al[0]), Kind: strings.TrimSpace(kind), Name: al[0], Aliases: al}
			out.Entities = append(out.Entities, ent)
			docEntity = ent.ID
		}
	}
	add := func(heading, text, lang string, ents []string) string {
		text = strings.TrimSpace(text)
		if text == "" {
			return ""
		}
		if lang == "" {
			lang = LangOf(text)
		}
		if docEntity != "" {
			ents = append([]string{docEntity}, ents...)
		}
		topics := mergeTopics(docTopics, topicsOf(heading+" "+text))
		p := Passage{ID: shortID(docID, "p", itoa(len(out.Passages)), text), Heading: heading, Text: text, Lang: lang, Topics: topics, Entities: ents}
		out.Passages = append(out.Passages, p)
		return p.ID
	}
	for _, sec := range d.Sections {
		var buf []string
		bufLang, n := "", 0
		flush := func() {
			if len(buf) > 0 {
				add(sec.Heading, strings.Join(buf, " "), bufLang, nil)
			}
			buf, n, bufLang = nil, 0, ""
		}
		for _, p := range sec.Paragraphs {
			l := LangOf(p)
			r := len([]rune(p))
			if len(buf) > 0 && (l != bufLang || n+r > maxPassageRunes) {
				flush()
			}
			buf, bufLang, n = append(buf, p), l, n+r
			// A heading that is a question and its first paragraph are a FAQ pair.
			if len(buf) == 1 && isQuestion(sec.Heading) && LangOf(sec.Heading) == l && !hasPair(out.FAQ, sec.Heading) {
				out.FAQ = append(out.FAQ, FAQPair{ID: shortID(docID, "q", sec.Heading), Question: sec.Heading, Answer: firstSentences(p, 2), Lang: l})
			}
		}
		flush()
		for _, t := range sec.Tables {
			if len(t.Header) < 2 {
				continue
			}
			kind := kindOfHeader(t.Header[0])
			for _, row := range t.Rows {
				if len(row) == 0 || strings.TrimSpace(row[0]) == "" {
					continue
				}
				var b strings.Builder
				b.WriteString(row[0])
				for i := 1; i < len(row) && i < len(t.Header); i++ {
					if row[i] == "" {
						continue
					}
					b.WriteString("; " + t.Header[i] + ": " + row[i])
				}
				var ents []string
				var ent Entity
				if kind != "" {
					al := splitAliases(row[0])
					if len(al) > 0 {
						ent = Entity{ID: shortID(docID, "entity", al[0]), Kind: kind, Name: al[0], Aliases: al}
						out.Entities = append(out.Entities, ent)
						ents = []string{ent.ID}
					}
				}
				heading := sec.Heading
				pid := add(heading, b.String(), LangOf(heading+" "+b.String()), ents)
				if ent.ID != "" {
					for i := 1; i < len(row) && i < len(t.Header); i++ {
						if row[i] != "" {
							out.Facts = append(out.Facts, Fact{Entity: ent.ID, Relation: t.Header[i], Value: row[i], Passage: pid})
						}
					}
				}
			}
		}
	}
	for _, f := range d.FAQ {
		lang := f.Lang
		if lang == "" {
			lang = LangOf(f.Question)
		}
		pid := ""
		if d.Kind == ingest.KindFAQ {
			pid = add(f.Question, f.Answer, lang, nil)
			if f.Topic != "" {
				out.Passages[len(out.Passages)-1].Topics = mergeTopics([]string{strings.ToLower(f.Topic)}, out.Passages[len(out.Passages)-1].Topics)
			}
		}
		out.FAQ = append(out.FAQ, FAQPair{ID: shortID(docID, "q", f.Question), Question: f.Question, Answer: f.Answer, Lang: lang, Topic: f.Topic, Passage: pid})
	}
	if len(out.FAQ) == 0 && docEntity == "" {
		out.FAQ = titlePairs(docID, d, out.Passages)
	}
	out.Declared = docTopics
	for i := range out.FAQ {
		out.FAQ[i].Topics = mergeTopics(mergeTopics(docTopics, splitList(out.FAQ[i].Topic)), topicsOf(out.FAQ[i].Question+" "+out.FAQ[i].Answer))
	}
	langs := map[string]int{}
	for _, p := range out.Passages {
		langs[p.Lang] += len(p.Text)
		out.Topics = mergeTopics(out.Topics, p.Topics)
	}
	for l, n := range langs {
		if out.Lang == "" || n > langs[out.Lang] {
			out.Lang = l
		}
	}
	if len(langs) > 1 {
		out.Lang = "mul"
	}
	return out
}

// titlePairs derives FAQ pairs from a document whose headings are titles,
// not questions ("Refund timing / 退款到账时间"): the question its title
// names, per language, answered by the first sentences of its first
// passage in that language. Only documents about no specific entity (a
// destination, a product line, a fee) get them: those are answered at
// central, where the specific fact is, and the browser declines them.
func titlePairs(docID string, d ingest.Document, passages []Passage) []FAQPair {
	var heading string
	for _, sec := range d.Sections {
		if strings.TrimSpace(sec.Heading) != "" {
			heading = sec.Heading
			break
		}
	}
	if heading == "" {
		heading = d.Title
	}
	var out []FAQPair
	seen := map[string]bool{}
	for _, part := range strings.FieldsFunc(heading, func(r rune) bool { return r == '/' || r == '／' || r == '|' }) {
		q := strings.TrimSpace(part)
		l := LangOf(q)
		if len([]rune(q)) < 2 || seen[l] {
			continue
		}
		for _, p := range passages {
			if p.Lang != l || len(p.Entities) > 0 {
				continue
			}
			if a := firstSentences(p.Text, 2); a != "" {
				seen[l] = true
				out = append(out, FAQPair{ID: shortID(docID, "q", q), Question: q, Answer: a, Lang: l, Passage: p.ID})
			}
			break
		}
	}
	return out
}

func hasPair(ps []FAQPair, q string) bool {
	for _, p := range ps {
		if p.Question == q {
			return true
		}
	}
	return false
}

func isQuestion(s string) bool {
	s = strings.TrimSpace(s)
	return strings.HasSuffix(s, "?") || strings.HasSuffix(s, "？") || strings.HasSuffix(s, "吗")
}

// firstSentences returns the first n sentences of s.
func firstSentences(s string, n int) string {
	count := 0
	for i, r := range s {
		if r == '.' || r == '。' || r == '!' || r == '！' || r == '?' || r == '？' {
			next := i + len(string(r))
			if r == '.' && next < len(s) && s[next] != ' ' {
				continue // 1.5, e.g.
			}
			count++
			if count == n {
				return strings.TrimSpace(s[:next])
			}
		}
	}
	return s
}

func splitList(s string) []string {
	s = strings.Trim(s, "[]")
	var out []string
	for _, p := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '，' }) {
		if p = strings.ToLower(strings.TrimSpace(strings.Trim(p, `"'`))); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func mergeTopics(a, b []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, t := range append(append([]string{}, a...), b...) {
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}

// feeSuffixes are the words that make a name a fee's ("cash on delivery
// fee"): shoppers name the fee by what it is for ("cash on delivery").
var feeSuffixes = []string{" fee", " surcharge", " charge", "手续费", "附加费", "费用", "费"}

// feeAliases adds to a fee's names each without its fee word.
func feeAliases(names []string) []string {
	out := append([]string{}, names...)
	for _, n := range names {
		low := strings.ToLower(n)
		for _, s := range feeSuffixes {
			if strings.HasSuffix(low, s) && len([]rune(low))-len([]rune(s)) >= 2 {
				out = append(out, strings.TrimSpace(n[:len(n)-len(s)]))
				break
			}
		}
	}
	return out
}
