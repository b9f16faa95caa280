package pii

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/kefu-io/kefu/plugins/phrase"
)

// cue is what a context word says about the number after it.
type cue int

const (
	cueNone     cue = iota
	cuePhone        // a phone number follows
	cueOrder        // an order, parcel, invoice, product, coupon or amount follows: not PII
	cueCard         // a payment card number follows
	cueID           // an identity document number follows
	cuePassport     // a passport number follows
)

// keyword is one context word. Latin-script words match at the start of a
// word; whole words (written with a leading "=") must also end there.
// CJK, Hangul, Arabic words match anywhere.
type keyword struct {
	word  string
	whole bool
	cue   cue
}

// keywords are lower-case context words in the languages Kefu serves.
var keywords = buildKeywords(map[cue][]string{
	cuePhone: {
		// en
		"phone", "=tel", "=tel.", "telephone", "mobile", "=cell", "cellphone", "=call", "=ring", "=text me", "whatsapp", "=contact", "=reach me", "=landline", "=fax",
		"=my number",
		// zh
		"电话", "手机", "手機", "电話", "電話", "联系", "聯繫", "聯絡", "致电", "打我", "回电", "號碼是", "号码是", "号码:", "号码：", "微信", "座机", "座機", "固话", "热线",
		// "打" (dial) and the people who call a shopper: a courier (快递员)
		// is not a parcel (快递), so these end the order cue of 快递/物流
		"打", "拨", "撥", "快递员", "快遞員", "快递小哥", "外卖员", "外賣員", "外送员", "外送員", "配送员", "配送員", "送货员", "送貨員", "骑手", "騎手", "司机", "司機", "师傅", "師傅",
		// de
		"telefon", "handy", "=mobil", "mobilnummer", "rufnummer", "anruf", "erreichbar", "=ruf", "=rufen", "=natel", "festnetz",
		// fr
		"téléphone", "=tél", "=tél.", "portable", "=appeler", "=appelez", "joindre", "=mon numéro", "=numéro de tel", "=mobile",
		// es
		"teléfono", "=telf", "=tlf", "móvil", "celular", "=llamar", "=llámame", "=llamen", "=mi número", "=número de contacto",
		// it
		"telefono", "cellulare", "=cell.", "=chiamare", "=chiamatemi", "=il mio numero", "=numero di telefono",
		// pt
		"telefone", "=ligar", "=liga", "=ligue", "=zap", "=meu número", "=meu numero", "=contato",
		// ja, ko, ru, ar, others
		"電話", "携帯", "けいたい", "連絡", "전화", "핸드폰", "휴대폰", "연락처", "연락", "번호는",
		"телефон", "=тел", "=тел.", "мобильн", "позвон", "звони", "звонит", "=номер:", "моб.", "هاتف", "جوال", "موبايل", "اتصل", "رقمي", "رقم الهاتف", "واتساب",
		"=telefoon", "=telefonu", "=điện thoại", "=sđt", "โทร", "เบอร์",
		// nl, pl, tr, id/ms, sv, el, cs, hi, fil
		"mobiel", "=bel", "=gsm", "=numer", "=mój numer", "=no hp", "=hp", "=nomor", "=nombor", "telepon", "=ring", "=mobilnummer",
		"κινητό", "τηλέφωνο", "=číslo", "मोबाइल", "फ़ोन", "फोन", "=cp",
	},
	cueOrder: {
		// en
		"order", "=ord", "=ord.", "=#", "invoice", "tracking", "=track", "shipment", "parcel", "package", "=sku", "=item", "=article", "=product", "=model",
		"coupon", "voucher", "promo", "=code", "=ref", "=ref.", "reference", "ticket", "=case", "=amount", "=price", "=total", "=refund of", "=rma", "receipt", "waybill", "=awb", "=serial", "=s/n", "=imei", "=batch", "=lot", "=ean", "=jan", "=upc", "=gtin", "=isbn", "barcode", "コード", "바코드", "条码", "條碼", "=código de barras",
		// carriers: the number after one is a parcel's
		"colissimo", "chronopost", "=dhl", "=ups", "fedex", "=usps", "=gls", "=dpd", "=seur", "=mrw", "=ctt", "=brt", "inpost", "postnl", "aramex", "=evri", "royal mail", "=cdek", "сдэк", "estafeta", "andreani", "delhivery", "顺丰", "順豐", "中通", "圆通", "申通", "韵达", "ヤマト", "佐川",
		"=usd", "=eur", "=gbp", "=rmb", "=cny", "=jpy", "$", "€", "£", "¥", "￥", "₩", "₽", "r$",
		// zh
		"订单", "訂單", "单号", "單號", "运单", "運單", "快递", "快遞", "物流", "货号", "貨號", "商品", "编号", "編號", "优惠券", "優惠券", "优惠码", "券码", "兑换码", "金额", "金額", "价格", "價格", "发票", "發票", "工单", "序列号", "型号", "型號", "批号", "取件码", "取件碼", "提货码", "提貨碼", "验证码", "驗證碼", "核销码", "取货码",
		// de
		"bestell", "auftrag", "sendung", "paket", "=artikel", "rechnung", "gutschein", "rabattcode", "=betrag", "=preis", "kundennummer", "vorgang",
		// fr
		"commande", "=colis", "=suivi", "facture", "=article", "référence", "=réf", "=réf.", "=montant", "=prix", "=bon",
		// es
		"pedido", "=envío", "=envio", "seguimiento", "factura", "artículo", "cupón", "=cupon", "=importe", "=precio", "=ref.", "=núm. de pedido", "=compra", "=boleta", "=ticket",
		// it
		"ordine", "spedizione", "fattura", "=articolo", "=codice", "=importo", "=prezzo", "buono",
		// pt
		"encomenda", "rastreio", "rastreamento", "=nota fiscal", "cupom", "=valor", "=preço", "=código",
		// ja, ko, ru, ar
		"注文", "追跡", "伝票", "お問い合わせ番号", "品番", "クーポン", "金額",
		"주문", "송장", "운송장", "쿠폰", "상품",
		"заказ", "=трек", "посылк", "отправлени", "накладн", "купон", "артикул", "=сумма", "счёт", "счет",
		"sipariş", "đơn hàng", "mã đơn", "zamówieni", "bestelling", "bestelnummer",
		"会员", "會員", "会員", "=member", "retoure", "rücksende", "=return label", "=return slip", "=account", "=acct", "账号", "帳號", "账户", "kundennr", "mitgliedsnummer", "=customer no", "=customer id", "=user id",
		"طلب", "الطلب", "تتبع", "الشحنة", "فاتورة", "كوبون", "=sar", "=aed",
	},
	cueCard: {
		"=card", "credit card", "debit card", "=visa", "mastercard", "=amex", "卡号", "卡號", "银行卡", "銀行卡", "信用卡", "储蓄卡", "借记卡", "这张卡", "這張卡", "卡:", "卡：",
		"karte", "kreditkarte", "=carte", "carte bancaire", "tarjeta", "=carta", "cartão", "cartao", "カード", "카드", "карт", "بطاقة",
	},
	cueID: {
		"身份证", "身份證", "证件号", "證件號", "身分證", "=id number", "=id card", "=id no", "=id:", "=national id", "=dni", "=nie", "=cpf", "=rg", "주민등록", "주민번호", "マイナンバー", "個人番号",
		"personalausweis", "ausweisnummer", "carte d'identité", "=cni", "=documento", "=codice fiscale", "=identidade", "удостоверени", "=снилс", "=инн", "الهوية", "=ssn", "social security",
	},
	cuePassport: {
		"passport", "护照", "護照", "reisepass", "=pass-nr", "=passnummer", "passeport", "pasaporte", "passaporto", "passaporte", "パスポート", "旅券", "여권", "паспорт", "جواز",
	},
})

func buildKeywords(m map[cue][]string) []keyword {
	var ks []keyword
	for c, words := range m {
		for _, w := range words {
			whole := strings.HasPrefix(w, "=")
			ks = append(ks, keyword{word: strings.TrimPrefix(w, "="), whole: whole, cue: c})
		}
	}
	return ks
}

// keywordsByByte lists, for each first byte, the keywords starting with it,
// so that cueBefore walks its window once instead of searching it for every
// keyword (strings.Index has no vector code under GOOS=wasip1, where this
// package runs inside the pii-redact and gdpr-residency plugins).
var keywordsByByte = func() (idx [256][]keyword) {
	for _, k := range keywords {
		if k.word != "" {
			idx[k.word[0]] = append(idx[k.word[0]], k)
		}
	}
	return idx
}()

// passportByByte lists, for each first byte, the passport keywords
// starting with it (mayCue).
var passportByByte = func() (idx [256][]string) {
	for _, k := range keywords {
		if k.cue == cuePassport && k.word != "" {
			idx[k.word[0]] = append(idx[k.word[0]], k.word)
		}
	}
	return idx
}()

// mayCue reports whether a context word of cue c (cuePassport only) occurs
// anywhere in text, lower-cased, word boundaries aside. When it does not,
// cueBefore cannot return c for any position of text: its windows are
// runs of whole runes of text, lower-cased rune by rune, so every keyword
// it matches is a substring of the lower-cased text.
func mayCue(text string, c cue) bool {
	if c != cuePassport {
		return true
	}
	var buf [512]byte
	low := phrase.AppendLower(buf[:0], text)
	for i := range low {
		for _, w := range passportByByte[low[i]] {
			if len(w) <= len(low)-i && string(low[i:i+len(w)]) == w {
				return true
			}
		}
	}
	return false
}

// isWordRune reports whether r belongs to a Latin/Cyrillic/Greek word, where
// keyword boundaries matter.
func isWordRune(r rune) bool {
	return r < 0x2E80 && (unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_')
}

// contextWindow is how many bytes before a candidate are searched for cues.
const contextWindow = 60

// cueBefore returns the cue of the context word nearest to (ending closest
// before) text[at], looking no further back than floor, and how far from at
// the word ends, in bytes.
func cueBefore(text string, at, floor int) (cue, int) {
	lo := max(at-contextWindow, floor, 0)
	for lo < at && !utf8.RuneStart(text[lo]) {
		lo++
	}
	if lo >= at {
		return cueNone, 0
	}
	// lower-cased into a stack buffer (phrase.AppendLower: the bytes of
	// strings.ToLower, without its allocation on every candidate number)
	var buf [4 * contextWindow]byte
	win := phrase.AppendLower(buf[:0], text[lo:at])
	best, bestEnd := cueNone, -1
	// Every occurrence of every keyword is a candidate; the nearest end
	// wins, ties go to the higher cue, so the order of the walk is free.
	for i := 0; i < len(win); i++ {
		if c := win[i]; i > 0 && isASCIIWord(c) && isASCIIWord(win[i-1]) {
			continue // inside a word: keywords starting with c need a boundary here
		}
		for _, k := range keywordsByByte[win[i]] {
			if len(k.word) > len(win)-i || len(k.word) > 1 && win[i+1] != k.word[1] || string(win[i:i+len(k.word)]) != k.word {
				continue
			}
			end := i + len(k.word)
			if isWordRune(firstRune(k.word)) {
				if r, _ := utf8.DecodeLastRune(win[:i]); i > 0 && isWordRune(r) {
					continue
				}
				if k.whole && end < len(win) {
					if r, _ := utf8.DecodeRune(win[end:]); isWordRune(r) && isWordRune(lastRune(k.word)) {
						continue
					}
				}
			}
			if inEmail(win, i, end) {
				continue // "orders@…", "tel.support@…": a word inside an e-mail address is no cue
			}
			if end > bestEnd || end == bestEnd && k.cue > best {
				best, bestEnd = k.cue, end
			}
		}
	}
	if best == cueNone {
		return cueNone, 0
	}
	return best, len(win) - bestEnd
}

// inEmail reports whether win[i:end] lies in a run of e-mail characters
// (ASCII letters, digits, ".", "_", "%", "+", "-") that holds an "@": an
// e-mail address.
func inEmail(win []byte, i, end int) bool {
	for k := i - 1; k >= 0 && emailByte(win[k]); k-- {
		if win[k] == '@' {
			return true
		}
	}
	for k := end; k < len(win) && emailByte(win[k]); k++ {
		if win[k] == '@' {
			return true
		}
	}
	return false
}

func emailByte(c byte) bool {
	return isASCIIWord(c) || c == '@' || c == '.' || c == '%' || c == '+' || c == '-'
}

// isASCIIWord reports whether c is an ASCII letter, digit or '_' (a word
// rune, see isWordRune).
func isASCIIWord(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

func firstRune(s string) rune { r, _ := utf8.DecodeRuneInString(s); return r }
func lastRune(s string) rune  { r, _ := utf8.DecodeLastRuneInString(s); return r }
