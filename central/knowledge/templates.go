package knowledge

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Hot-topic templates: FAQ entries for the weeks when one kind of
// question floods in — a shopping festival, a holiday's shipping cut-off,
// a product launch. A merchant enables a template per tenant; while its
// date window is open its entries are knowledge like any other (answered
// at central and carried in the browser's FAQ pack), and they leave when
// the window closes. Built-in templates come in Chinese and English with
// their windows computed for each year; a merchant may edit their texts
// and dates or write their own (a product launch).

// TemplateEntry is one FAQ entry of a template: questions and answers by
// language. An answer may name {start}, {end}, {cutoff} and {resume}: the
// window's dates (and a holiday's last dispatch and first dispatch after
// it), written for the answer's language.
type TemplateEntry struct {
	ID        string              `json:"id"`
	Questions map[string][]string `json:"questions"`
	Answers   map[string]string   `json:"answers"`
}

// Template is a hot-topic template.
type Template struct {
	ID string `json:"id"`
	// Name by language.
	Name map[string]string `json:"name"`
	// Kind: festival, shipping (a holiday's cut-off), launch.
	Kind    string          `json:"kind"`
	Entries []TemplateEntry `json:"entries"`
	// window computes the occurrence of a built-in template in a year:
	// [start, end) and, for a shipping template, the last dispatch before
	// and the first after the holiday.
	window func(year int) (start, end, cutoff, resume time.Time)
}

// Window is one occurrence of a template's date window, [Start, End).
type Window struct {
	Start  time.Time `json:"start"`
	End    time.Time `json:"end"`
	Cutoff time.Time `json:"cutoff,omitzero"`
	Resume time.Time `json:"resume,omitzero"`
}

// Contains reports whether t is inside the window.
func (w Window) Contains(t time.Time) bool { return !t.Before(w.Start) && t.Before(w.End) }

// Builtin reports whether the template's window is computed (a built-in).
func (t Template) Builtin() bool { return t.window != nil }

// NextWindow returns the occurrence of a built-in template that ends
// after now (the current one while it is open). Times are UTC dates.
func (t Template) NextWindow(now time.Time) Window {
	for y := now.UTC().Year() - 1; ; y++ {
		s, e, c, r := t.window(y)
		if now.Before(e) {
			return Window{Start: s, End: e, Cutoff: c, Resume: r}
		}
	}
}

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// blackFriday is the day after the fourth Thursday of November.
func blackFriday(y int) time.Time {
	d := day(y, time.November, 1)
	for d.Weekday() != time.Thursday {
		d = d.AddDate(0, 0, 1)
	}
	return d.AddDate(0, 0, 22)
}

// lunarNewYear is the first day of the Chinese New Year (Spring Festival).
var lunarNewYear = map[int]time.Time{
	2024: day(2024, time.February, 10), 2025: day(2025, time.January, 29), 2026: day(2026, time.February, 17),
	2027: day(2027, time.February, 6), 2028: day(2028, time.January, 26), 2029: day(2029, time.February, 13),
	2030: day(2030, time.February, 3), 2031: day(2031, time.January, 23), 2032: day(2032, time.February, 11),
	2033: day(2033, time.January, 31), 2034: day(2034, time.February, 19), 2035: day(2035, time.February, 8),
	2036: day(2036, time.January, 28),
}

func cny(y int) time.Time {
	if d, ok := lunarNewYear[y]; ok {
		return d
	}
	return day(y, time.February, 5) // beyond the table: a middle date, edit the window
}

// BuiltinTemplates returns the built-in hot-topic templates.
func BuiltinTemplates() []Template {
	return []Template{
		{ID: "singles-day", Kind: "festival", Name: map[string]string{"zh": "双11", "en": "Singles' Day (11.11)"},
			window: func(y int) (time.Time, time.Time, time.Time, time.Time) {
				return day(y, time.October, 20), day(y, time.November, 14), time.Time{}, time.Time{}
			},
			Entries: []TemplateEntry{
				{ID: "offers", Questions: map[string][]string{"zh": {"双11有什么优惠？", "双十一活动怎么参加"}, "en": {"What are the Singles' Day deals?", "Do you have 11.11 discounts?"}},
					Answers: map[string]string{"zh": "双11活动价适用于 11 月 11 日 23:59 前付款的订单，优惠券可与活动价叠加，具体以商品页为准。", "en": "Singles' Day prices apply to orders paid by 23:59 on 11 November; coupons stack with the event prices as shown on each product page."}},
				{ID: "dispatch", Questions: map[string][]string{"zh": {"双11的订单什么时候发货？", "双十一买的东西多久到"}, "en": {"When will my Singles' Day order ship?", "How long does delivery take during 11.11?"}},
					Answers: map[string]string{"zh": "双11期间订单量大，付款后 72 小时内发货，物流可能比平时慢 1–3 天。", "en": "Because of the Singles' Day volume, orders ship within 72 hours of payment and delivery may take 1–3 days longer than usual."}},
				{ID: "price-protect", Questions: map[string][]string{"zh": {"双11之前买的能保价吗？", "买贵了可以退差价吗"}, "en": {"I bought before 11.11, do you refund the difference?", "Is there price protection for Singles' Day?"}},
					Answers: map[string]string{"zh": "{start}起购买的商品，如在双11当天降价，可联系客服申请退差价。", "en": "Items bought from {start} whose price drops on 11 November get the difference back: contact us with your order number."}},
			}},
		{ID: "black-friday", Kind: "festival", Name: map[string]string{"zh": "黑色星期五", "en": "Black Friday & Cyber Monday"},
			window: func(y int) (time.Time, time.Time, time.Time, time.Time) {
				bf := blackFriday(y)
				return bf.AddDate(0, 0, -7), bf.AddDate(0, 0, 5), time.Time{}, time.Time{}
			},
			Entries: []TemplateEntry{
				{ID: "offers", Questions: map[string][]string{"zh": {"黑五有什么折扣？", "黑色星期五活动到什么时候"}, "en": {"What are your Black Friday deals?", "When does the Black Friday sale end?"}},
					Answers: map[string]string{"zh": "黑五折扣持续到网络星期一结束（{end}前），折扣已在商品页标出，无需优惠码。", "en": "Black Friday prices run until the end of Cyber Monday (before {end}); discounts show on each product page, no code needed."}},
				{ID: "returns", Questions: map[string][]string{"zh": {"黑五买的东西可以退吗？", "黑五订单退货期多长"}, "en": {"Can I return Black Friday purchases?", "Is the return window longer for Black Friday orders?"}},
					Answers: map[string]string{"zh": "黑五期间的订单可退货，退货期从收货起算，与平时相同。", "en": "Yes: Black Friday orders can be returned, with the usual return window counted from delivery."}},
			}},
		{ID: "cny-shipping", Kind: "shipping", Name: map[string]string{"zh": "春节发货安排", "en": "Chinese New Year shipping cut-off"},
			window: func(y int) (time.Time, time.Time, time.Time, time.Time) {
				d := cny(y)
				return d.AddDate(0, 0, -21), d.AddDate(0, 0, 15), d.AddDate(0, 0, -7), d.AddDate(0, 0, 8)
			},
			Entries: []TemplateEntry{
				{ID: "cutoff", Questions: map[string][]string{"zh": {"春节期间发货吗？", "过年快递停运吗", "春节前最后发货时间"}, "en": {"Do you ship during Chinese New Year?", "What is the last shipping day before Chinese New Year?"}},
					Answers: map[string]string{"zh": "春节前最后发货日为{cutoff}，之后的订单将于{resume}起按付款顺序发出。", "en": "The last dispatch before Chinese New Year is on {cutoff}; orders placed after it ship from {resume} in the order they were paid."}},
				{ID: "service", Questions: map[string][]string{"zh": {"春节客服上班吗？", "过年期间有人回复吗"}, "en": {"Is customer service open during Chinese New Year?"}},
					Answers: map[string]string{"zh": "春节期间智能客服照常在线，人工客服回复可能较慢，{resume}起恢复正常。", "en": "Our assistant answers as usual over the holiday; replies from our team may be slower until {resume}."}},
			}},
		{ID: "christmas-shipping", Kind: "shipping", Name: map[string]string{"zh": "圣诞节发货截止", "en": "Christmas delivery cut-off"},
			window: func(y int) (time.Time, time.Time, time.Time, time.Time) {
				return day(y, time.November, 25), day(y, time.December, 27), day(y, time.December, 18), day(y, time.December, 27)
			},
			Entries: []TemplateEntry{
				{ID: "cutoff", Questions: map[string][]string{"zh": {"圣诞节前能送到吗？", "圣诞前最晚什么时候下单"}, "en": {"Will it arrive before Christmas?", "What is the last order date for Christmas delivery?"}},
					Answers: map[string]string{"zh": "{cutoff}前付款的标准配送订单可在圣诞节前送达；之后的订单请选择加急配送。", "en": "Standard delivery orders paid by {cutoff} arrive before Christmas; after that, choose express delivery."}},
			}},
	}
}

// BuiltinTemplate returns one built-in template by id.
func BuiltinTemplate(id string) (Template, bool) {
	for _, t := range BuiltinTemplates() {
		if t.ID == id {
			return t, true
		}
	}
	return Template{}, false
}

// CheckEntries validates a template's entries: ids unique, every entry with
// at least one language having both a question and an answer.
func CheckEntries(es []TemplateEntry) error {
	if len(es) == 0 || len(es) > 50 {
		return fmt.Errorf("a template needs 1–50 entries, not %d", len(es))
	}
	seen := map[string]bool{}
	for i, e := range es {
		if e.ID == "" || len(e.ID) > 64 || seen[e.ID] {
			return fmt.Errorf("entry %d: an empty, over-long or repeated id %q", i, e.ID)
		}
		seen[e.ID] = true
		ok := false
		for lang, a := range e.Answers {
			if len(a) > 2000 || len(lang) > 16 {
				return fmt.Errorf("entry %q: answer over 2000 bytes or a bad language tag", e.ID)
			}
			for _, q := range e.Questions[lang] {
				if len(q) > 500 {
					return fmt.Errorf("entry %q: question over 500 bytes", e.ID)
				}
				if strings.TrimSpace(q) != "" && strings.TrimSpace(a) != "" {
					ok = true
				}
			}
		}
		if !ok {
			return fmt.Errorf("entry %q: no language with both a question and an answer", e.ID)
		}
	}
	return nil
}

// formatDate writes a date for a language: "2 February" or "2月2日".
func formatDate(t time.Time, lang string) string {
	if primary(lang) == "zh" {
		return fmt.Sprintf("%d月%d日", int(t.Month()), t.Day())
	}
	return fmt.Sprintf("%d %s", t.Day(), t.Month())
}

// TemplateDoc makes the knowledge of an open template: one passage and
// one FAQ pair per entry and language, the window's dates filled in. The
// document id is "hot-" + the template's id.
func TemplateDoc(id, title string, entries []TemplateEntry, w Window) Doc {
	der := Derived{Passages: []Passage{}}
	docID := "hot-" + id
	for _, e := range entries {
		langs := make([]string, 0, len(e.Answers))
		for l := range e.Answers {
			langs = append(langs, l)
		}
		sort.Strings(langs)
		for _, l := range langs {
			a := strings.TrimSpace(e.Answers[l])
			qs := e.Questions[l]
			if a == "" || len(qs) == 0 {
				continue
			}
			r := strings.NewReplacer("{start}", formatDate(w.Start, l), "{end}", formatDate(w.End.AddDate(0, 0, -1), l),
				"{cutoff}", formatDate(w.Cutoff, l), "{resume}", formatDate(w.Resume, l))
			a = r.Replace(a)
			pid := shortID(docID, "p", e.ID, l)
			der.Passages = append(der.Passages, Passage{ID: pid, Heading: qs[0], Text: a, Lang: l})
			for _, q := range qs {
				if q = strings.TrimSpace(q); q != "" {
					der.FAQ = append(der.FAQ, FAQPair{ID: shortID(docID, "q", e.ID, l, q), Question: q, Answer: a, Lang: l, Passage: pid})
				}
			}
		}
	}
	der.Lang = "mul"
	return Doc{ID: docID, Title: title, Version: 1, Derived: der}
}
