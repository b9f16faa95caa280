// Package qa scores agents' handling of closed conversations (质检) on a
// rubric, quoting the evidence for every item, and measures how well the
// automatic score agrees with human reviewers.
//
// # Rubric
//
// Each item scores 0, 0.5 or 1, or does not apply:
//
//   - first_response: the first agent reply within the SLA after the
//     handoff (1), within twice the SLA (0.5), later (0).
//   - greeting: the first agent message greets the shopper.
//   - closing: the last agent message offers more help or says goodbye.
//   - empathy: when the shopper was upset (anger ≥ UpsetAnger), an agent
//     message acknowledges it (sorry, understand, 抱歉, 理解…). Does not
//     apply otherwise.
//   - resolution: the conversation was closed after an agent reply (not
//     left with the shopper's question last).
//   - forbidden: no agent message holds one of the tenant's forbidden
//     phrases (0 with the phrase quoted).
//   - pii_request: no agent asks the shopper to type what the PII policy
//     masks (card numbers, passwords, verification codes, ID numbers).
//   - promise: no agent promises what policy may not allow (guarantee,
//     compensation, refund "today"…); a promise scores 0.5 and is quoted
//     for the reviewer, since only the knowledge hub's policies can say
//     whether it was allowed.
//   - off_policy: no agent promises what the tenant's knowledge
//     contradicts — a longer return window or warranty, a faster refund
//     or delivery, a lower price or "free" where the knowledge hub's
//     passages about the same destination, product line or fee say
//     otherwise (central/knowledge's "Policy claims"). 0 with the reply's
//     sentence and the policy's passage quoted. Applies when the rubric
//     has a Policy check (a tenant with knowledge).
//   - tone (model): 1 − the mean anger the anger model reads in the
//     agent's messages (an agent's rudeness reads as anger).
//   - deescalation (model): when the shopper was upset, whether their
//     anger fell by the end (1 − last / max shopper anger).
//
// The score is the weighted mean of the items that apply, × 100, with
// two kinds of veto as in 质检 practice: a critical item at 0 (forbidden,
// pii_request: 致命项) caps the score at CriticalCap, and a major item at
// 0 (first_response, empathy, resolution, off_policy: 重要项) caps it just below
// PassScore. A conversation passes at PassScore. (The caps were added
// after the first measurement against the reviewed set: a plain weighted
// mean agreed on pass/fail for 56% of it, κ 0.18.)
package qa

import (
	"math"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/kefu-io/kefu/chat"
)

// Scoring constants.
const (
	UpsetAnger  = 0.6
	PassScore   = 70.0
	CriticalCap = 40.0
)

// Critical and major items (see the package doc).
var (
	CriticalItems = []string{Forbidden, PIIRequest}
	MajorItems    = []string{FirstResponse, Empathy, Resolution, OffPolicy}
)

// Item names.
const (
	FirstResponse = "first_response"
	Greeting      = "greeting"
	Closing       = "closing"
	Empathy       = "empathy"
	Resolution    = "resolution"
	Forbidden     = "forbidden"
	PIIRequest    = "pii_request"
	Promise       = "promise"
	OffPolicy     = "off_policy"
	Tone          = "tone"
	Deescalation  = "deescalation"
)

// Items lists the rubric's items in display order.
var Items = []string{FirstResponse, Greeting, Closing, Empathy, Resolution, Forbidden, PIIRequest, Promise, OffPolicy, Tone, Deescalation}

// DefaultWeights weigh the items (a tenant may override them).
var DefaultWeights = map[string]float64{FirstResponse: 2, Greeting: 1, Closing: 1, Empathy: 2, Resolution: 2, Forbidden: 3,
	PIIRequest: 3, Promise: 1, OffPolicy: 2, Tone: 1, Deescalation: 1}

// DefaultForbidden are phrases an agent must not use.
var DefaultForbidden = []string{"not my problem", "calm down", "that's your fault", "you should have read", "i don't know", "whatever",
	"不关我的事", "我也没办法", "你自己看", "爱买不买", "你自己的问题", "不知道"}

// Item is one scored rubric item.
type Item struct {
	Name string `json:"name"`
	// Score is 0, 0.5 or 1; Applies is false when the item says nothing
	// about this conversation.
	Score   float64 `json:"score"`
	Applies bool    `json:"applies"`
	// Source is "rule" or "model".
	Source string `json:"source"`
	// Evidence quotes the message (or fact) the score rests on.
	Evidence string `json:"evidence,omitempty"`
	// MessageID locates the quoted message.
	MessageID string `json:"message_id,omitempty"`
	// Policy is the other side of an off_policy finding: what the
	// knowledge says and where.
	Policy *PolicyFinding `json:"policy,omitempty"`
}

// PolicyFinding is a promise in an agent's reply that the tenant's
// knowledge contradicts.
type PolicyFinding struct {
	// Sentence quotes the reply's sentence; Promise is what it promises
	// ("60 days"), Relation what about (return_window, shipping_cost…).
	Sentence string `json:"sentence"`
	Promise  string `json:"promise"`
	Relation string `json:"relation"`
	// Entity names what the promise is about ("Canary Islands"), if known.
	Entity string `json:"entity,omitempty"`
	// Policy is what the knowledge says ("30 days"); Fact quotes the
	// sentence of the source passage that says it.
	Policy string `json:"policy"`
	Fact   string `json:"fact"`
	// Doc, Title and Passage locate the source passage.
	Doc     string `json:"doc"`
	Title   string `json:"title"`
	Passage string `json:"passage"`
}

// PolicyFunc returns the promises in an agent's reply that the tenant's
// knowledge contradicts; about is the shopper's text the reply answers
// (it names the subject when the reply does not).
type PolicyFunc func(reply, about string) []PolicyFinding

// Result is a scored conversation.
type Result struct {
	Score float64 `json:"score"`
	Pass  bool    `json:"pass"`
	Items []Item  `json:"items"`
}

// AngerFunc scores the anger of a text in [0,1] (central's anger model).
type AngerFunc func(text string) float64

// Rubric is a tenant's scoring configuration.
type Rubric struct {
	SLA       time.Duration
	Weights   map[string]float64
	Forbidden []string
	// Anger, when set, enables the model items.
	Anger AngerFunc
	// Policy, when set, enables the off_policy item.
	Policy PolicyFunc
}

var (
	greetRE   = regexp.MustCompile(`(?i)\b(hi|hello|hey|good (morning|afternoon|evening)|welcome|thanks for (reaching|contacting))\b|您好|你好|亲|很高兴为您|欢迎`)
	closeRE   = regexp.MustCompile(`(?i)anything else|(have a|wish you a) (nice|great|good)|bye|glad (i|we) could help|take care|还有什么|祝您|再见|欢迎再来|有问题随时`)
	empathyRE = regexp.MustCompile(`(?i)\b(sorry|apologi[sz]e|understand|frustrat\w*|inconvenience)\b|抱歉|对不起|不好意思|理解|给您带来`)
	piiAskRE  = regexp.MustCompile(`(?i)(card number|cvv|cvc|security code|password|pin\b|verification code|one[- ]time code|passport number|id number|身份证号|银行卡号|卡号|密码|验证码)`)
	askRE     = regexp.MustCompile(`(?i)\b(send|give|tell|type|provide|share|enter)\b|发给|告诉|提供|输入|报一下`)
	promiseRE = regexp.MustCompile(`(?i)\b(i promise|we promise|guarantee[ds]?|100% sure|full refund today|compensat\w+)\b|保证|一定会|肯定会|全额赔偿|包赔|马上退款`)
)

// Score scores one conversation's messages (stored order), handed off at
// handoff (zero if unknown) and closed or not.
func Score(r Rubric, msgs []chat.Message, handoff time.Time, closed bool) Result {
	w := r.Weights
	if w == nil {
		w = DefaultWeights
	}
	forbidden := r.Forbidden
	if forbidden == nil {
		forbidden = DefaultForbidden
	}
	var agent []chat.Message
	// about[i] is the shopper's text before agent[i] (their last five
	// messages), which names what the reply is about.
	var about []string
	var shopperTexts []string
	var maxAnger, lastShopperAnger float64
	var lastShopper, lastAgent time.Time
	var upset chat.Message
	for _, m := range msgs {
		switch m.Role {
		case chat.RoleAgent:
			agent = append(agent, m)
			about = append(about, strings.Join(shopperTexts[max(0, len(shopperTexts)-5):], "\n"))
			lastAgent = m.At
		case chat.RoleShopper:
			shopperTexts = append(shopperTexts, m.Text)
			if m.Anger > maxAnger {
				maxAnger, upset = m.Anger, m
			}
			lastShopperAnger, lastShopper = m.Anger, m.At
		case chat.RoleSystem:
			if handoff.IsZero() && m.Author == "router" {
				handoff = m.At
			}
		}
	}
	items := make([]Item, 0, len(Items))
	rule := func(name string, score float64, applies bool, ev string, id string) {
		items = append(items, Item{Name: name, Score: score, Applies: applies, Source: "rule", Evidence: quote(ev), MessageID: id})
	}
	if len(agent) == 0 {
		return Result{Items: items}
	}
	first, last := agent[0], agent[len(agent)-1]

	// first_response
	if !handoff.IsZero() && r.SLA > 0 {
		frt := first.At.Sub(handoff)
		s := 0.0
		switch {
		case frt <= r.SLA:
			s = 1
		case frt <= 2*r.SLA:
			s = 0.5
		}
		rule(FirstResponse, s, true, "first reply after "+frt.Round(time.Second).String()+" (SLA "+r.SLA.String()+")", first.ID)
	} else {
		rule(FirstResponse, 0, false, "", "")
	}
	// greeting, closing
	if greetRE.MatchString(first.Text) {
		rule(Greeting, 1, true, first.Text, first.ID)
	} else {
		rule(Greeting, 0, true, first.Text, first.ID)
	}
	if closeRE.MatchString(last.Text) {
		rule(Closing, 1, true, last.Text, last.ID)
	} else {
		rule(Closing, 0, true, last.Text, last.ID)
	}
	// empathy
	if maxAnger >= UpsetAnger {
		found := false
		for _, m := range agent {
			if empathyRE.MatchString(m.Text) {
				rule(Empathy, 1, true, m.Text, m.ID)
				found = true
				break
			}
		}
		if !found {
			rule(Empathy, 0, true, "upset shopper, no acknowledgement: "+upset.Text, upset.ID)
		}
	} else {
		rule(Empathy, 0, false, "", "")
	}
	// resolution
	switch {
	case closed && !lastShopper.After(lastAgent):
		rule(Resolution, 1, true, "closed after the agent's reply", last.ID)
	case closed:
		rule(Resolution, 0.5, true, "closed with the shopper's message unanswered", "")
	default:
		rule(Resolution, 0, true, "not closed", "")
	}
	// forbidden phrases, PII requests, promises
	hit := func(name string, bad float64, match func(string) string) {
		for _, m := range agent {
			if ph := match(m.Text); ph != "" {
				rule(name, bad, true, m.Text, m.ID)
				return
			}
		}
		rule(name, 1, true, "", "")
	}
	hit(Forbidden, 0, func(t string) string {
		low := strings.ToLower(t)
		for _, p := range forbidden {
			if p != "" && strings.Contains(low, strings.ToLower(p)) {
				return p
			}
		}
		return ""
	})
	hit(PIIRequest, 0, func(t string) string {
		if piiAskRE.MatchString(t) && askRE.MatchString(t) {
			return piiAskRE.FindString(t)
		}
		return ""
	})
	hit(Promise, 0.5, func(t string) string { return promiseRE.FindString(t) })
	if r.Policy != nil {
		found := false
		for i, m := range agent {
			if fs := r.Policy(m.Text, about[i]); len(fs) > 0 {
				f := fs[0]
				f.Sentence, f.Fact = quote(f.Sentence), quote(f.Fact)
				items = append(items, Item{Name: OffPolicy, Score: 0, Applies: true, Source: "rule", MessageID: m.ID, Policy: &f,
					Evidence: quote(f.Sentence + " — " + f.Title + ": " + f.Fact)})
				found = true
				break
			}
		}
		if !found {
			rule(OffPolicy, 1, true, "", "")
		}
	}
	// model items
	if r.Anger != nil {
		var sum float64
		worst := agent[0]
		worstA := -1.0
		for _, m := range agent {
			a := r.Anger(m.Text)
			sum += a
			if a > worstA {
				worst, worstA = m, a
			}
		}
		items = append(items, Item{Name: Tone, Score: round2(1 - sum/float64(len(agent))), Applies: true, Source: "model", Evidence: quote(worst.Text), MessageID: worst.ID})
		if maxAnger >= UpsetAnger {
			items = append(items, Item{Name: Deescalation, Score: round2(math.Max(0, 1-lastShopperAnger/maxAnger)), Applies: true, Source: "model",
				Evidence: quote(upset.Text)})
		} else {
			items = append(items, Item{Name: Deescalation, Applies: false, Source: "model"})
		}
	}
	var num, den float64
	for _, it := range items {
		if it.Applies {
			num += w[it.Name] * it.Score
			den += w[it.Name]
		}
	}
	res := Result{Items: items}
	if den > 0 {
		res.Score = round2(100 * num / den)
	}
	for _, it := range items {
		if !it.Applies || it.Score != 0 {
			continue
		}
		switch {
		case slices.Contains(CriticalItems, it.Name):
			res.Score = math.Min(res.Score, CriticalCap)
		case slices.Contains(MajorItems, it.Name):
			res.Score = math.Min(res.Score, PassScore-1)
		}
	}
	res.Pass = res.Score >= PassScore
	return res
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }

// quote cuts evidence to 200 runes.
func quote(s string) string {
	r := []rune(s)
	if len(r) > 200 {
		return string(r[:200]) + "…"
	}
	return s
}

// Pair is one reviewed conversation: the automatic result and the
// reviewer's verdict (score 0–100 and per-item scores, where given).
type Pair struct {
	Auto       Result
	HumanScore float64
	HumanPass  bool
	HumanItems map[string]float64
}

// Agreement summarises automatic vs human QA.
type Agreement struct {
	N int `json:"n"`
	// PassAgreement is the share of conversations where both said pass or
	// both said fail; Kappa is Cohen's κ of that pass/fail agreement.
	PassAgreement float64 `json:"pass_agreement"`
	Kappa         float64 `json:"kappa"`
	// ScoreMAE is the mean absolute difference of the 0–100 scores.
	ScoreMAE float64 `json:"score_mae"`
	// Items is the per-item share of exact agreement where the reviewer
	// scored the item.
	Items map[string]ItemAgreement `json:"items"`
}

// ItemAgreement is one item's agreement.
type ItemAgreement struct {
	N     int     `json:"n"`
	Agree float64 `json:"agree"`
}

// Agree measures the agreement of pairs.
func Agree(pairs []Pair) Agreement {
	a := Agreement{N: len(pairs), Items: map[string]ItemAgreement{}}
	if len(pairs) == 0 {
		return a
	}
	var same, autoPass, humanPass, mae float64
	counts := map[string][2]int{}
	for _, p := range pairs {
		if p.Auto.Pass == p.HumanPass {
			same++
		}
		if p.Auto.Pass {
			autoPass++
		}
		if p.HumanPass {
			humanPass++
		}
		mae += math.Abs(p.Auto.Score - p.HumanScore)
		for _, it := range p.Auto.Items {
			h, ok := p.HumanItems[it.Name]
			if !ok || !it.Applies {
				continue
			}
			c := counts[it.Name]
			c[0]++
			if h == it.Score {
				c[1]++
			}
			counts[it.Name] = c
		}
	}
	n := float64(len(pairs))
	a.PassAgreement = same / n
	a.ScoreMAE = round2(mae / n)
	pe := (autoPass/n)*(humanPass/n) + (1-autoPass/n)*(1-humanPass/n)
	if pe < 1 {
		a.Kappa = round2((a.PassAgreement - pe) / (1 - pe))
	} else {
		a.Kappa = 1
	}
	names := make([]string, 0, len(counts))
	for k := range counts {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		c := counts[k]
		a.Items[k] = ItemAgreement{N: c[0], Agree: round2(float64(c[1]) / float64(c[0]))}
	}
	return a
}
