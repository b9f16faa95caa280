package knowledge

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"math"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Policy claims: the quantities a text states about a policy — a return
// window, a refund or delivery time, a warranty length, a shipping price
// or a fee, or that something is free — read the same way from the
// tenant's passages and from an agent's reply, so that the reply can be
// checked against the knowledge (smart QA's "promises outside policy").
//
// A claim is a quantity with a unit (a number alone — an order id, a
// price without a policy word — states nothing), in a sentence holding a
// word of one relation; the nearest such word decides (in English, German,
// French, Spanish and Chinese). Words that anchor a duration rather than
// name it ("30 days of delivery", "签收后", "nach Erhalt") are ignored, as
// are durations in the past ("40 days ago", "40 天前") and thresholds
// ("free over $49", "满 49").
//
// The check is lenient by design: a reply contradicts the knowledge only
// when it promises more than the most generous claim of the same relation
// in the passages about what it names (a destination, a product line, a
// fee; the policies about nothing specific when the knowledge says
// nothing about it there). A longer return window or warranty, a faster
// refund or delivery, a lower price or "free" where every passage asks a
// fee are promises outside policy; a stricter statement is not flagged.
// Business and calendar days count alike; a month is 30 days, a year 365;
// 5% of slack absorbs "2 years" against "24 months". Currencies are not
// converted: a tenant's knowledge is taken to use one.

// Relations a Claim states.
const (
	// RelReturnWindow is the days a shopper has to return (longer is more generous).
	RelReturnWindow = "return_window"
	// RelRefundTime is the days until a refund is paid (shorter is more generous).
	RelRefundTime = "refund_time"
	// RelDeliveryTime is the days until a parcel arrives (shorter is more generous).
	RelDeliveryTime = "delivery_time"
	// RelWarranty is the warranty's length in days (longer is more generous).
	RelWarranty = "warranty"
	// RelShippingCost is the price of delivery (lower, or free, is more generous).
	RelShippingCost = "shipping_cost"
	// RelFee is a fee's amount (lower, or free, is more generous).
	RelFee = "fee"
)

// Claim is one quantity a sentence states about a policy.
type Claim struct {
	Relation string `json:"relation"`
	// Min and Max are the quantity: days for durations ("7–12 business
	// days" is 7 and 12), the amount for money (0 for free).
	Min  float64 `json:"min"`
	Max  float64 `json:"max"`
	Free bool    `json:"free,omitempty"`
	// Text is the quantity as written ("within 60 days" → "60 days").
	Text string `json:"text"`
	// Sentence is the sentence the claim was read from.
	Sentence string `json:"sentence"`
}

// String describes the claim ("return_window 60 days").
func (c Claim) String() string {
	return c.Relation + " " + c.Text
}

func (c Claim) money() bool { return c.Relation == RelShippingCost || c.Relation == RelFee }

// longerIsBetter reports whether a larger quantity is more generous to the shopper.
func longerIsBetter(rel string) bool { return rel == RelReturnWindow || rel == RelWarranty }

// slack is the relative tolerance of a comparison.
const slack = 0.05

// exceeds reports whether promise is more generous than policy.
func exceeds(promise, policy Claim) bool {
	switch {
	case longerIsBetter(promise.Relation):
		return promise.Max > policy.Max*(1+slack)
	case promise.money():
		return promise.Min < policy.Min-0.005
	default:
		return promise.Max < policy.Min*(1-slack)
	}
}

// mostGenerous returns the claim of cs most generous to the shopper.
func mostGenerous(cs []Claim) Claim {
	best := cs[0]
	for _, c := range cs[1:] {
		if exceeds(c, best) {
			best = c
		}
	}
	return best
}

// keyword sets. Latin words match at a word's start (so "return" matches
// "returned"); CJK words anywhere. Where two matches overlap the longer
// wins (退款 over 退).
var relWords = map[string][]string{
	RelReturnWindow: {"return", "send it back", "send back", "rückgabe", "zurückgeb", "zurücksend", "zurückschick", "retour", "renvoy",
		"devol", "devuelv", "退货", "退回", "退换", "退"},
	RelRefundTime: {"refund", "reimburs", "money back", "erstatt", "rückerstatt", "rückzahl", "rembours", "reembols", "退款", "退钱", "返还"},
	RelDeliveryTime: {"deliver", "arriv", "ship", "transit", "liefer", "zustell", "versand", "versend", "ankomm", "ankunft", "livr",
		"expédi", "arriv", "entreg", "envío", "envio", "llega", "送达", "到货", "配送", "发货", "送到", "寄到", "到达", "运送"},
	RelWarranty: {"warrant", "guarantee", "garantie", "gewährleist", "garantía", "garantia", "保修", "质保", "保固", "三包"},
}

var moneyWords = map[string][]string{
	RelShippingCost: {"shipping", "ship", "deliver", "postage", "versand", "liefer", "porto", "livraison", "expédi", "envío", "envio",
		"entrega", "运费", "邮费", "配送", "快递费", "包邮", "免邮", "运送"},
	RelFee: {"fee", "surcharge", "charge", "dut", "tax", "customs", "gebühr", "zuschlag", "zoll", "steuer", "frais", "taxe", "supplément",
		"douane", "tarifa", "recargo", "comisión", "comision", "cargo", "impuesto", "aduana", "手续费", "附加费", "服务费", "税", "关税",
		"清关费", "费用"},
}

// anchorRE matches words that anchor a duration to an event rather than
// name what it is about: "within 30 days of delivery", "签收后".
var anchorRE = regexp.MustCompile(`(?i)\b(?:of|after|from|since|upon|following|nach|ab|seit|après|dès|à compter de|à partir de|desde|tras|después de)\s+(?:the\s+|your\s+|der\s+|dem\s+|la\s+|le\s+|el\s+|su\s+)?(?:delivery|receipt|dispatch|purchase|arrival|shipping|lieferung|erhalt|zustellung|versand|livraison|réception|expédition|entrega|recepción|envío)|(?:签收|收货|发货|到货|到仓|收到商品)(?:之日起|后|起)`)

// pastRE matches a duration in the past ("40 days ago", "vor 40 Tagen").
var pastRE = regexp.MustCompile(`(?i)^\s*(?:ago\b|前)`)
var pastBeforeRE = regexp.MustCompile(`(?i)(?:\bvor|il y a|hace)\s*$`)

// thresholdRE matches what makes an amount a threshold ("free over $49").
var thresholdRE = regexp.MustCompile(`(?i)(?:\bover|\babove|\bfrom|orders of|\büber|\bab|\bdès|plus de|más de|a partir de|满|超过|以上)\s*$`)

const numPat = `(\d+(?:[.,]\d+)?|[一二两三四五六七八九十百]+|\b(?i:a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fourteen|fifteen|twenty|thirty|forty|sixty|ninety|ein|eine|einem|einen|einer|zwei|drei|vier|fünf|sechs|sieben|acht|neun|zehn|zwölf|vierzehn|dreißig|sechzig|neunzig|un|une|deux|trois|quatre|cinq|sept|huit|dix|douze|quinze|trente|soixante|quatre-vingt-dix|una|uno|dos|tres|cuatro|cinco|seis|siete|ocho|nueve|diez|doce|quince|treinta|sesenta|noventa)\b)`

// durationRE matches a number (or range) with a time unit.
var durationRE = regexp.MustCompile(numPat + `(?:\s*(?:-|–|—|~|～|to|bis|à|a|al|到|至)\s*` + numPat + `)?[\s-]*` +
	`((?i:(?:business|working|calendar)[\s-]+(?:days?)|days?|hours?|hrs?|h|weeks?|months?|years?|werktagen?|arbeitstagen?|kalendertagen?|tagen?|stunden?|wochen?|monaten?|monate|jahren?|jours?(?:\s+ouvr[ée]s)?|heures?|semaines?|mois|ans|an|années?|d[ií]as?(?:\s+h[áa]biles)?|horas?|semanas?|meses|mes|años?)\b|个?(?:工作日|自然日|天|日|小时|钟头|周|星期|个月|年)内?)`)

// moneyRE matches an amount with its currency.
var moneyRE = regexp.MustCompile(`(?i)(?:(?:us\$|\$|€|£|¥|rmb\s?|cny\s?|eur\s?|usd\s?)\s?(\d+(?:[.,]\d{1,2})?)|(\d+(?:[.,]\d{1,2})?)\s?(?:美元|元|块|欧元|euros?\b|eur\b|usd\b|dollars?\b|€))`)

// freeRE matches "free" and its kin; negations are checked apart.
var freeRE = regexp.MustCompile(`(?i)\bfree(?:\s+of\s+charge)?\b|\bno\s+(?:\w+\s+){0,2}?(?:fees?|charges?|costs?|surcharges?)\b|\bat no (?:extra |additional )?cost\b|\bkostenlos\w*|\bgratis\b|\b\w*kostenfrei\b|\b\w*gebührenfrei\b|\bkeine\s+(?:\w+\s+)?gebühr\w*|\bgratuit\w*|\boffert\w*|\bsans frais\b|\bsin (?:coste|costo|cargo)\b|免费|包邮|免邮|免运费|不收取?(?:任何)?费用?|无需(?:支付)?(?:任何)?费用|不收费`)

var negBeforeRE = regexp.MustCompile(`(?i)(?:\bnot|n't|\bnicht|\bpas|\bno es|不|非)\s*$`)
var feelFreeRE = regexp.MustCompile(`(?i)\bfeel\s+$|\b(?:hands|duty|tax|sugar|gluten|cruelty|stress|worry|scent)-$`)

var wordNums = map[string]float64{"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
	"ten": 10, "eleven": 11, "twelve": 12, "fourteen": 14, "fifteen": 15, "twenty": 20, "thirty": 30, "forty": 40, "sixty": 60, "ninety": 90,
	"ein": 1, "eine": 1, "einem": 1, "einen": 1, "einer": 1, "zwei": 2, "drei": 3, "vier": 4, "fünf": 5, "sechs": 6, "sieben": 7, "acht": 8,
	"neun": 9, "zehn": 10, "zwölf": 12, "vierzehn": 14, "dreißig": 30, "sechzig": 60, "neunzig": 90,
	"un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "sept": 7, "huit": 8, "dix": 10, "douze": 12, "quinze": 15,
	"trente": 30, "soixante": 60, "quatre-vingt-dix": 90,
	"una": 1, "uno": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6, "siete": 7, "ocho": 8, "nueve": 9, "diez": 10, "doce": 12,
	"quince": 15, "treinta": 30, "sesenta": 60, "noventa": 90}

// parseNum reads a digit, word or Chinese numeral; ok is false for
// anything else.
func parseNum(s string) (float64, bool) {
	if s == "" {
		return 0, false
	}
	if s[0] >= '0' && s[0] <= '9' {
		v, err := strconv.ParseFloat(strings.ReplaceAll(s, ",", "."), 64)
		return v, err == nil
	}
	if v, ok := wordNums[strings.ToLower(s)]; ok {
		return v, true
	}
	return parseZhNum(s)
}

// parseZhNum reads 两, 七, 十五, 三十, 一百二十.
func parseZhNum(s string) (float64, bool) {
	digits := map[rune]float64{'一': 1, '二': 2, '两': 2, '三': 3, '四': 4, '五': 5, '六': 6, '七': 7, '八': 8, '九': 9}
	var total, cur float64
	any := false
	for _, r := range s {
		switch {
		case digits[r] > 0:
			cur, any = digits[r], true
		case r == '十':
			if cur == 0 {
				cur = 1
			}
			total += cur * 10
			cur, any = 0, true
		case r == '百':
			if cur == 0 {
				cur = 1
			}
			total += cur * 100
			cur, any = 0, true
		default:
			return 0, false
		}
	}
	return total + cur, any
}

// unitDays converts a unit as written to days.
func unitDays(u string) float64 {
	u = strings.ToLower(strings.TrimSuffix(strings.TrimPrefix(u, "个"), "内"))
	switch {
	case strings.HasPrefix(u, "hour"), strings.HasPrefix(u, "hr"), u == "h", strings.HasPrefix(u, "stunde"), strings.HasPrefix(u, "heure"),
		strings.HasPrefix(u, "hora"), u == "小时", u == "钟头":
		return 1.0 / 24
	case strings.HasPrefix(u, "week"), strings.HasPrefix(u, "woche"), strings.HasPrefix(u, "semaine"), strings.HasPrefix(u, "semana"),
		u == "周", u == "星期":
		return 7
	case strings.HasPrefix(u, "month"), strings.HasPrefix(u, "monat"), u == "mois", strings.HasPrefix(u, "mes"), u == "月":
		return 30
	case strings.HasPrefix(u, "year"), strings.HasPrefix(u, "jahr"), u == "ans", u == "an", strings.HasPrefix(u, "année"),
		strings.HasPrefix(u, "año"), u == "年":
		return 365
	}
	return 1
}

// Sentences splits text at sentence ends (a full stop only before a space
// or the end, so "14.90" stays whole) and semicolons.
func Sentences(text string) []string {
	var out []string
	start := 0
	flush := func(end int) {
		if s := strings.TrimSpace(text[start:end]); s != "" {
			out = append(out, s)
		}
		start = end
	}
	for i, r := range text {
		switch r {
		case '。', '！', '？', '；', '!', '?', ';', '\n':
			flush(i + utf8.RuneLen(r))
		case '.':
			if next := i + 1; next >= len(text) || text[next] == ' ' || text[next] == '\n' {
				flush(next)
			}
		}
	}
	flush(len(text))
	return out
}

type kwHit struct {
	rel        string
	start, end int
}

// keywordHits finds the relation words of sets in low (lower-cased text).
func keywordHits(low string, sets map[string][]string) []kwHit {
	var hits []kwHit
	for _, rel := range slices.Sorted(maps.Keys(sets)) {
		for _, w := range sets[rel] {
			cjkWord := hasHan(w)
			for off := 0; ; {
				i := strings.Index(low[off:], w)
				if i < 0 {
					break
				}
				s := off + i
				off = s + len(w)
				if !cjkWord && s > 0 {
					if r, _ := utf8.DecodeLastRuneInString(low[:s]); unicode.IsLetter(r) {
						continue
					}
				}
				hits = append(hits, kwHit{rel: rel, start: s, end: s + len(w)})
			}
		}
	}
	// Longest first; drop hits overlapping a kept one.
	sort.SliceStable(hits, func(i, j int) bool { return hits[i].end-hits[i].start > hits[j].end-hits[j].start })
	var kept []kwHit
	for _, h := range hits {
		ok := true
		for _, k := range kept {
			if h.start < k.end && k.start < h.end {
				ok = false
				break
			}
		}
		if ok {
			kept = append(kept, h)
		}
	}
	return kept
}

// nearest returns the relation of the hit nearest to [start, end) in
// runes; on a tie the word after wins in Chinese ("30 天内退货"), the word
// before elsewhere ("return within 30 days").
func nearest(low string, hits []kwHit, start, end int, cjkText bool) string {
	best, bestD := "", math.MaxInt
	for _, h := range hits {
		var d int
		after := h.start >= end
		switch {
		case after:
			d = utf8.RuneCountInString(strings.TrimSpace(low[end:h.start]))
		case h.end <= start:
			d = utf8.RuneCountInString(strings.TrimSpace(low[h.end:start]))
		default:
			continue
		}
		if d < bestD || (d == bestD && after == cjkText) {
			best, bestD = h.rel, d
		}
	}
	return best
}

// blank replaces the matches of re in s by spaces (keeping offsets).
func blank(s string, re *regexp.Regexp) string {
	return re.ReplaceAllStringFunc(s, func(m string) string { return strings.Repeat(" ", len(m)) })
}

// ExtractClaims reads the policy claims of text (see the package doc's
// "Policy claims").
func ExtractClaims(text string) []Claim {
	var out []Claim
	for _, sent := range Sentences(text) {
		out = append(out, sentenceClaims(sent)...)
	}
	return out
}

func sentenceClaims(sent string) []Claim {
	// Lower-casing keeps byte offsets for the scripts handled here
	// (ASCII, Latin-1 letters, CJK), except for a few letters whose
	// lower case is longer; such a sentence is read as written.
	low := strings.ToLower(sent)
	if len(low) != len(sent) {
		low = sent
	}
	masked := blank(low, anchorRE)
	cjkText := hasHan(sent)
	var out []Claim
	durHits := keywordHits(masked, relWords)
	for _, m := range durationRE.FindAllStringSubmatchIndex(low, -1) {
		if pastRE.MatchString(low[m[1]:]) || pastBeforeRE.MatchString(low[:m[0]]) {
			continue
		}
		a, ok := parseNum(low[m[2]:m[3]])
		if !ok {
			continue
		}
		b := a
		if m[4] >= 0 {
			if b, ok = parseNum(low[m[4]:m[5]]); !ok {
				continue
			}
		}
		unit := strings.Fields(low[m[6]:m[7]])
		u := unit[len(unit)-1]
		// "3月5日" is a date, "2026年" a year, "一个周四" a Thursday.
		next, _ := utf8.DecodeRuneInString(low[m[1]:])
		if (u == "日" && strings.HasSuffix(strings.TrimSpace(low[:m[0]]), "月")) || (unitDays(u) == 365 && b > 100) ||
			((strings.HasSuffix(u, "周") || strings.HasSuffix(u, "星期")) && strings.ContainsRune("一二三四五六日天末", next)) {
			continue
		}
		rel := nearest(masked, durHits, m[0], m[1], cjkText)
		if rel == "" {
			continue
		}
		f := unitDays(u)
		out = append(out, Claim{Relation: rel, Min: math.Min(a, b) * f, Max: math.Max(a, b) * f, Text: strings.TrimSpace(sent[m[0]:m[1]]), Sentence: sent})
	}
	monHits := keywordHits(masked, moneyWords)
	for _, m := range moneyRE.FindAllStringSubmatchIndex(low, -1) {
		if thresholdRE.MatchString(low[:m[0]]) {
			continue
		}
		g := 2
		if m[2] < 0 {
			g = 4
		}
		v, ok := parseNum(low[m[g]:m[g+1]])
		if !ok {
			continue
		}
		rel := nearest(masked, monHits, m[0], m[1], cjkText)
		if rel == "" {
			continue
		}
		out = append(out, Claim{Relation: rel, Min: v, Max: v, Text: strings.TrimSpace(sent[m[0]:m[1]]), Sentence: sent})
	}
	for _, m := range freeRE.FindAllStringIndex(low, -1) {
		if negBeforeRE.MatchString(low[:m[0]]) || feelFreeRE.MatchString(low[:m[0]]) {
			continue
		}
		// A word inside the phrase names it ("versandkostenfrei", "包邮").
		rel := ""
		for _, h := range monHits {
			if h.start >= m[0] && h.end <= m[1] {
				rel = h.rel
				break
			}
		}
		if rel == "" {
			rel = nearest(masked, monHits, m[0], m[1], cjkText)
		}
		if rel == "" {
			continue
		}
		out = append(out, Claim{Relation: rel, Free: true, Text: strings.TrimSpace(sent[m[0]:m[1]]), Sentence: sent})
	}
	return out
}

// Conflict is a promise in a reply that the tenant's knowledge
// contradicts, with the evidence on both sides.
type Conflict struct {
	// Promise is what the reply states (Promise.Sentence quotes it).
	Promise Claim `json:"promise"`
	// Policy is the most generous claim of the same relation in the
	// knowledge about the same thing (Policy.Sentence quotes it).
	Policy Claim `json:"policy"`
	// Entity names what the promise is about ("Canary Islands"), if
	// the knowledge has it.
	Entity string `json:"entity,omitempty"`
	// Source is the passage the policy was read from.
	Source Source `json:"source"`
}

// passageClaims are the claims of one passage, for Contradictions.
type passageClaims struct {
	doc     *Doc
	passage *Passage
	claims  []Claim
}

// indexClaims reads the claims of every passage of p (once, at load).
func (p *part) indexClaims() {
	for _, d := range p.docs {
		for i := range d.Derived.Passages {
			ps := &d.Derived.Passages[i]
			cs := ExtractClaims(ps.Text)
			// A passage about a fee states the fee's amount, whatever word is near.
			for _, e := range ps.Entities {
				if p.ents[e].Kind == "fee" {
					for i := range cs {
						if cs[i].money() {
							cs[i].Relation = RelFee
						}
					}
					break
				}
			}
			if len(cs) > 0 {
				p.claims = append(p.claims, passageClaims{doc: d, passage: ps, claims: cs})
			}
		}
	}
	sort.Slice(p.claims, func(i, j int) bool {
		a, b := p.claims[i], p.claims[j]
		if a.doc.ID != b.doc.ID {
			return a.doc.ID < b.doc.ID
		}
		return a.passage.ID < b.passage.ID
	})
}

// policyRevision fingerprints what Contradictions reads of p: the
// passages stating policy claims (document, title, version, passage,
// text, language, entities, claims) and the entities and aliases that
// name subjects. Two loads with the same policy have the same revision,
// whatever else changed in the knowledge.
func (p *part) policyRevision() string {
	h := sha256.New()
	w := func(parts ...string) {
		for _, s := range parts {
			fmt.Fprintf(h, "%d:%s", len(s), s)
		}
		h.Write([]byte{'\n'})
	}
	for _, pc := range p.claims {
		w("passage", pc.doc.ID, pc.doc.Title, strconv.Itoa(pc.doc.Version), pc.passage.ID, pc.passage.Heading, pc.passage.Text, pc.passage.Lang)
		w(pc.passage.Entities...)
		for _, c := range pc.claims {
			w(c.Relation, c.String())
		}
	}
	ids := make([]string, 0, len(p.ents))
	for id := range p.ents {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		e := p.ents[id]
		w("entity", id, e.Kind, e.Name)
	}
	as := make([]string, 0, len(p.aliases))
	for _, a := range p.aliases {
		as = append(as, a.text+"\x00"+a.entity)
	}
	sort.Strings(as)
	w(as...)
	return hex.EncodeToString(h.Sum(nil)[:12])
}

// PolicyRevision identifies the policy tenant's knowledge states, for
// results that depend on it (QA's off_policy item): it changes when a
// load changes a policy claim, a passage stating one, or the entities
// that name their subjects, and not otherwise. "" when tenant has no
// knowledge loaded.
func (h *Hub) PolicyRevision(tenant string) string {
	p := h.part(tenant)
	if p == nil {
		return ""
	}
	return p.policyRev
}

// Contradictions returns the promises in reply that tenant's knowledge
// contradicts (see "Policy claims" in the package doc). about is the
// shopper's text the reply answers: what it names (a destination, a
// product line, a fee) counts as named by the reply too. A tenant without
// knowledge has none.
func (h *Hub) Contradictions(ctx context.Context, tenant, reply, about string) ([]Conflict, error) {
	p := h.part(tenant)
	if p == nil {
		return nil, nil
	}
	lang := LangOf(reply)
	var out []Conflict
	for _, sent := range Sentences(reply) {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("knowledge: contradictions: %w", err)
		}
		claims := sentenceClaims(sent)
		if len(claims) == 0 {
			continue
		}
		// What the sentence names, and what the shopper asked about
		// ("大件商品加收 3 美元" answering a question about Corsica).
		ents := p.mentions(sent)
		if about != "" {
			for _, e := range p.mentions(about) {
				if !slicesContains(ents, e) {
					ents = append(ents, e)
				}
			}
		}
		var fee string
		for _, e := range p.mentions(sent) {
			if p.ents[e].Kind == "fee" {
				fee = e
				break
			}
		}
		for _, c := range claims {
			if c.money() && fee != "" {
				c.Relation = RelFee
			}
			if cf, ok := p.contradiction(c, ents, lang); ok {
				out = append(out, cf)
			}
		}
	}
	return out, nil
}

// contradiction checks one promise against the passages about ents (or,
// when none states the relation, the passages about nothing specific).
func (p *part) contradiction(c Claim, ents []string, lang string) (Conflict, bool) {
	type cand struct {
		pc    passageClaims
		claim Claim
	}
	collect := func(about func(*Passage) bool) []cand {
		var out []cand
		for _, pc := range p.claims {
			if !about(pc.passage) {
				continue
			}
			var same []Claim
			for _, x := range pc.claims {
				if x.Relation == c.Relation {
					same = append(same, x)
				}
			}
			if len(same) > 0 {
				out = append(out, cand{pc: pc, claim: mostGenerous(same)})
			}
		}
		return out
	}
	about := func(ps *Passage) bool {
		for _, e := range ps.Entities {
			if slicesContains(ents, e) {
				return true
			}
		}
		return false
	}
	var cands []cand
	if len(ents) > 0 {
		cands = collect(about)
	}
	if len(cands) == 0 {
		cands = collect(func(ps *Passage) bool { return len(ps.Entities) == 0 })
	} else if q := qualifiers(c.Sentence); len(q) > 0 {
		// "Express to Canada arrives in 2–3 days" is about the express
		// service, which a general page describes: that page counts too.
		cands = append(cands, collect(func(ps *Passage) bool {
			if len(ps.Entities) > 0 {
				return false
			}
			for _, w := range qualifiers(ps.Text) {
				if slicesContains(q, w) {
					return true
				}
			}
			return false
		})...)
	}
	if len(cands) == 0 {
		return Conflict{}, false
	}
	// The most generous policy; among equals, one in the reply's language.
	best := cands[0]
	for _, x := range cands[1:] {
		switch {
		case exceeds(x.claim, best.claim):
			best = x
		case !exceeds(best.claim, x.claim) && primary(x.pc.passage.Lang) == primary(lang) && primary(best.pc.passage.Lang) != primary(lang):
			best = x
		}
	}
	if !exceeds(c, best.claim) {
		return Conflict{}, false
	}
	entity := ""
	for _, e := range best.pc.passage.Entities {
		if slicesContains(ents, e) {
			entity = p.ents[e].Name
			break
		}
	}
	d, ps := best.pc.doc, best.pc.passage
	return Conflict{Promise: c, Policy: best.claim, Entity: entity,
		Source: Source{Doc: d.ID, Title: d.Title, Version: d.Version, Passage: ps.ID, Heading: ps.Heading}}, true
}

// qualifierWords name a variant of a service whose policy differs from
// the standard one (express delivery, members, pickup points).
var qualifierWords = map[string][]string{
	"express": {"express", "exprés", "expres", "urgente", "加急", "特快", "次日达"},
	"member":  {"member", "mitglied", "membre", "miembro", "会员", "gold", "金卡"},
	"pickup":  {"pickup", "pick-up", "locker", "abholstation", "packstation", "point relais", "punto de recogida", "自提", "快递柜"},
}

// qualifiers returns the service variants text names.
func qualifiers(text string) []string {
	low := strings.ToLower(text)
	var out []string
	for _, k := range slices.Sorted(maps.Keys(qualifierWords)) {
		for _, w := range qualifierWords[k] {
			if strings.Contains(low, w) {
				out = append(out, k)
				break
			}
		}
	}
	return out
}
