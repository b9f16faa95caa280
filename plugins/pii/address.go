package pii

import (
	"regexp"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// An address span is the street line: house number and street name (and a
// flat/unit written with it), or for Chinese, Japanese and Korean the chain
// of administrative areas down to the house number and room. Postal codes
// and city names on their own are not masked: they identify no one.

// streetGrammar is a street-line pattern for one language.
type streetGrammar struct {
	lang string
	re   *regexp.Regexp
	// sub, when set, makes the span the regexp's first group, not the
	// whole match (the rest of the match is context that must follow).
	sub bool
}

const (
	upWord = `\p{Lu}[\p{L}'’.-]*` // a capitalised word
	unitEN = `(?:,?\s*(?:Apt|Apartment|Suite|Ste|Unit|Flat|Fl|Floor|#)\.?\s*[A-Za-z0-9-]{1,6}\b)?`
	numEN  = `\b\d{1,5}[A-Za-z]?(?:-\d{1,4})?`
	// a German house number's flat (12/3) and floor (", 2. OG")
	unitDE = `(?:/\d{1,4}[a-z]?)?(?:,?\s*\d{1,2}\.\s?(?:OG|Obergeschoss|Stock|Etage))?`
	// an English street name word: capitalised, or an ordinal (5th, 42nd)
	nameEN = `(?:` + upWord + `|\d{1,3}(?:st|nd|rd|th))`
	dirEN  = `(?:(?:N|S|E|W|NE|NW|SE|SW|North|South|East|West)\.?\s+)?`
	// an Arabic unit: building, tower, villa, flat, floor, house, "No."
	unitAR = `(?:(?:عمارة|مبنى|برج|شقة|فيلا|فيلة|الطابق|الدور|طابق|دور|منزل|بيت|بناية|مجمع|بلوك)(?:\s+رقم)?\s*(?:\d{1,5}|\p{Arabic}+)|رقم\s*\d{1,5})`
	// an Arabic street: street word and its name, maybe a number before or after
	streetAR = `(?:\d{1,5}\s*[،,]?\s*)?(?:شارع|طريق|جادة|ميدان|زنقة|نهج|درب|ممر|حي|زقاق)\s+(?:(?:\p{Arabic}+\s+){0,4}\p{Arabic}+(?:\s*\d{1,5})?|\d{1,5})`
	typesEN  = `(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|Terrace|Close|Crescent|Highway|Hwy|Parkway|Pkwy|Square|Sq|Mews|Gardens|Grove|Circle|Cir)`
)

var (
	grammarsOnce sync.Once
	grammars     []streetGrammar
	zhCore       *regexp.Regexp
	zhTail       *regexp.Regexp
)

func loadGrammars() {
	g := func(lang, expr string) streetGrammar { return streetGrammar{lang: lang, re: regexp.MustCompile(expr)} }
	gs := func(lang, expr string) streetGrammar {
		return streetGrammar{lang: lang, re: regexp.MustCompile(expr), sub: true}
	}
	grammars = []streetGrammar{
		// 221B Baker Street, 1600 Pennsylvania Ave NW, Apt 4B
		g("en", `(?:(?:Flat|Apt|Apartment|Unit|Level|Floor|Suite|Ste)\.?\s+#?[A-Za-z0-9-]{1,5},?\s+)?`+numEN+`,?\s+`+dirEN+`(?:`+nameEN+`\s+){0,3}`+nameEN+`\s+(?i:`+typesEN+`)\b\.?(?:\s+(?:NW|NE|SW|SE|N|S|E|W)\b)?`+unitEN),
		// Hauptstraße 5, Berliner Str. 12a, Kaiser-Wilhelm-Ring 3, Am Alten Markt 4
		g("de", `\b(?:`+upWord+`\s+){0,2}\p{Lu}[\p{L}-]*(?i:straße|strasse|str\.|weg|platz|allee|gasse|ring|damm|ufer|chaussee|steig|pfad|markt)\s+\d{1,4}\s?[a-z]?\b`+unitDE),
		g("de", `\b(?:`+upWord+`\s+){1,2}(?:Straße|Strasse|Str\.|Weg|Platz|Allee|Gasse|Ring|Damm|Ufer|Markt)\s+\d{1,4}\s?[a-z]?\b`+unitDE),
		// Unter den Linden 77, Am Markt 4, An der Alster 12, 2. OG, Im Tal 5
		g("de", `\b(?:Am|An der|An den|Auf der|Auf dem|Im|In der|In den|Unter den|Zum|Zur|Hinter der|Hinter dem|Vor dem|Beim|Alte[rs]?)\s+(?:`+upWord+`\s+){0,2}\p{Lu}[\p{L}-]+\s+\d{1,4}\s?[a-z]?\b`+unitDE),
		// 12 rue de la Paix, 3 bis avenue des Champs-Élysées
		g("fr", `\b\d{1,4}(?:\s?(?:bis|ter|[A-D])\b)?,?\s+(?i:rue|avenue|av\.|boulevard|bd|place|allée|allee|chemin|impasse|quai|route|cours|square|passage)\s+(?:(?:de la|de l'|de l’|des|du|de|d'|d’|la|le|les|l'|l’)\s*)?\p{Lu}[\p{L}'’-]*(?:\s+(?:(?:de la|des|du|de|d'|d’|l'|l’)\s*)?\p{Lu}[\p{L}'’-]*){0,3}`),
		// Calle Mayor 12, 3º B; C/ de Alcalá, 45; Avda. de la Constitución nº 7
		g("es", `(?i:calle|c/|avenida|avda\.|av\.|paseo|plaza|pza\.|camino|carrer|ronda|travesía|glorieta|carretera)\s*(?:(?:de la|de los|de las|del|de)\s+)?\p{Lu}[\p{L}.-]*(?:\s+(?:(?:de la|de los|del|de|y)\s+)?\p{Lu}[\p{L}.-]*){0,3},?\s*(?:n[º°o]\.?\s*|núm\.\s*)?\d{1,4}(?:,?\s*\d{1,2}\s?[º°ª]\s?[A-Z]?\b)?`),
		// Colombia and neighbours: Calle 85 # 11-53, Cra. 43A No. 1 Sur-50, apto 1102
		g("es", `(?i:avenida calle|avenida carrera|calle|cl\.|cll\.?|carrera|cra\.?|kr\.?|cr\.|transversal|tv\.?|diagonal|dg\.?|avenida|av\.|ak|ac)\s*\d{1,3}\s?[A-Za-z]?(?:\s?bis)?(?:\s?(?i:sur|norte|este|oeste))?\s*(?:#|(?i:n[º°o]\.?|núm\.?|numero|número))\s*\d{1,3}\s?[A-Za-z]?(?:\s?(?i:bis|sur|norte|este))?\s*[-–]\s*\d{1,3}(?:\s?(?i:sur|este))?(?:,?\s*(?i:apto\.?|apt\.?|apartamento|oficina|of\.|int\.?|interior|casa|torre|bloque|piso|local)\s*\d{1,5}[A-Za-z]?)*`),
		// Via Roma 12, Piazza Garibaldi, 5
		g("it", `(?i:via|viale|piazza|corso|largo|vicolo|piazzale|strada|lungarno|lungomare|lungotevere|lungolago|borgo|contrada|salita|traversa|calle|campo|fondamenta|rione)\s+(?:(?:dei|degli|del|della|delle|di|san|santa)\s+)?\p{Lu}[\p{L}'’.-]*(?:\s+(?:(?:dei|del|della|di)\s+)?\p{Lu}[\p{L}'’.-]*){0,3},?\s*(?:n\.\s*)?\d{1,4}\s?[a-zA-Z]?\b`),
		// Rua Augusta, 1500, apto 52; Av. Paulista, 1000
		g("pt", `(?i:rua|avenida|av\.|travessa|alameda|praça|estrada|rodovia)\s+(?:(?:da|do|das|dos|de)\s+)?\p{Lu}[\p{L}.-]*(?:\s+(?:(?:da|do|das|dos|de|e)\s+)?\p{Lu}[\p{L}.-]*){0,4},?\s*(?:n[º°]\s*)?\d{1,5}(?:,?\s*(?:apto|apt\.|ap\.|casa|bloco|sala)\.?\s*\d{1,4}[A-Z]?)?`),
		// ул. Ленина, д. 5, кв. 12
		// проспект Мира, 12, кв. 40; Садовая ул., д. 3; на Ленинском проспекте, 45
		g("ru", `(?:(?i:ул\.|улиц[аеыу]|пр\.|пр-т|проспект[еау]?|пер\.|переул(?:ок|ке|ка)|наб\.|набережн(?:ая|ой)|бульвар[еау]?|б-р|шоссе|мкр\.|мкр|микрорайон[еау]?|мкрн\.?|пл\.|площадь|площади|проезд[еау]?|тупик[еау]?)\s*(?:(?i:реки|канала|им\.|имени|острова)\s+)?\p{Lu}[\p{L}.-]*(?:\s+\p{Lu}[\p{L}.-]*)?|\p{Lu}[\p{L}-]*(?:\s+\p{Lu}[\p{L}-]*)?\s+(?i:ул\.|улиц[аеыу]|пр\.|пр-т|проспект[еау]?|пер\.|переул(?:ок|ке|ка)|наб\.|набережн(?:ая|ой)|бульвар[еау]?|б-р|шоссе|мкр\.|мкр|микрорайон[еау]?|мкрн\.?|пл\.|площадь|площади|проезд[еау]?|тупик[еау]?))\s*,?\s*(?:(?i:д\.|дом)\s*)?\d{1,4}[а-яА-Я]?(?:,?\s*(?i:корп\.|к\.|стр\.)\s*\d{1,3})?(?:,?\s*(?i:кв\.|квартира)\s*\d{1,4})?`),
		g("ru", `(?i:ул\.|улица|пр\.|пр-т|проспект|пер\.|переулок|наб\.|набережная|бульвар|б-р|шоссе)\s*\p{Lu}[\p{L}.-]*(?:\s+\p{Lu}[\p{L}.-]*)?,?\s*(?i:д\.|дом)\s*\d{1,4}[а-яА-Я]?(?:,?\s*(?i:корп\.|к\.|стр\.)\s*\d{1,3})?(?:,?\s*(?i:кв\.|квартира)\s*\d{1,4})?`),
		// 東京都渋谷区神南1-2-3, 大阪市北区梅田3丁目1番1号
		g("ja", `(?:\p{Han}{1,3}[都道府県])?[\p{Han}\p{Hiragana}]{1,5}[市区町村郡](?:\p{Han}{1,4}[区町村])?[\p{Han}\p{Katakana}\p{Hiragana}ー]{1,8}?(?:\d{1,4}|[一二三四五六七八九十]{1,3})(?:丁目|[-−－])\d{1,4}(?:番地?|[-−－])\d{1,4}(?:号)?(?:\s?[\p{Katakana}\p{Han}ー]{1,12}\d{1,4}(?:号室)?)?`),
		// 京都市下京区…東塩小路町721番地, 札幌市中央区北1条西2丁目, 博多区博多駅中央街1番1号
		g("ja", `(?:\p{Han}{1,3}[都道府県])?[\p{Han}\p{Hiragana}]{1,5}[市区町村郡](?:\p{Han}{1,4}[区町村])?[\p{Han}\p{Katakana}\p{Hiragana}ー0-9]{1,16}?(?:\d{1,4}|[一二三四五六七八九十]{1,3})(?:番地|丁目(?:\d{1,4}番(?:地)?(?:\d{1,4}号?)?)?|番\d{1,4}号)(?:\s?[\p{Katakana}\p{Han}ー]{1,12}\d{1,4}(?:号室)?)?`),
		// 서울특별시 강남구 테헤란로 123, 부산 해운대구 해운대로 570번길 12
		g("ko", `(?:[가-힣]{2,8}(?:특별시|광역시|시|도)\s)?(?:[가-힣]{1,6}(?:구|군)\s)?[가-힣0-9]{1,10}(?:로|길)\s?\d{1,4}(?:번길\s?\d{1,4})?(?:-\d{1,4})?(?:,?\s?\d{1,4}(?:동|호)(?:\s?\d{1,5}호)?)?`),
		// lot-number (지번) addresses: 서울특별시 서초구 서초동 1303-22, 고양시 일산동구 장항동 868
		g("ko", `[가-힣]{1,8}(?:특별시|광역시|특별자치시|특별자치도|시|도)\s[가-힣]{1,6}(?:시|구|군)\s(?:[가-힣]{1,6}(?:구|군)\s)?[가-힣0-9]{1,8}(?:동|읍|면|리|가)\s?\d{1,5}(?:-\d{1,4})?(?:번지)?`),
		// فيلا 23، شارع 17، حي الروضة; 15 شارع جامعة الدول العربية; شارع العليا، مبنى 12، الدور 3
		g("ar", `(?:`+unitAR+`\s*[،,]\s*){0,3}`+streetAR+`(?:\s*[،,]?\s*(?:`+unitAR+`|(?:شارع|طريق|حي)\s+\p{Arabic}+(?:\s+\d{1,5})?))*`),
		// شارع العليا 4521، عمارة 3، شقة 12; طريق الملك عبدالعزيز 88
		g("ar", `(?:شارع|طريق|جادة|ميدان|حي|زقاق)\s+(?:\p{Arabic}+\s+){0,4}?\p{Arabic}+\s*\d{1,5}(?:\s*[،,]?\s*(?:عمارة|مبنى|برج|شقة|فيلا|الطابق|الدور|طابق|رقم)\s*(?:\d{1,5}|\p{Arabic}+))*`),
		// Dutch and Flemish: Prinsengracht 263, Kerkstraat 12A, Coolsingel 40-3, Laan van Meerdervoort 55
		g("nl", `\b(?:\p{Lu}[\p{L}'-]*\s+){0,2}\p{Lu}[\p{L}-]*(?:straat|laan|weg|gracht|plein|kade|singel|dijk|steeg|dreef|pad|markt|wal|hof|plantsoen|baan|burgwal|haven|vest|lei|veld|dam|park)\s+\d{1,5}(?:\s?[A-Za-z]\b|-\d{1,4}[A-Za-z]?|\s?(?:bis|hs|huis|I{1,3})\b)?`),
		g("nl", `\b(?:Laan|Weg|Plein|Kade|Straat|Singel|Dijk|Burgemeester|Koningin|Prins|Prinses|Van)\s+(?:(?:van|der|de|den|het|op|aan|naar|in|'t)\s+)*\p{Lu}[\p{L}-]*(?:\s+\p{Lu}[\p{L}-]*)?(?:straat|laan|weg|plein|kade)?\s+\d{1,5}(?:\s?[A-Za-z]\b|-\d{1,4}[A-Za-z]?|\s?(?:bis|hs)\b)?`),
		// Turkish: İstiklal Caddesi No: 55 Kat: 3, Çiçek Sokak No:12/4, Atatürk Bulvarı No. 120 D: 6
		g("tr", `(?:\p{Lu}[\p{L}.'’-]*\s+){1,3}(?i:caddesi|cad\.|cd\.|sokak|sokağı|sok\.|sk\.|bulvarı|blv\.|bulv\.|mahallesi|mah\.|meydanı|yolu)(?:\s*,?\s*(?:\p{Lu}[\p{L}.'’-]*\s+){1,3}(?i:caddesi|cad\.|cd\.|sokak|sokağı|sok\.|sk\.))?\s*,?\s*(?i:no|numara)\s*[:.]?\s*\d{1,5}(?:\s?[/-]\s?\d{1,4})?[A-Za-z]?(?:\s*,?\s*(?i:d|daire|kat|blok)\s*[:.]?\s*\d{1,4}[A-Za-z]?)*`),
		// Vietnamese: số 25 đường Lý Thường Kiệt; 123 Nguyễn Huệ, Quận 1
		g("vi", `(?:(?i:số)\s+)?\d{1,4}[A-Za-z]?(?:/\d{1,4}[A-Za-z]?)*,?\s+(?i:đường|phố|ngõ|hẻm|ngách)\s+\p{Lu}\p{L}*(?:\s+\p{Lu}\p{L}*){0,4}`),
		gs("vi", `((?:(?i:số)\s+)?\b\d{1,4}[A-Za-z]?(?:/\d{1,4}[A-Za-z]?)*\s+\p{Lu}\p{L}*(?:\s+\p{Lu}\p{L}*){1,3}),\s*(?:Phường|P\.|Quận|Q\.|Huyện|Xã|Thị xã)`),
	}
	// 北京市朝阳区建国路88号, 台北市信義區信義路五段7號12樓
	zhCore = regexp.MustCompile(`(?:路|街|大道|大街|道|巷|弄|胡同|里)(?:[东西南北中東一二三四五六七八九十0-9]{1,3}段)?(?:\d{1,4}(?:巷|弄))*\d{1,5}(?:号|號)(?:之\d{1,3})?`)
	zhTail = regexp.MustCompile(`^(?:\s?[\p{Han}A-Za-z0-9]{0,10}?(?:\d{1,4}|[A-Z一二三四五六七八九十])(?:号楼|號樓|栋|棟|幢|座|单元|單元|楼|樓|层|層|室|号|號|F|f)(?:之\d{1,3})?)*`)
}

// zhStop ends the left extension of a Chinese address: characters that do
// not occur in place names but around them ("地址是…", "寄到…", "改为…").
const zhStop = "是在到寄送往至于於址：:，,。的我你他她请請把给給改为為成从從住换換收件人 \t\n"

// zhRoom extends an address ending at text[e] over a room number written
// without 室 right after the building or unit (A栋602, 3单元1502), or
// after a building's name (中信广场5801, 汇智大厦1203).
func zhRoom(text string, e int) int {
	k := e
	if !zhUnitEnd(text[:e]) {
		m := zhBuilding.FindStringIndex(text[e:])
		if m == nil {
			return e
		}
		k += m[1]
	}
	n := 0
	for k+n < len(text) && text[k+n] >= '0' && text[k+n] <= '9' {
		n++
	}
	if n < 3 || n > 5 {
		return e
	}
	return k + n
}

// zhUnitEnd reports whether s ends with a building or unit word.
func zhUnitEnd(s string) bool {
	for _, w := range []string{"栋", "棟", "幢", "座", "单元", "單元", "号楼", "號樓"} {
		if strings.HasSuffix(s, w) {
			return true
		}
	}
	return false
}

// zhBuilding is a building's name right after the street number.
var zhBuilding = regexp.MustCompile(`^\p{Han}{1,8}?(?:广场|廣場|大厦|大廈|大楼|大樓|中心|公寓|花园|花園|小区|社区)`)

// zhNotRoad are the characters before 道 in words that are not road names
// (频道 channel, 通道 passage, 渠道 channel, 轨道 track, 赛道, 跑道, 车道
// lane, 味道 taste, 知道 know, 难道, 隧道, 管道, 航道, 坡道, 步道).
const zhNotRoad = "频頻通渠轨軌赛賽跑车車味知难難隧管航坡步街"

// scanAddresses appends street addresses in the enabled languages to c.
// Every grammar needs an ASCII digit (\d) and a street word of its
// language, so texts without them skip the regular expressions, which are
// most of the cost of Scan (and more so inside a wasm plugin).
func scanAddresses(text string, o *Options, c []Span) []Span {
	f := addressCues(text)
	if !f.digit {
		return c
	}
	grammarsOnce.Do(loadGrammars)
	var langs langSet
	checked := false
	for _, g := range grammars {
		if !o.locale(g.lang) || f.ascii && (g.lang == "ja" || g.lang == "ko" || g.lang == "ru" || g.lang == "ar") {
			continue
		}
		if !checked {
			langs, checked = triggeredLangs(text, f), true
		}
		if langs&langBit[g.lang] == 0 {
			continue // cheap pre-check: no street word of this grammar in the text
		}
		for _, m := range g.re.FindAllStringSubmatchIndex(text, -1) {
			s, e := m[0], m[1]
			if g.sub {
				if m[2] < 0 {
					continue
				}
				s, e = m[2], m[3]
			}
			s = afterNumber(text, s)
			for e > s && (text[e-1] == ' ' || text[e-1] == ',') {
				e--
			}
			if s >= e {
				continue
			}
			c = append(c, Span{Type: Address, Start: s, End: e})
		}
	}
	if o.locale("zh") && f.zhStreet && f.zhNumber {
		c = scanZhAddresses(text, c)
	}
	return c
}

// afterNumber returns where a street match at text[s] really starts: a
// house number written right after another number ("+971 55 123 4567،
// شارع …", "call 555 0199 12 Main St") belongs to that number, so the
// match starts after it.
func afterNumber(text string, s int) int {
	if s >= len(text) || text[s] < '0' || text[s] > '9' {
		return s
	}
	p := s
	for p > 0 && (text[p-1] == ' ' || text[p-1] == '-' || text[p-1] == '.') {
		p--
	}
	if p == 0 || text[p-1] < '0' || text[p-1] > '9' {
		return s
	}
	for s < len(text) && (text[s] >= '0' && text[s] <= '9' || text[s] == ' ') {
		s++
	}
	// the separator after the number (Arabic comma U+060C or ",")
	if strings.HasPrefix(text[s:], "،") {
		s += len("،")
	} else if s < len(text) && text[s] == ',' {
		s++
	}
	for s < len(text) && text[s] == ' ' {
		s++
	}
	return s
}

// scanZhAddresses finds "…路88号…室" and extends it left over the place
// names in front and right over building, unit and room.
func scanZhAddresses(text string, c []Span) []Span {
	for _, m := range zhCore.FindAllStringIndex(text, -1) {
		s, e := m[0], m[1]
		if strings.HasPrefix(text[s:], "道") && !strings.HasPrefix(text[s:], "道路") {
			// 道 ends road names (香港东道, 高新南七道) but also common
			// words: 频道 (channel), 通道, 渠道, 跑道…
			if r, _ := utf8.DecodeLastRuneInString(text[:s]); strings.ContainsRune(zhNotRoad, r) {
				continue
			}
		}
		// left: the road name and the areas before it, up to 24 runes
		n := 0
		for s > 0 && n < 24 {
			r, w := utf8.DecodeLastRuneInString(text[:s])
			if strings.ContainsRune(zhStop, r) || !(r >= 0x3400 && r <= 0x9FFF || r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z') {
				break
			}
			s -= w
			n++
		}
		if n == 0 {
			continue // "路" with no name before it
		}
		if t := zhTail.FindStringIndex(text[e:]); t != nil {
			e += t[1]
		}
		e = zhRoom(text, e)
		c = append(c, Span{Type: Address, Start: s, End: e})
	}
	return c
}

// streetWords are the words without which grammar lang cannot match.
var streetWords = map[string][]string{
	"en": {"street", "st", "avenue", "ave", "road", "rd", "boulevard", "blvd", "lane", "ln", "drive", "dr", "court", "ct", "way", "place", "pl", "terrace", "close", "crescent", "highway", "hwy", "parkway", "pkwy", "square", "sq", "mews", "gardens", "grove", "circle", "cir"},
	"fr": {"rue", "avenue", "av", "boulevard", "bd", "place", "allée", "allee", "chemin", "impasse", "quai", "route", "cours", "square", "passage"},
	"es": {"calle", "c", "avenida", "avda", "av", "paseo", "plaza", "pza", "camino", "carrer", "ronda", "travesía", "glorieta", "carretera", "cl", "cll", "carrera", "cra", "kr", "cr", "transversal", "tv", "diagonal", "dg", "ak", "ac"},
	"it": {"via", "viale", "piazza", "corso", "largo", "vicolo", "piazzale", "strada", "lungarno", "lungomare", "lungotevere", "lungolago", "borgo", "contrada", "salita", "traversa", "calle", "campo", "fondamenta", "rione"},
	"pt": {"rua", "avenida", "av", "travessa", "alameda", "praça", "estrada", "rodovia"},
	"de": {"straße", "strasse", "str", "weg", "platz", "allee", "gasse", "ring", "damm", "ufer", "chaussee", "steig", "pfad", "markt"},
	"ar": {"شارع", "طريق", "جادة", "ميدان", "حي", "زقاق", "زنقة", "نهج", "درب", "ممر"},
	"tr": {"caddesi", "cad", "cd", "sokak", "sokağı", "sok", "sk", "bulvarı", "blv", "bulv", "mahallesi", "mah", "meydanı", "yolu"},
	"vi": {"đường", "phố", "ngõ", "hẻm", "ngách", "phường", "quận", "huyện", "xã"},
	"ru": {"ул", "улица", "улице", "улицы", "улицу", "пр", "пр-т", "т", "проспект", "проспекте", "проспекта", "пер", "переулок", "переулке", "наб", "набережная", "набережной", "бульвар", "бульваре", "б", "шоссе", "мкр", "мкрн", "микрорайон", "микрорайоне", "микрорайона", "пл", "площадь", "площади", "проезд", "проезде", "тупик"},
}

// langSet is a bit set of grammar languages (langBit).
type langSet uint16

var langBit = map[string]langSet{"en": 1, "fr": 2, "es": 4, "it": 8, "pt": 16, "de": 32, "ru": 64, "ja": 128, "ko": 256, "ar": 512, "nl": 1024, "tr": 2048, "vi": 4096}

// dePrefixes are the first words of German street names without a street
// word (Am Markt 4, Unter den Linden 77): they trigger the German grammars.
var dePrefixes = map[string]bool{"am": true, "an": true, "auf": true, "im": true, "in": true, "unter": true, "zum": true, "zur": true, "hinter": true, "vor": true, "beim": true, "alte": true, "alter": true, "altes": true}

var deBit, nlBit = langBit["de"], langBit["nl"]

// nlSuffixes end Dutch street names written as one word (Kerkstraat,
// Prinsengracht, Coolsingel): they trigger the Dutch grammars.
var nlSuffixes = []string{"straat", "laan", "weg", "gracht", "plein", "kade", "singel", "dijk", "steeg", "dreef", "pad", "markt", "wal", "hof", "plantsoen", "baan", "burgwal", "haven", "vest", "lei", "veld", "dam", "park"}

// nlWords start Dutch street names of several words (Laan van Meerdervoort).
var nlWords = map[string]bool{"laan": true, "weg": true, "plein": true, "kade": true, "straat": true, "singel": true, "dijk": true, "burgemeester": true, "koningin": true, "prins": true, "prinses": true, "van": true}

// maxStreetWord is the longest street word in bytes; deLastByte marks the
// last bytes of the German street words (cheap filters before the map and
// suffix look-ups).
var maxStreetWord, deLastByte = func() (max int, last [256]bool) {
	for lang, ws := range streetWords {
		for _, w := range ws {
			if len(w) > max {
				max = len(w)
			}
			if lang == "de" {
				last[w[len(w)-1]] = true
			}
		}
	}
	return max, last
}()

// streetWordLangs maps each street word to the languages it triggers.
var streetWordLangs = func() map[string]langSet {
	m := map[string]langSet{}
	for lang, ws := range streetWords {
		for _, w := range ws {
			m[w] |= langBit[lang]
		}
	}
	return m
}()

// cues are what one pass over a text tells about which address grammars
// may match.
type cues struct {
	ascii, digit       bool
	zhStreet, zhNumber bool // 路街道巷弄同里, 号號: zhCore needs one of each
	jaArea, jaDash     bool // 市区町村郡; 丁目 or a dash (the ja grammar needs both)
	ko                 bool // 로길 (road names), 동읍면리 (lot-number addresses)
}

func addressCues(text string) cues {
	f := cues{ascii: true}
	for i := 0; i < len(text); {
		b := text[i]
		if b < utf8.RuneSelf {
			switch {
			case b >= '0' && b <= '9':
				f.digit = true
			case b == '-':
				f.jaDash = true
			}
			i++
			continue
		}
		f.ascii = false
		r, w := utf8.DecodeRuneInString(text[i:])
		switch r {
		case '路', '街', '道', '巷', '弄', '同', '里':
			f.zhStreet = true
		case '号', '號':
			f.zhNumber = true
		case '市', '区', '町', '村', '郡':
			f.jaArea = true
		case '目', '−', '－', '番':
			f.jaDash = true
		case '로', '길', '동', '읍', '면', '리':
			f.ko = true
		}
		i += w
	}
	return f
}

// triggeredLangs returns the languages whose grammar may match text: one
// of its street words is a word of the text (lower-cased letter runs; for
// German also a word ending: Hauptstraße), or for Japanese and Korean one
// of their address characters occurs.
func triggeredLangs(text string, f cues) langSet {
	low := strings.ToLower(text)
	var set langSet
	if f.jaArea && f.jaDash {
		set |= langBit["ja"]
	}
	if f.ko {
		set |= langBit["ko"]
	}
	for i := 0; i < len(low); {
		r, w := utf8.DecodeRuneInString(low[i:])
		if !unicode.IsLetter(r) {
			i += w
			continue
		}
		j := i + w
		for j < len(low) {
			r, w := utf8.DecodeRuneInString(low[j:])
			if !unicode.IsLetter(r) {
				break
			}
			j += w
		}
		word := low[i:j]
		if len(word) <= maxStreetWord {
			set |= streetWordLangs[word]
		}
		if set&deBit == 0 && dePrefixes[word] {
			set |= deBit
		}
		if set&nlBit == 0 {
			if nlWords[word] {
				set |= nlBit
			} else {
				for _, suf := range nlSuffixes {
					if strings.HasSuffix(word, suf) {
						set |= nlBit
						break
					}
				}
			}
		}
		if set&deBit == 0 && deLastByte[word[len(word)-1]] {
			for _, suf := range streetWords["de"] {
				if strings.HasSuffix(word, suf) {
					set |= deBit
					break
				}
			}
		}
		i = j
	}
	return set
}
