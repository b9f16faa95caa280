package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/kefu-io/kefu/plugins/pdk"
)

// orderWord is a word that names an order or a parcel, in the languages
// Kefu serves.
const orderWord = `(?:order|package|parcel|shipment|bestellung|bestellnummer|paket|sendung|commande|colis|pedido|paquete|encomenda|ordine|pacco|bestelling|pakket|订单号?|訂單(?:編號|號碼)?|快递单号|快递|快遞|包裹|单号|注文番号|注文|荷物|주문번호|주문|택배|заказ|посылк[аиу]|طلب)`

// idPattern is an order id: 4–24 letters, digits and dashes (at least 4
// digits, checked by digitCount).
const idPattern = `([A-Za-z0-9][A-Za-z0-9-]{2,22}[A-Za-z0-9])`

// orderQuestion finds an order id after an order word ("order 12345",
// "订单号 12345", "Bestellnummer: 12345"). Group 1 is the id.
var orderQuestion = regexp.MustCompile(`(?i)` + orderWord + `\s*(?:number|no\.?|nr\.?|n[°º]|num(?:ber|éro|ero)?|号码|号|#|:|：)?\s*#?\s*` + idPattern)

// idThenWord finds an id before an order word ("10023号订单", "10023的快递",
// "10023 주문") or after a '#' ("#10023").
var idThenWord = regexp.MustCompile(`(?i)` + idPattern + `\s*(?:号|號|的|번)?\s*(?:订单|訂單|快递|快遞|包裹|注文|주문|택배)|#\s*` + idPattern)

// bareID finds id-like tokens anywhere; one alone in a message the edge's
// model calls a tracking question is its order id ("has 10023 shipped?").
var bareID = regexp.MustCompile(`(?:^|[^A-Za-z0-9-])` + idPattern + `(?:$|[^A-Za-z0-9-])`)

// statusCue says the shopper asks where an order is, for envelopes without
// a confident intent (an edge without an intent model, an older host).
var statusCue = regexp.MustCompile(`(?i)where|status|track|when|arriv|deliver|ship|dispatch|到哪|到了吗|物流|发货|發貨|什么时候|進度|到貨|快递|wo ist|wann|status|liefer|versand|verschickt|sendungsverfolgung|où|quand|suivi|livr|expédi|dónde|cuándo|estado|llega|envío|enviaron|seguimiento|dove|dov'|quando|stato|spedit|tracciamento|cadê|onde|chega|rastreio|enviado|どこ|いつ|届|発送|配送|追跡|어디|언제|배송|발송|где|когда|статус|отправ|отслед|أين|متى`)

// otherCue says the message asks something else about the order: change,
// cancel, a problem with what arrived, money back, papers, the address.
// It wins over the intent model, which often reads "order 10023 arrived
// broken" as a tracking question.
var otherCue = regexp.MustCompile(`(?i)\b(?:chang|modif|edit|cancel|refund|money back|invoice|receipt|return|exchange|swap|broken|damaged|defect|faulty|cracked|missing|empty|wrong|charged|address|add (?:an?|one|another|a second) item|discount|complain|speak to|talk to)|` +
	`改|修改|更换|换货|换个|换一|取消|退款|退货|退钱|发票|專票|专票|收据|坏|破损|损坏|碎了|少发|少了|漏发|错发|发错|空的|地址|扣款|扣了|投诉|便宜|质量|` +
	`änder|storn|rückerstatt|erstatt|geld zurück|rechnung|quittung|zurück|rücksend|retour|umtausch|tausch|kaputt|beschädigt|defekt|fehlt|falsch|leer|adresse|doppelt|` +
	`annul|rembours|factur|échang|cass|endommag|abîm|défectu|manque|mauvais|vide|couleur|ajouter|` +
	`cambi|cancel|reembols|devol|devuelv|factura|recibo|rot[oa]\b|dañad|defectuos|falta un|vac[ií]o|equivocad|direcci|cobr|anular|` +
	`alter|mudar|estorno|nota fiscal|fatura|quebrad|danificad|defeit|faltando|vazi|errad|endereço|troc|` +
	`modific|annull|rimbors|restitu|\breso\b|fattura|ricevuta|rott[oa]|danneggi|difettos|manca|vuot|sbagliat|indirizzo|addebit|` +
	`変更|キャンセル|取り消|返金|返品|交換|領収書|請求書|壊れ|破損|不良|足りな|欠品|間違|住所|二重|` +
	`변경|취소|환불|반품|교환|영수증|파손|고장|누락|주소|` +
	`измен|отмен|возврат|верн|чек\b|счёт|счет|слома|поврежд|брак|не хватает|адрес|` +
	`annuleer|annuleren|retourner|kapot|beschadigd|ruil|terugbetal|factuur|adres`)

// trackingIntents are the intent labels of a tracking question once an
// order id is named ("when will order 10023 arrive" may read as
// shipping_time).
var trackingIntents = map[string]bool{"order_status": true, "shipping_time": true}

// defaultMinConfidence is the intent confidence from which the plugin
// trusts the edge's intent (config key min_confidence).
const defaultMinConfidence = 0.5

// findOrderID returns the order id the message names, and whether an order
// word or '#' marks it (else it is the message's only id-like token).
func findOrderID(text string) (id string, marked bool) {
	for _, re := range []*regexp.Regexp{orderQuestion, idThenWord} {
		for _, c := range re.FindAllStringSubmatch(text, -1) {
			for _, g := range c[1:] {
				if g != "" && digitCount(g) >= minIDDigits {
					return g, true
				}
			}
		}
	}
	var found string
	for _, c := range bareID.FindAllStringSubmatch(text, -1) {
		if digitCount(c[1]) >= minIDDigits {
			if found != "" {
				return "", false // two numbers: which one is the order?
			}
			found = c[1]
		}
	}
	return found, false
}

// extractOrderID returns the order id of a tracking question judged from
// its words alone (no intent), or "": an order word next to the id, and a
// status cue or nothing much else ("order 12345?").
func extractOrderID(text string) string {
	id, marked := findOrderID(text)
	if id == "" || !marked || otherCue.MatchString(text) {
		return ""
	}
	m := orderQuestion.FindString(text)
	if m == "" {
		m = id
	}
	rest := strings.Replace(text, m, "", 1)
	if !statusCue.MatchString(text) && len([]rune(strings.TrimSpace(rest))) > 6 {
		return "" // an order is named but the question is about something else
	}
	return id
}

// tracking decides whether env asks where order id is. It returns the
// order id to look up, or "" and why not (a decline's reason; "" when the
// message names no order at all). A reason holds nothing of the shopper's
// text, not even the order id: hosts log it.
func tracking(env *pdk.Envelope, minConfidence float64) (id, why string) {
	text := env.Message.Text
	if digitCount(text) < minIDDigits {
		// No order id can be in it: skip the patterns, which cost a Go
		// guest in wasm ~200 µs per message (most messages name no order).
		return "", ""
	}
	id, marked := findOrderID(text)
	if id == "" {
		return "", ""
	}
	if otherCue.MatchString(text) {
		return "", "asks something else about the order (change, cancel, a problem, money back, papers, address)"
	}
	intent, conf := env.Message.Intent, env.Message.IntentConfidence
	if conf >= minConfidence && intent != "" && intent != "oos" {
		if trackingIntents[intent] {
			return id, ""
		}
		return "", fmt.Sprintf("intent %s (%.2f), not tracking", intent, conf)
	}
	if !marked {
		return "", "a number without an order word or a confident tracking intent"
	}
	if extractOrderID(text) == "" {
		return "", "names an order without asking where it is"
	}
	return id, ""
}

// minIDDigits is how many ASCII digits an order id holds at least.
const minIDDigits = 4

// digitCount counts the ASCII digits of s.
func digitCount(s string) int {
	n := 0
	for _, c := range s {
		if c >= '0' && c <= '9' {
			n++
		}
	}
	return n
}

// Order is the order API's answer (README.md).
type Order struct {
	ID          string `json:"id"`
	Status      string `json:"status"`
	Carrier     string `json:"carrier"`
	Tracking    string `json:"tracking"`
	TrackingURL string `json:"tracking_url"`
	ETA         string `json:"eta"`
	LastEvent   string `json:"last_event"`
	// The second factors (README.md "Who gets an answer"): the e-mail and
	// delivery postcode on the order, and the merchant's customer id.
	Email    string `json:"email"`
	Postcode string `json:"postcode"`
	Customer string `json:"customer"`
}

// labelVerifiedCustomer is the envelope label with the merchant's verified
// customer id (the edge sets it after the merchant's identity
// verification; a shopper cannot: the edge drops client copies).
const labelVerifiedCustomer = "verified_customer"

// verified reports whether the shopper proved they may see order o: the
// merchant verified them as the order's customer, or the message (without
// the order id) holds the order's delivery postcode or e-mail address.
func verified(env *pdk.Envelope, o Order, id string) bool {
	if c := env.Label(labelVerifiedCustomer); c != "" && o.Customer != "" && c == o.Customer {
		return true
	}
	rest := strings.Replace(env.Message.Text, id, " ", 1)
	if o.Email != "" && strings.Contains(strings.ToLower(rest), strings.ToLower(strings.TrimSpace(o.Email))) {
		return true
	}
	if pc := compact(o.Postcode); len(pc) >= 3 {
		for _, f := range strings.FieldsFunc(rest, func(r rune) bool {
			return !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == ' ' || r == '-')
		}) {
			if strings.Contains(" "+compactSpaced(f)+" ", " "+pc+" ") || compact(f) == pc {
				return true
			}
		}
	}
	return false
}

// compact upper-cases s and drops spaces and dashes ("sw1a 1aa" → "SW1A1AA").
func compact(s string) string {
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' {
			return -1
		}
		return r
	}, strings.ToUpper(strings.TrimSpace(s)))
}

// compactSpaced upper-cases s, keeps single spaces between words and joins
// postcode halves ("sw1a 1aa" stays findable as "SW1A1AA" via compact).
func compactSpaced(s string) string {
	words := strings.Fields(strings.ToUpper(strings.ReplaceAll(s, "-", "")))
	out := make([]string, 0, len(words)*2)
	for i, w := range words {
		out = append(out, w)
		if i+1 < len(words) {
			out = append(out, w+words[i+1])
		}
	}
	return strings.Join(out, " ")
}

var errLookup = errors.New("order-status: lookup failed")
var errNotFound = errors.New("order-status: no such order")

// lookup asks the merchant's API for order id.
func lookup(get func(string) (string, bool), do func(pdk.Request) (pdk.Response, error), tenant, id string) (Order, error) {
	api, ok := get("api")
	if !ok || api == "" {
		return Order{}, fmt.Errorf("%w: no api configured", errLookup)
	}
	req := pdk.Request{Method: "GET", URL: strings.TrimRight(api, "/") + "/" + url.PathEscape(id),
		Headers: map[string]string{"accept": "application/json", "x-kefu-tenant": tenant}}
	if tok, ok := get("token"); ok && tok != "" {
		req.Headers["authorization"] = "Bearer " + tok
	}
	resp, err := do(req)
	if err != nil {
		return Order{}, fmt.Errorf("%w: %w", errLookup, err)
	}
	switch {
	case resp.Status == 404:
		return Order{}, errNotFound
	case resp.Status != 200:
		return Order{}, fmt.Errorf("%w: status %d", errLookup, resp.Status)
	}
	var o Order
	if err := json.Unmarshal([]byte(resp.Body), &o); err != nil {
		return Order{}, fmt.Errorf("%w: decoding: %w", errLookup, err)
	}
	if _, ok := statusText["en"][o.Status]; !ok {
		return Order{}, fmt.Errorf("%w: unknown status %q", errLookup, o.Status)
	}
	return o, nil
}

func inbound(env *pdk.Envelope, get func(string) (string, bool), do func(pdk.Request) (pdk.Response, error)) pdk.Result {
	minConf := defaultMinConfidence
	if v, ok := get("min_confidence"); ok && v != "" {
		if f, err := strconv.ParseFloat(v, 64); err == nil && f >= 0 && f <= 1 {
			minConf = f
		}
	}
	id, why := tracking(env, minConf)
	if id == "" {
		if why == "" {
			return pdk.Pass()
		}
		return pdk.Decline(why)
	}
	lang := language(env)
	o, err := lookup(get, do, env.Tenant, id)
	switch {
	case errors.Is(err, errNotFound) || err == nil && !verified(env, o, id):
		// The same answer for "no such order" and "not proven yours": an
		// order number alone tells nothing, not even that it exists.
		return pdk.Answer(fmt.Sprintf(verifyText[lang], id)).WithLabel("order_id", id).WithLabel("order_status", "verify")
	case err != nil:
		pdk.Logf(pdk.LevelWarn, "%v", err)
		return pdk.Pass().WithLabel("order_lookup", "error").WithLabel("order_id", id)
	}
	return pdk.Answer(render(lang, o)).WithLabel("order_id", id).WithLabel("order_status", o.Status)
}

// language picks the answer language: the message's lang if we have
// texts for it, else a guess from the script, else English.
func language(env *pdk.Envelope) string {
	l := strings.ToLower(env.Message.Lang)
	if i := strings.IndexAny(l, "-_"); i > 0 {
		l = l[:i]
	}
	if _, ok := statusText[l]; ok {
		return l
	}
	for _, r := range env.Message.Text {
		if r >= 0x4E00 && r <= 0x9FFF {
			return "zh"
		}
	}
	low := strings.ToLower(env.Message.Text)
	switch {
	case strings.Contains(low, "bestell"):
		return "de"
	case strings.Contains(low, "commande"):
		return "fr"
	case strings.Contains(low, "pedido"):
		return "es"
	}
	return "en"
}

func render(lang string, o Order) string {
	var b strings.Builder
	fmt.Fprintf(&b, orderText[lang], o.ID, statusText[lang][o.Status])
	if o.Carrier != "" || o.Tracking != "" {
		fmt.Fprintf(&b, carrierText[lang], strings.TrimSpace(o.Carrier+" "+o.Tracking))
	}
	if o.ETA != "" && o.Status != "delivered" && o.Status != "cancelled" && o.Status != "returned" {
		fmt.Fprintf(&b, etaText[lang], o.ETA)
	}
	if o.LastEvent != "" {
		fmt.Fprintf(&b, lastText[lang], o.LastEvent)
	}
	if o.TrackingURL != "" {
		b.WriteString(" " + o.TrackingURL)
	}
	return b.String()
}

var (
	orderText   = map[string]string{"en": "Order %s: %s.", "zh": "订单 %s：%s。", "de": "Bestellung %s: %s.", "fr": "Commande %s : %s.", "es": "Pedido %s: %s."}
	carrierText = map[string]string{"en": " Carrier: %s.", "zh": "承运：%s。", "de": " Versand: %s.", "fr": " Transporteur : %s.", "es": " Transportista: %s."}
	etaText     = map[string]string{"en": " Expected on %s.", "zh": "预计 %s 送达。", "de": " Voraussichtlich am %s.", "fr": " Livraison prévue le %s.", "es": " Llegada prevista el %s."}
	lastText    = map[string]string{"en": " Latest: %s.", "zh": "最新：%s。", "de": " Zuletzt: %s.", "fr": " Dernier suivi : %s.", "es": " Último evento: %s."}
	verifyText  = map[string]string{
		"en": "To show order %s, I need the delivery postcode or the e-mail address on the order: please send them together with the order number.",
		"zh": "为保护您的订单信息，请在同一条消息中发送订单号 %s 以及收货邮编或下单邮箱。",
		"de": "Um Bestellung %s anzuzeigen, brauche ich die Postleitzahl der Lieferadresse oder die E-Mail-Adresse der Bestellung – bitte zusammen mit der Bestellnummer senden.",
		"fr": "Pour afficher la commande %s, il me faut le code postal de livraison ou l'adresse e-mail de la commande : envoyez-les avec le numéro de commande.",
		"es": "Para mostrar el pedido %s necesito el código postal de entrega o el correo del pedido: envíalos junto con el número de pedido.",
	}
	statusText = map[string]map[string]string{
		"en": {"pending": "awaiting payment", "paid": "paid, being prepared", "processing": "being prepared", "shipped": "shipped", "in_transit": "on its way", "out_for_delivery": "out for delivery today", "delivered": "delivered", "cancelled": "cancelled", "returned": "returned"},
		"zh": {"pending": "待付款", "paid": "已付款，正在备货", "processing": "正在备货", "shipped": "已发货", "in_transit": "运输中", "out_for_delivery": "正在派送", "delivered": "已签收", "cancelled": "已取消", "returned": "已退货"},
		"de": {"pending": "wartet auf Zahlung", "paid": "bezahlt, wird vorbereitet", "processing": "wird vorbereitet", "shipped": "versandt", "in_transit": "unterwegs", "out_for_delivery": "heute in Zustellung", "delivered": "zugestellt", "cancelled": "storniert", "returned": "zurückgesandt"},
		"fr": {"pending": "en attente de paiement", "paid": "payée, en préparation", "processing": "en préparation", "shipped": "expédiée", "in_transit": "en cours d'acheminement", "out_for_delivery": "en cours de livraison", "delivered": "livrée", "cancelled": "annulée", "returned": "retournée"},
		"es": {"pending": "pendiente de pago", "paid": "pagado, en preparación", "processing": "en preparación", "shipped": "enviado", "in_transit": "en camino", "out_for_delivery": "en reparto hoy", "delivered": "entregado", "cancelled": "cancelado", "returned": "devuelto"},
	}
)
