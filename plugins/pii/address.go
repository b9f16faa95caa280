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
	// atWord, when set, means the regexp starts with its language's street
	// word and is anchored (^): it is tried only where such a word starts,
	// not at every byte of the text (a pattern that starts with a long
	// alternation of words is otherwise the slowest part of Scan).
	atWord bool
	// tail, when set, is the units that may follow the street (flat,
	// floor, building: anchored, tried where re's match ends). Kept out of
	// re so that re stays small enough for the regexp package's fast
	// matcher; the units of one language are a long list of words.
	tail *regexp.Regexp
	// bit and loc are langBit[lang] and grammarLocale(lang), set once by
	// loadGrammars (looked up for every grammar of every text otherwise)
	bit langSet
	loc string
	// stop, when set, drops a match with a word that names something
	// other than a street (Bestellung 4521, Telefon 030…): the grammars
	// of street lines without a street word (notStreet)
	stop bool
}

const (
	// Post-office boxes, in every language: they are where a person's mail goes
	poBox = `(?:(?i:p\.?\s?o\.?\s?box|post\s+office\s+box|(?:rr|hc)\s*\d{1,3},?\s*box)\s*#?\s*\d{1,6}|Postfach\s*\d(?:\s?\d){1,7}|(?:B\.P\.|BP)\s*\d{2,6}(?:\s*,|\s*$|\s+\d{5}\b)|(?i:boîte\s+postale|boite\s+postale)\s*\d{1,6}|(?i:apartado(?:\s+de\s+correos)?|apdo\.?(?:\s+de\s+correos)?|caixa\s+postal|cx\.?\s+postal|casella\s+postale|postbus|posta\s+kutusu|skrytka\s+pocztowa|skr\.\s*poczt\.?)\s*(?:n[º°o]?\.?\s*)?\d{1,6}|(?:а/я|(?i:абонентский\s+ящик))\s*\d{1,6}|(?:ص\.?\s?ب\.?|صندوق\s+(?:بريد|البريد))\s*:?\s*\d{1,6})`
	// a street line right after an address word, in any language, when the
	// street has no street word the grammars know: "adres Meir 44",
	// "adresa Vinohradská 12", "διεύθυνση Ερμού 25", "address: 1500 Broadway"
	cuedStreet = `(?i:address|adres|adresse|anschrift|adresa|indirizzo|dirección|direccion|endereço|endereco|morada|alamat|διεύθυνση|адрес|adressen|osoite|cím)(?:\s+(?:is|ist|est|es|è|é|je|er|är|de livraison|di consegna|de entrega|nueva|nuevo|new|neue|nova|novo))?\s*[:：]?\s*` + cuedLine
	// the street line of cuedStreet and deliveredStreet, and what may follow it
	cuedLine = `((?:\p{Lu}[\p{L}'’-]+\s+){0,2}\p{Lu}[\p{L}'’-]+\s+\d{1,4}[A-Za-z]?(?:/\d{1,4})?|\d{1,3}[A-Za-z]?\s+(?:\p{Lu}\p{Ll}[\p{L}'’-]*\s+){0,2}\p{Lu}\p{Ll}[\p{L}'’-]*)(?:,|$|\s*\n|\s+(?:in|à|a|en|em|te|bei|op)\s+\p{Lu})`
	// a street line after a sending word: "liefern an Spalenberg 12",
	// "bezorgen op Damrak 70"
	deliveredStreet = `(?i:` + deliverTo + `)\s*[:：]?\s*` + cuedLine
	deliverTo       = `ship\s+(?:it\s+)?to|send\s+(?:it\s+)?to|deliver\s+(?:it\s+)?to|(?:liefern|schicken|senden|bitte|lieferung|versand|zustellung)\s+(?:sie\s+)?(?:bitte\s+)?an|(?:sturen|stuur|bezorgen|leveren|verzenden)\s+(?:het\s+)?(?:naar|op|aan)|(?:envoyer|livrer|livraison|expédier)\s+(?:à|au|a)|(?:enviar|mandar|envío|envio|entregar)\s+(?:a|al|en|para|em|na|no)|(?:spedire|consegnare|inviare|spedizione|consegna)\s+(?:a|in|al)`
	// French street types (and their abbreviations)
	typesFR = `rue|avenue|av\.|boulevard|boul\.|boul|bd|place|pl\.|allée|allee|chemin|ch\.|impasse|imp\.|quai|route|rte|cours|square|passage|faubourg|fbg|cité|cite|résidence|chaussée|chaussee|voie|sentier|rond-point|hameau|montée|esplanade|promenade|parvis|lotissement|drève|venelle|ruelle`
	upWord  = `\p{Lu}[\p{L}'’.-]*` // a capitalised word
	unitEN  = `(?:,?\s*(?:(?:Apt|Apartment|Suite|Ste|Unit|Flat|Fl|Floor|Room|Rm|Bldg|Building|Level|Lvl|#)\.?\s*#?[A-Za-z0-9-]{1,6}\b|\d{1,2}(?:st|nd|rd|th)\s+Floor\b)){0,2}`
	numEN   = `\b(?:\d{1,4}[A-Za-z]?/)?\d{1,5}[A-Za-z]?(?:-\d{1,4})?` // 221B, 4/22 (unit/house)
	// a German house number's flat (12/3) and floor (", 2. OG")
	unitDE = `(?:/\d{1,4}[a-z]?){0,3}(?:,?\s*(?:\d{1,2}\.\s?(?:OG|Obergeschoss|Stock|Etage|Stg\.)|EG|DG|Erdgeschoss|Dachgeschoss|Hinterhaus|(?:Whg\.|Wohnung|App\.|Apt\.|Top|Stiege|Tür)\s*\d{1,4}[a-z]?)(?:\s+(?:links|rechts|Mitte|li\.|re\.))?){0,3}`
	// a French unit after the street: bât. B, esc. 2, appt 12, 3e étage
	unitFR = `(?:,?\s*(?:(?i:bât\.?|bat\.|bâtiment|batiment|esc\.?|escalier|appt?\.?|appartement|porte|log\.|logement|étage|etage|bte|boîte|bus)\s*[A-Za-z0-9]{1,4}\b|,?\s*\d{1,2}\s?(?:e|er|ème|eme|è)\s+(?i:étage|etage)))*`
	// Spanish and Latin American units: piso 3, dpto. 501, int. 4, 3º B, Mz. A Lt. 5
	unitES = `(?:,?\s*(?:(?i:piso|planta|dpto\.?|depto\.?|dto\.?|departamento|int\.?|interior|puerta|pta\.?|apto\.?|apartamento|oficina|of\.|local|casa|bloque|blq\.?|escalera|esc\.?|torre|mz\.?|manzana|lote|lt\.?)\s*(?:\d{1,4}[A-Za-z]?|[A-Za-z])\b|\d{1,2}\s?[º°ª]\s?(?:[A-Za-z]\b|(?i:izq\.?|izquierda|dcha\.?|derecha|dr\.?))?|(?i:bajo|entresuelo|ático|atico)\b))*`
	// Portuguese units: apto 52, casa 2, bloco B, conj. 41, 2.º Esq., r/c
	unitPT = `(?:,?\s*(?:(?i:apto\.?|apt\.|ap\.|apartamento|casa|bloco|bl\.|sala|conj\.?|conjunto|cj\.?|andar|lote|loja|torre|fundos)\s*(?:\d{1,4}[A-Z]?|[A-Z])?\b|\d{1,2}\s?\.?\s?[º°ª]\s?(?i:andar|esquerdo|esq\.?|direito|dto\.?|dt\.?|frente|dir\.?)?|(?i:r/c|rés-do-chão)))*`
	// Italian units: scala B, int. 7, piano 3, interno 4, pal. C
	unitIT = `(?:,?\s*(?i:scala|sc\.|int\.?|interno|piano|p\.|pal\.|palazzina|edificio|ed\.|lotto)\s*[A-Za-z0-9]{1,4}\b)*`
	// a Japanese building (and floor or room) after the block number:
	// アクトタワー20階, ラゾーナ川崎プラザ3階, グランドビル8F, メゾン青山 201号室
	bldgJA = `(?:[\s　]?[\p{Katakana}\p{Han}ー・A-Za-z]{1,16}?\s?\d{1,4}(?:階|F|号室|号)?(?:[\s　]?\d{1,4}号室)?)?`
	// an English street name word: capitalised, or an ordinal (5th, 42nd)
	nameEN = `(?:` + upWord + `|\d{1,3}(?:st|nd|rd|th))`
	dirEN  = `(?:(?:N|S|E|W|NE|NW|SE|SW|North|South|East|West)\.?\s+)?`
	// an Arabic unit: building, tower, villa, flat, floor, house, "No."
	unitAR = `(?:(?:عمارة|مبنى|برج|شقة|فيلا|فيلة|الطابق|الدور|طابق|دور|منزل|بيت|بناية|مجمع|بلوك|قطعة|مكتب|محل)(?:\s+رقم)?\s*(?:\d{1,5}|\p{Arabic}+)|رقم\s*\d{1,5})`
	// an Arabic street: street word and its name, maybe a number before or after
	streetAR = `(?:\d{1,5}\s*[،,]?\s*)?(?:شارع|طريق|جادة|ميدان|زنقة|نهج|درب|ممر|حي|زقاق)\s+(?:(?:\p{Arabic}+\s+){0,4}\p{Arabic}+(?:\s*\d{1,5})?|\d{1,5})`
	// a Korean building, block, floor or flat: 101동 1203호, 시청빌딩 15층
	unitKO  = `(?:,?\s?(?:[가-힣A-Za-z]{1,12}\s?)?\d{1,4}(?:동|호|층)(?:\s?\d{1,5}(?:호|층))?)?`
	typesEN = `(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|Terrace|Close|Crescent|Highway|Hwy|Parkway|Pkwy|Square|Sq|Mews|Gardens|Grove|Circle|Cir|Row|Walk|Trail|Trl|Loop|Alley|Aly|Pike|Plaza|Wharf|Quay|Hts)`
	// street types kept out of typesEN so that the main English grammar
	// stays small enough for the regexp package's backtracking matcher
	typesEN2 = `(?:Parade|Pde|Expressway|Expy|Freeway|Fwy|Esplanade|Turnpike|Tpke|Causeway|Cswy|Promenade)`
	// a unit, house or building that leads an English street line (Flat 302,
	// Sai Krupa Apartments, 14th Main Road; Unit 7, Riverside Industrial
	// Estate, Mill Lane; H.No. 8-2-293/82, Road No. 12)
	leadEN = `(?:Flat|Apt|Apartment|Unit|Suite|Ste|House|H\.\s?No|Plot|Door|Shop|Office|Villa|Blk|Block)\.?\s*(?:No\.?\s*)?#?[A-Za-z0-9][A-Za-z0-9/-]{0,12},\s+(?:(?:\p{Lu}[\p{L}'’.-]*\s+){1,4}(?:Apartments|Apts|Residency|Towers?|House|Court|Building|Bldg|Complex|Mansions|Estate|Heights|Enclave|Plaza|Centre|Center|Park|Vihar|Nagar|Society|Kunj|Colony|Dham|Bagh|Puram),\s+)?`
	// Indian flat and block codes with no unit word (B-204, A/302, C-12,
	// 302-B) before a society or locality name and its sector or block:
	// "B-204, Shanti Vihar, Sector 12", "A/302, Gokul Dham Society"
	flatIN = `\b(?:[A-Z]{1,2}[-/]?\d{1,4}[A-Z]?|\d{1,4}[-/][A-Z])(?:/\d{1,4})?,\s+(?:(?:\p{Lu}[\p{L}'’.-]*\s+){0,3}\p{Lu}[\p{L}'’.-]*\s+` + localityIN + `\b(?:,\s+(?:Sector|Block|Phase|Pocket)\s*-?\s*\d{1,3}[A-Z]?)?|(?:\p{Lu}[\p{L}'’.-]*\s+){0,3}\p{Lu}[\p{L}'’.-]*,\s+(?:Sector|Block|Phase|Pocket)\s*-?\s*\d{1,3}[A-Z]?\b)`
	// the words that end an Indian locality or housing society's name
	localityIN = `(?:Vihar|Nagar|Enclave|Colony|Apartments|Apts|Society|CHS|Residency|Kunj|Bagh|Puram|Layout|Complex|Niwas|Sadan|Bhavan|Dham|Heights|Towers|Gardens|Park|Extension|Marg)`
	// a street line with no street word (Gran Vía 28, Rosalía de Castro 7)
	// followed by an Iberian floor and door (6º izq., 3.º Esq., 2ª B, piso 4)
	// or a flat, office or house (Los Leones 1250, depto 34; apto 12)
	floorIB = `\b(?:\p{Lu}[\p{L}'’.-]*\s+)(?:(?:de la|de las|de los|del|de|da|do|das|dos|la|el|y|e)\s+|\p{Lu}[\p{L}'’.-]*\s+){0,3}[1-9]\d{0,3}[A-Za-z]?,?\s+(?:\d{1,2}\s?\.?\s?[º°ª]\s?(?:[A-Z]\b|(?i:izq\.?|izqda\.?|izquierda|dcha\.?|dch\.?|derecha|dr\.|drcha\.?|centro|ctro\.?|esq\.?|esquerdo|dto\.?|dt\.?|direito|dir\.?|frente|int\.?|ext\.?))|(?i:piso|planta|andar)\s+\d{1,2}\b|(?i:bajo|entresuelo|ático|atico|r/c)\b|(?i:depto\.?|dpto\.?|departamento|apto\.?|apartamento|oficina|of\.|casa|interior|local|sala|bloco|torre)\s*\d{1,4}[A-Za-z]?\b)`
	// a number and a street type used as the whole name, or "The" and a
	// type (40 Esplanade, 12 The Strand, 5 The Crescent), before a comma
	// or the end of the line
	typeOnlyEN = `\b((?:(?:Unit|Flat|Apt|Suite|Shop|Level)\.?\s+[A-Za-z0-9-]{1,5},?\s+)?\d{1,5}[A-Za-z]?,?\s+(?:The\s+(?:Esplanade|Parade|Strand|Crescent|Promenade|Boulevard|Terrace|Circus|Green|Mall|Avenue|Drive|Close|Grove|Mews|Quadrant|Embankment|Causeway|Broadway|Square|Ridgeway|Rise|Glade|Paddock|Chase|Spinney|Croft|Dell|Lanes|Parkway|Esplanade)|Esplanade|Parade|Strand|Promenade|Embankment|Causeway|Crescent|Terrace))(?:,|\s*$|\s*\n|\s+(?:in|and|or|please|pls)\b)`
	// a street line with no street word before a postcode (Spalenberg 12,
	// 4051 Basel; Damrak 70, 1012 LP Amsterdam) or a big town's name
	// (Damrak 70, Amsterdam; Spalenberg 12 in Basel): matched backwards
	// from the postcode or the town (scanBeforeTown)
	beforePostcode = `(?:^|[^\p{L}\p{N}])((?:\p{Lu}[\p{L}'’-]*\s+)(?:(?:van|de|den|der|het|op|de la|del|di|da|do|du|des|la|le|el)\s+|\p{Lu}[\p{L}'’-]*\s+){0,2}[1-9]\d{0,3}[A-Za-z]?)(?:,\s*|\s+)(?:[A-Z]{1,2}-)?$`
	beforeTown     = `(?:^|[^\p{L}\p{N}])((?:\p{Lu}[\p{L}'’-]*\s+)(?:(?:van|de|den|der|het|op|de la|del|di|da|do|du|des|la|le|el)\s+|\p{Lu}[\p{L}'’-]*\s+){0,2}[1-9]\d{0,3}[A-Za-z]?)(?:,\s*|\s+(?:in|à|a|en|em|te|bei)\s+)(?:Den\s+|St\.\s+)?$`
)

var (
	grammarsOnce sync.Once
	grammars     []streetGrammar
	zhCore       *regexp.Regexp
	zhEstate     *regexp.Regexp
	zhTail       *regexp.Regexp
	zhVillage    *regexp.Regexp
	// street lines before a postcode or a town (scanBeforeTown)
	reBeforePostcode, reBeforeTown *regexp.Regexp
)

var ctyBit = langBit["cty"]

func loadGrammars() {
	// tail compiles a grammar's unit pattern, tried right after its match
	tail := func(t []string) *regexp.Regexp {
		if len(t) == 0 {
			return nil
		}
		return regexp.MustCompile(`^(?:` + t[0] + `)`)
	}
	g := func(lang, expr string, t ...string) streetGrammar {
		return streetGrammar{lang: lang, re: regexp.MustCompile(expr), tail: tail(t)}
	}
	gs := func(lang, expr string) streetGrammar {
		return streetGrammar{lang: lang, re: regexp.MustCompile(expr), sub: true}
	}
	gw := func(lang, expr string, t ...string) streetGrammar {
		return streetGrammar{lang: lang, re: regexp.MustCompile(`^` + expr), atWord: true, tail: tail(t)}
	}
	grammars = []streetGrammar{
		// 221B Baker Street, 1600 Pennsylvania Ave NW, Apt 4B
		// a unit or house first, maybe a building, then the street (with or without a number)
		gw("enl", leadEN+`(?:`+numEN+`,?\s+)?`+dirEN+`(?:`+nameEN+`\s+){0,3}`+nameEN+`\s+(?i:`+typesEN+`|`+typesEN2+`)\b\.?(?:\s+No\.?\s*\d{1,4})?(?:,\s+(?:\p{Lu}[\p{L}'’-]*\s+){0,2}(?:Layout|Nagar|Colony|Sector|Phase|Hills|Extension|Estate|Enclave)\b)?`, unitEN),
		gw("enl", leadEN+`(?:(?:(?i:road|street|st|lane)\s+No\.?|(?i:sector|block|phase))\s*\d{1,4}|\d{1,2}(?:st|nd|rd|th)\s+(?:Cross|Main|Block|Stage|Phase|Sector)(?:\s+Road)?)(?:,\s+(?:\p{Lu}[\p{L}'’-]*\s+){0,2}\p{Lu}[\p{L}'’-]*)?`, unitEN),
		g("en", `(?:(?:Flat|Apt|Apartment|Unit|Level|Floor|Suite|Ste)\.?\s+#?[A-Za-z0-9-]{1,5},?\s+)?`+numEN+`,?\s+`+dirEN+`(?:`+nameEN+`\s+){0,3}`+nameEN+`\s+(?i:`+typesEN+`)\b\.?(?:\s+(?:NW|NE|SW|SE|N|S|E|W)\b)?`, unitEN),
		g("enx", `\b\d{1,5}\s+(?:(?:N|S|E|W)\.?\s+)?Broadway\b`, unitEN),
		// Chicago-style names that end with a direction: 2500 N Lincoln Park West
		g("enx", `\b\d{1,5}\s+(?:N|S|E|W)\.?\s+(?:\p{Lu}\p{L}+\s+){1,3}(?:West|East|North|South)\b`, unitEN),
		g("enx", numEN+`,?\s+`+dirEN+`(?:\p{Lu}[\p{L}'’.-]*\s+){0,3}\p{Lu}[\p{L}'’.-]*\s+(?i:`+typesEN2+`)\b\.?`, unitEN),
		// One Market Plaza, Two Embarcadero Place
		gw("enn", `(?:One|Two|Three|Four|Five|Six|Seven|Eight|Nine|Ten|Eleven|Twelve|Fifteen|Twenty|Thirty|Forty|Fifty|Hundred)\s+(?:\p{Lu}\p{L}+\s+){1,3}(?:Plaza|Place|Square|Center|Centre|Towers?|Park|Court|Street|Avenue|Way|Drive|Lane|Road|Loop|Circle|Boulevard|Wharf|Quay|Pier)\b`, unitEN),
		// Hauptstraße 5, Berliner Str. 12a, Kaiser-Wilhelm-Ring 3, Am Alten Markt 4
		g("de", `\b(?:`+upWord+`\s+){0,2}\p{Lu}[\p{L}-]*(?i:straße|strasse|str\.|weg|platz|allee|gasse|ring|damm|ufer|chaussee|steig|pfad|markt)\s+\d{1,4}\s?[a-z]?\b`, unitDE),
		g("de", `\b(?:`+upWord+`\s+){1,2}(?:Straße|Strasse|Str\.|Weg|Platz|Allee|Gasse|Ring|Damm|Ufer|Markt)\s+\d{1,4}\s?[a-z]?\b`, unitDE),
		// Unter den Linden 77, Am Markt 4, An der Alster 12, 2. OG, Im Tal 5
		g("de", `\b(?:Am|An der|An den|Auf der|Auf dem|Im|In der|In den|Unter den|Zum|Zur|Hinter der|Hinter dem|Vor dem|Beim|Alte[rs]?)\s+(?:`+upWord+`\s+){0,2}\p{Lu}[\p{L}-]+\s+\d{1,4}\s?[a-z]?\b`, unitDE),
		// 12 rue de la Paix, 3 bis avenue des Champs-Élysées
		g("fr", `\b\d{1,4}(?:\s?(?:bis|ter|[A-D])\b)?,?\s+(?i:`+typesFR+`)\s+(?:(?:de la|de l'|de l’|des|du|de|d'|d’|la|le|les|l'|l’)\s*)?\p{Lu}[\p{L}'’-]*(?:\s+(?:(?:de la|des|du|de|d'|d’|l'|l’)\s*)?\p{Lu}[\p{L}'’-]*){0,3}`, unitFR),
		// Belgium, Switzerland, Luxembourg: the number after the street (Avenue Louise 231, rue Neuve 12 bte 3)
		gw("fr", `(?i:`+typesFR+`)\s+(?:(?:de la|de l'|de l’|des|du|de|d'|d’|la|le|les|l'|l’)\s*)?\p{Lu}[\p{L}'’-]*(?:\s+(?:(?:de la|des|du|de|d'|d’|l'|l’)\s*)?\p{Lu}[\p{L}'’-]*){0,3},?\s+\d{1,4}[a-zA-Z]?\b`, unitFR),
		// Calle Mayor 12, 3º B; C/ de Alcalá, 45; Avda. de la Constitución nº 7
		// Jr. de la Unión 456, dpto. 3; Calle 5 de Mayo 23; Av. Reforma #222, int. 4
		gw("es", `(?i:calle|c/|avenida|avda\.|av\.|avd\.|paseo|pº|plaza|pza\.|camino|carrer|ronda|travesía|travesia|glorieta|carretera|ctra\.|jr\.|jirón|jiron|pasaje|psje\.|pje\.|prolongación|prolongacion|prol\.|calzada|calz\.|callejón|callejon|privada|priv\.|cerrada|circuito|andador|boulevard|blvd\.|bulevar|malecón|malecon|alameda|rambla|passeig|vía|via|camí|urbanización|urb\.)\s*(?:(?:de la|de los|de las|del|de)\s+)?(?:\d{1,2}\s+de\s+\p{Lu}\p{L}+|\p{Lu}[\p{L}.-]*)(?:\s+(?:(?:de la|de los|de las|del|de|y|la|las|los|el)\s+)?\p{Lu}[\p{L}.-]*){0,3},?\s*(?:(?:n[º°o]\.?\s*|núm\.\s*|#\s*)?\d{1,5}[A-Za-z]?\b|(?i:km\.?)\s*\d{1,3}(?:[.,]\d{1,3})?)`, unitES),
		// Galician rúa, Argentine Bv. (bulevar); an urbanización's plot (parcela 27)
		gw("es", `(?i:rúa|bv\.|bvd\.|bvar\.)\s*(?:(?:de la|de los|del|de|do|da|dos|das)\s+)?\p{Lu}[\p{L}.-]*(?:\s+\p{Lu}[\p{L}.-]*){0,3},?\s*\d{1,5}[A-Za-z]?\b`, unitES),
		gw("es", `(?i:urbanización|urbanizacion|urb\.)\s+\p{Lu}[\p{L}.-]*(?:\s+(?:(?:de la|de los|del|de|la|las|los|el)\s+)?\p{Lu}[\p{L}.-]*){0,3},?\s*(?i:parcela|parc\.|solar|nave|lote|casa|chalet|villa|portal|bloque)\s*\d{1,5}[A-Za-z]?\b`, unitES),
		// Colombia and neighbours: Calle 85 # 11-53, Cra. 43A No. 1 Sur-50, apto 1102
		gw("es", `(?i:avenida calle|avenida carrera|calle|cl\.|cll\.?|carrera|cra\.?|kr\.?|cr\.|transversal|tv\.?|diagonal|dg\.?|avenida|av\.|ak|ac)\s*\d{1,3}\s?[A-Za-z]?(?:\s?bis)?(?:\s?(?i:sur|norte|este|oeste))?\s*(?:#|(?i:n[º°o]\.?|núm\.?|numero|número))\s*\d{1,3}\s?[A-Za-z]?(?:\s?(?i:bis|sur|norte|este))?\s*[-–]\s*\d{1,3}(?:\s?(?i:sur|este))?(?:,?\s*(?i:apto\.?|apt\.?|apartamento|oficina|of\.|int\.?|interior|casa|torre|bloque|piso|local)\s*\d{1,5}[A-Za-z]?)*`),
		// Via Roma 12, Piazza Garibaldi, 5
		gw("it", `(?i:via|viale|v\.le|piazza|p\.za|p\.zza|corso|c\.so|largo|l\.go|vicolo|piazzale|p\.le|strada|str\.|lungarno|lungomare|lungotevere|lungolago|borgo|contrada|c\.da|salita|traversa|calle|campo|fondamenta|rione|località|loc\.|frazione|fraz\.)\s*(?:(?:dei|degli|del|della|delle|di|san|santa)\s+)?(?:\d{1,2}\s+\p{Lu}\p{L}+|\p{Lu}[\p{L}'’.-]*)(?:\s+(?:(?:dei|del|della|delle|degli|di|alle|alla|al|allo|agli|ai|sul|sulla|in|a)\s+)?\p{Lu}[\p{L}'’.-]*){0,3},?\s*(?:n\.\s*|n\.?\s?civico\s*)?\d{1,4}\s?(?:/\s?[a-zA-Z0-9]\b|[a-zA-Z]\b)?`, unitIT),
		// Rua Augusta, 1500, apto 52; Av. Paulista, 1000
		gw("pt", `(?:(?i:rua|avenida|av\.|avda\.|travessa|tv\.|trav\.|alameda|al\.|praça|pç\.|largo|lgo\.|beco|estrada|estr\.|rodovia|rod\.|viela|servidão|calçada|ladeira|quadra)|R\.)\s+(?:(?:da|do|das|dos|de)\s+)?(?:\d{1,2}\s+de\s+\p{Lu}\p{L}+|\p{Lu}[\p{L}.-]*)(?:\s+(?:(?:da|do|das|dos|de|e)\s+)?\p{Lu}[\p{L}.-]*){0,4},?\s*(?:(?:n\.?[º°]\s*|(?i:número|nr\.)\s*)?\d{1,5}[A-Za-z]?\b|(?i:km\.?)\s*\d{1,3}(?:[.,]\d{1,3})?)`, unitPT),
		// Condomínio Parque das Águas, bloco C, ap 304; Residencial Jardins, casa 12
		gw("pt", `(?i:condomínio|condominio|cond\.|residencial|edifício|edificio|ed\.|conjunto|vila)\s+(?:(?:da|do|das|dos|de|e)\s+)?\p{Lu}[\p{L}.-]*(?:\s+(?:(?:da|do|das|dos|de|e)\s+)?\p{Lu}[\p{L}.-]*){0,4},?\s*(?i:bloco|bl\.|casa|apto\.?|apt\.|ap\.|apartamento|torre|lote|quadra|qd\.)\s*(?:\d{1,4}[A-Z]?|[A-Z])\b`, unitPT),
		// Brasília: SQN 304 Bloco H, SHIS QI 9 Conjunto 4 Casa 12
		g("ptb", `\b(?:SQN|SQS|SQSW|SQNW|SHIS|SHIN|SHCES|SCLN|SCLS|CLN|CLS|QI|QL|QE|QNM|QNN|QND)\s*\d{1,4}\s*,?\s*(?i:bloco|bl\.|conjunto|conj\.|cj\.?)\s*(?:\d{1,3}|[A-Z])\b`, unitPT),
		// ул. Ленина, д. 5, кв. 12
		// проспект Мира, 12, кв. 40; Садовая ул., д. 3; на Ленинском проспекте, 45
		g("ru", `(?:(?i:ул\.|улиц[аеыу]|пр-кт|просп\.|пр\.|пр-т|проспект[еау]?|пер\.|переул(?:ок|ке|ка)|наб\.|набережн(?:ая|ой)|бульвар[еау]?|б-р|бул\.|шоссе|мкр\.|мкр|микрорайон[еау]?|мкрн\.?|пл\.|площадь|площади|проезд[еау]?|тупик[еау]?|аллея|аллее|аллеи|тракт[еау]?|линия|линии)\s*(?:(?i:реки|канала|им\.|имени|острова)\s+)?(?:\d{1,2}(?:-?(?:го|я|й|е|ая|ой))?\s+)?\p{Lu}[\p{L}.-]*(?:\s+\p{Lu}[\p{L}.-]*)?|\p{Lu}[\p{L}-]*(?:\s+\p{Lu}[\p{L}-]*)?\s+(?i:ул\.|улиц[аеыу]|пр-кт|просп\.|пр\.|пр-т|проспект[еау]?|пер\.|переул(?:ок|ке|ка)|наб\.|набережн(?:ая|ой)|бульвар[еау]?|б-р|бул\.|шоссе|мкр\.|мкр|микрорайон[еау]?|мкрн\.?|пл\.|площадь|площади|проезд[еау]?|тупик[еау]?|аллея|аллее|аллеи|тракт[еау]?|линия|линии))\s*,?\s*(?:(?i:д\.|дом)\s*)?\d{1,4}[а-яА-Я]?(?:,?\s*(?i:корп\.|к\.|стр\.)\s*\d{1,3})?(?:,?\s*(?i:кв\.|квартира|подъезд|под\.|этаж|эт\.|офис|оф\.)\s*\d{1,4})*`),
		gw("ru", `(?i:ул\.|улица|пр\.|пр-т|проспект|пер\.|переулок|наб\.|набережная|бульвар|б-р|шоссе)\s*\p{Lu}[\p{L}.-]*(?:\s+\p{Lu}[\p{L}.-]*)?,?\s*(?i:д\.|дом)\s*\d{1,4}[а-яА-Я]?(?:,?\s*(?i:корп\.|к\.|стр\.)\s*\d{1,3})?(?:,?\s*(?i:кв\.|квартира)\s*\d{1,4})?`),
		// 東京都渋谷区神南1-2-3, 大阪市北区梅田3丁目1番1号
		g("ja", `(?:\p{Han}{1,3}[都道府県])?[\p{Han}\p{Hiragana}]{1,5}[市区町村郡](?:\p{Han}{1,4}[区町村])?[\p{Han}\p{Katakana}\p{Hiragana}ー]{1,8}?(?:\d{1,4}|[一二三四五六七八九十]{1,3})(?:丁目|[-−－])\d{1,4}(?:番地?|[-−－])\d{1,4}(?:号)?(?:[-−－]\d{1,4})?`, bldgJA),
		// 京都市下京区…東塩小路町721番地, 札幌市中央区北1条西2丁目, 博多区博多駅中央街1番1号
		g("ja", `(?:\p{Han}{1,3}[都道府県])?[\p{Han}\p{Hiragana}]{1,5}[市区町村郡](?:\p{Han}{1,4}[区町村])?[\p{Han}\p{Katakana}\p{Hiragana}ー0-9]{1,16}?(?:\d{1,4}|[一二三四五六七八九十]{1,3})(?:番地|丁目(?:\d{1,4}番(?:地)?(?:\d{1,4}号?)?)?|番\d{1,4}号)`, bldgJA),
		// two-number forms (板屋町111-2, 梅田2-4) after a prefecture or a town in 町/村
		g("ja", `(?:\p{Han}{1,3}[都道府県][\p{Han}\p{Hiragana}]{1,5}[市区町村郡](?:\p{Han}{1,4}[区町村])?[\p{Han}\p{Katakana}\p{Hiragana}ー]{1,8}?|[\p{Han}\p{Hiragana}]{1,5}[市区郡](?:\p{Han}{1,4}[区町村])?[\p{Han}\p{Katakana}\p{Hiragana}ー]{0,16}[町村])\d{1,4}[-−－]\d{1,4}\b`, bldgJA),
		// 서울특별시 강남구 테헤란로 123, 부산 해운대구 해운대로 570번길 12
		g("ko", `(?:[가-힣]{2,8}(?:특별시|광역시|특별자치시|특별자치도|시|도)\s){0,2}(?:[가-힣]{1,6}(?:구|군)\s)?[가-힣0-9]{1,10}(?:로|길)\s?\d{1,4}(?:번길\s?\d{1,4})?(?:-\d{1,4})?`, unitKO),
		// lot-number (지번) addresses: 서울특별시 서초구 서초동 1303-22, 고양시 일산동구 장항동 868
		g("ko", `[가-힣]{1,8}(?:특별시|광역시|특별자치시|특별자치도|시|도)\s[가-힣]{1,6}(?:시|구|군)\s(?:[가-힣]{1,6}(?:구|군)\s)?[가-힣0-9]{1,8}(?:동|읍|면|리|가)(?:\s[가-힣0-9]{1,6}리)?\s?\d{1,5}(?:-\d{1,4})?(?:번지)?`, unitKO),
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
		g("vi", `(?:(?i:số)\s+)?\d{1,4}[A-Za-z]?(?:/\d{1,4}[A-Za-z]?)*,?\s+(?i:đường|phố|ngõ|hẻm|ngách|kiệt)\s+(?:\d{1,4}[A-Za-z]?(?:/\d{1,4})*\s+)?\p{Lu}\p{L}*(?:\s+\p{Lu}\p{L}*){0,4}`),
		// Polish: ul. Marszałkowska 84/92 m. 15, al. Jerozolimskie 65/79 lok. 3
		gw("pl", `(?i:ul\.|ulica|al\.|aleja|pl\.|plac|os\.|osiedle)\s*\p{Lu}[\p{L}.-]*(?:\s+\p{Lu}[\p{L}.-]*){0,3}\s+\d{1,4}[A-Za-z]?(?:/\d{1,4}[A-Za-z]?)?(?:\s*(?:m\.|m|lok\.|lokal)\s*\d{1,4})?`),
		// Indonesian and Malay: Jl. Sudirman No. 45, Jalan Ampang No. 12 RT 03/RW 05
		gw("id", `(?i:jl\.|jln\.?|jalan|gg\.|gang)\s*\p{Lu}[\p{L}.'-]*(?:\s+\p{Lu}[\p{L}.'-]*){0,4},?\s*(?i:no\.?|nomor|kav\.?|kavling|blok)\s*\d{1,4}[A-Za-z]?(?:\s*(?i:rt|rw)\.?\s*\d{1,3}(?:/\s*(?i:rw)?\.?\s*\d{1,3})?)*(?:,?\s*(?i:lantai|lt\.|unit|blok)\s*\d{1,3}[A-Za-z]?)*`),
		// Malaysia: No. 8, Jalan SS 2/24; Lot 12, Jalan Ampang
		g("id", `\b(?i:no\.?|lot)\s*\d{1,5}[A-Za-z]?,?\s+(?i:jalan|jln\.?|jl\.|lorong)\s+(?:\p{Lu}[\p{L}.'-]*|\d{1,3}(?:/\d{1,3})?)(?:\s+(?:\p{Lu}[\p{L}.'-]*|\d{1,3}(?:/\d{1,3})?)){0,4}`),
		// numbered streets: Calle 50 N° 742 (La Plata), Avenida 7 nº 1201
		gw("es", `(?i:calle|avenida|av\.|diagonal|diag\.)\s+\d{1,3}\s*(?:(?i:n[º°o]\.?|núm\.?)|#)\s*\d{1,5}[A-Za-z]?\b`, unitES),
		// post-office boxes (every language) and street lines after an address word
		gw("box", poBox),
		{lang: "cue", re: regexp.MustCompile(`^` + cuedStreet), atWord: true, sub: true},
		{lang: "dlv", re: regexp.MustCompile(`^` + deliveredStreet), atWord: true, sub: true},
		// Arabic lines led by a tower or building name: برج خليفة، الطابق 34، شقة 3402
		g("ar", `(?:برج|عمارة|مبنى|بناية|مجمع)\s+(?:\p{Arabic}+\s*){1,3}[،,]\s*(?:الطابق|الدور|طابق|دور|شقة|مكتب)\s*\d{1,5}(?:\s*[،,]\s*(?:شقة|مكتب|الطابق|الدور)\s*\d{1,5})*`),
		// Swedish: Drottninggatan 53, lgh 1102; Storgatan 5B
		g("sv", `\b(?:\p{Lu}[\p{L}-]*\s+)?\p{Lu}[\p{L}-]*(?:gatan|vägen|gränd|torget|stigen|allén|backen|gata|väg|leden)\s+\d{1,4}\s?[A-Za-z]?\b(?:,?\s*(?i:lgh|lägenhet|lght)\.?\s*\d{1,4})?`),
		// Thai: 99/12 ถนนสุขุมวิท ซอย 21; 123 หมู่ 4 ตำบลสุเทพ
		g("th", `\d{1,5}(?:/\d{1,4})?\s*(?:(?:หมู่(?:ที่)?|ม\.)\s*\d{1,3}\s*)?(?:(?:ถนน|ถ\.|ซอย|ซ\.|ตำบล|ต\.|แขวง|หมู่บ้าน|อาคาร)\s*(?:\p{Thai}+|\d{1,4})(?:\s+\d{1,4})?\s*){1,3}`),
		// Hindi: मकान नं. 45, गली नं. 3, लाजपत नगर
		g("hi", `(?:मकान|घर|फ्लैट|प्लॉट|हाउस|म\.)\s*(?:नं\.?|नंबर|संख्या|न\.)\s*\d{1,5}(?:/\d{1,4})?(?:\s*,\s*(?:गली|सड़क|मार्ग|सेक्टर|ब्लॉक|रोड)\s*(?:नं\.?|नंबर)?\s*\d{1,4}[A-Za-z]?)*(?:\s*,\s*\p{Devanagari}+(?:\s+\p{Devanagari}+)?\s+(?:नगर|कॉलोनी|विहार|पुरम|मार्ग|बाग|गंज))?`),
		// Indian flat codes (B-204, Shanti Vihar, Sector 12)
		g("enf", flatIN, unitEN),
		// Iberian floors after a street with no street word (Gran Vía 28, 6º izq.)
		g("flr", floorIB, unitES),
		{lang: "ent", re: regexp.MustCompile(typeOnlyEN), sub: true, tail: tail([]string{unitEN})},
		// Kyoto: the street (通), a direction (上る/下ル/東入ル) and the town's number
		g("jak", `(?:\p{Han}{1,3}[都道府県])?\p{Han}{1,5}市\p{Han}{1,4}区[\p{Han}\p{Hiragana}\p{Katakana}ー]{0,10}?通[\p{Han}\p{Hiragana}\p{Katakana}ー]{0,10}?(?:上る|下る|上ル|下ル|入る|入ル|上がる|下がる)[\p{Han}\p{Hiragana}\p{Katakana}ー]{0,10}?(?:\d{1,4}|[一二三四五六七八九十百]{1,4})(?:番地?)?(?:[-−－]\d{1,4}){0,2}`, bldgJA),
		gs("vi", `((?:(?i:số)\s+)?\b\d{1,4}[A-Za-z]?(?:/\d{1,4}[A-Za-z]?)*\s+\p{Lu}\p{L}*(?:\s+\p{Lu}\p{L}*){1,3}),\s*(?:Phường|P\.|Quận|Q\.|Huyện|Xã|Thị xã)`),
	}
	for i := range grammars {
		grammars[i].bit, grammars[i].loc = langBit[grammars[i].lang], grammarLocale(grammars[i].lang)
		switch grammars[i].lang {
		case "cue", "dlv", "flr", "enf", "ent":
			grammars[i].stop = true
		}
	}
	// 北京市朝阳区建国路88号, 台北市信義區信義路五段7號12樓
	zhCore = regexp.MustCompile(`(?:路|街|大道|大街|道|巷|弄|胡同|里)(?:[东西南北中東一二三四五六七八九十0-9]{1,3}段)?(?:\d{1,4}(?:巷|弄))*\d{1,5}(?:号|號)(?:之\d{1,3})?`)
	// 翠苑小区12幢3单元402, 锦绣花园7栋1单元1503, 阳光新村3期5号楼: a
	// housing estate's building without a road (the room is added by zhTail/zhRoom)
	zhEstate = regexp.MustCompile(`(?:小区|小區|花园|花園|家园|家園|新村|新城|公寓|社区|社區|苑|园|園|府|庭|城|里|大厦|大廈|广场|廣場|中心|村)(?:[一二三四五六七八九十0-9]{1,2}期)?(?:[A-Z0-9]{1,3}|[一二三四五六七八九十]{1,3})(?:栋|棟|幢|座|号楼|號樓)`)
	zhVillage = regexp.MustCompile(`(?:\p{Han}{2,3}(?:省|自治区))?\p{Han}{2,4}(?:市|州|盟)\p{Han}{1,4}(?:县|縣|区|區|旗|市)\p{Han}{1,4}(?:镇|鎮|乡|鄉)\p{Han}{1,5}?(?:村|屯|寨)(?:\d{1,3}(?:组|組|队|隊))?(?:\d{1,4}(?:号|號))?`)
	reBeforePostcode, reBeforeTown = regexp.MustCompile(beforePostcode), regexp.MustCompile(beforeTown)
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
	if f.zhVillage && o.locale("zh") {
		// 河南省周口市郸城县宁平镇王楼村: a village has no street number
		grammarsOnce.Do(loadGrammars)
		for _, m := range zhVillage.FindAllStringIndex(text, -1) {
			s := m[0]
			// the match may start on a word before the place ("寄到湖南省…")
			for s < m[1] {
				r, w := utf8.DecodeRuneInString(text[s:])
				if !strings.ContainsRune(zhStop, r) {
					break
				}
				s += w
			}
			c = append(c, Span{Type: Address, Start: s, End: m[1]})
		}
	}
	if !f.digit {
		return c
	}
	grammarsOnce.Do(loadGrammars)
	var (
		langs   langSet
		checked bool
		buf     [16]wordAt
		words   []wordAt
	)
	for _, g := range grammars {
		bit := g.bit
		if checked && langs&bit == 0 {
			continue // cheap pre-check: no street word of this grammar in the text
		}
		if g.loc != "" && len(o.Locales) > 0 && !o.locale(g.loc) || f.ascii && (g.lang == "ja" || g.lang == "jak" || g.lang == "ko" || g.lang == "ru" || g.lang == "ar") {
			continue
		}
		if !checked {
			langs, words = triggeredLangs(text, f, buf[:0])
			checked = true
			if langs&bit == 0 {
				continue
			}
		}
		if g.atWord {
			for _, w := range words {
				if w.langs&bit == 0 {
					continue
				}
				if g.sub {
					if m := g.re.FindStringSubmatchIndex(text[w.at:]); m != nil && m[2] >= 0 && !(g.stop && notStreet(text[w.at+m[2]:w.at+m[3]])) {
						c = addStreet(text, w.at+m[2], g.withTail(text, w.at+m[3]), c)
					}
				} else if m := g.re.FindStringIndex(text[w.at:]); m != nil {
					c = addStreet(text, w.at+m[0], g.withTail(text, w.at+m[1]), c)
				}
			}
			continue
		}
		for _, m := range g.re.FindAllStringSubmatchIndex(text, -1) {
			s, e := m[0], m[1]
			if g.sub {
				if m[2] < 0 {
					continue
				}
				s, e = m[2], m[3]
			}
			if g.stop {
				if s = trimLead(text, s, e); notStreet(text[s:e]) {
					continue
				}
			}
			c = addStreet(text, s, g.withTail(text, e), c)
		}
	}
	if checked && (f.postcode || langs&ctyBit != 0) {
		c = scanBeforeTown(text, f.postcode, words, c)
	}
	if o.locale("zh") && f.zhStreet && f.zhNumber {
		c = scanZhAddresses(text, zhCore, c)
	}
	if o.locale("zh") && f.zhBuilding {
		c = scanZhAddresses(text, zhEstate, c)
	}
	return c
}

// withTail returns where a street match ending at text[e] ends with the
// units written after it (g.tail).
func (g *streetGrammar) withTail(text string, e int) int {
	if g.tail == nil {
		return e
	}
	if m := g.tail.FindStringIndex(text[e:]); m != nil {
		return e + m[1]
	}
	return e
}

// addStreet appends the street match text[s:e], trimmed: it starts after a
// number it is glued to (afterNumber) and ends before spaces and commas.
func addStreet(text string, s, e int, c []Span) []Span {
	s = afterNumber(text, s)
	for e > s && (text[e-1] == ' ' || text[e-1] == ',') {
		e--
	}
	if s >= e {
		return c
	}
	return append(c, Span{Type: Address, Start: s, End: e})
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

// scanZhAddresses finds "…路88号…室" (core zhCore) or "…小区12幢…"
// (zhEstate) and extends it left over the place
// names in front and right over building, unit and room.
func scanZhAddresses(text string, core *regexp.Regexp, c []Span) []Span {
	for _, m := range core.FindAllStringIndex(text, -1) {
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

// grammarLocale is the locale that enables grammar language lang: the
// post-office box and address-word grammars run in every locale ("box",
// "cue"), the English lines led by a unit ("enl") with English.
func grammarLocale(lang string) string {
	switch lang {
	case "box", "cue", "dlv", "flr":
		return ""
	case "enl", "enx", "enn", "enf", "ent":
		return "en"
	case "jak":
		return "ja"
	case "ptb":
		return "pt"
	}
	return lang
}

// streetWords are the words without which grammar lang cannot match.
var streetWords = map[string][]string{
	"enx": {"broadway", "west", "east", "north", "south", "parade", "pde", "expressway", "expy", "freeway", "fwy", "esplanade", "turnpike", "tpke", "causeway", "cswy", "promenade"},
	"enn": {"one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve", "fifteen", "twenty", "thirty", "forty", "fifty", "hundred"},
	"enf": {"vihar", "nagar", "enclave", "colony", "apartments", "apts", "society", "chs", "residency", "kunj", "bagh", "puram", "layout", "complex", "niwas", "sadan", "bhavan", "dham", "heights", "towers", "gardens", "park", "extension", "marg", "sector", "block", "phase", "pocket"},
	"ent": {"esplanade", "parade", "strand", "promenade", "embankment", "causeway", "crescent", "terrace", "boulevard", "circus", "green", "mall", "avenue", "drive", "close", "grove", "mews", "quadrant", "broadway", "square", "ridgeway", "rise", "glade", "paddock", "chase", "spinney", "croft", "dell", "lanes", "parkway"},
	"cty": {"amsterdam", "rotterdam", "haag", "utrecht", "eindhoven", "groningen", "haarlem", "leiden", "delft", "maastricht", "antwerpen", "gent", "brugge", "leuven", "brussel", "bruxelles", "liège", "namur", "basel", "bern", "zürich", "zurich", "genève", "geneve", "lausanne", "luzern", "lugano", "gallen", "winterthur", "wien", "graz", "linz", "salzburg", "innsbruck", "berlin", "hamburg", "münchen", "köln", "frankfurt", "stuttgart", "düsseldorf", "leipzig", "dresden", "hannover", "nürnberg", "bremen", "essen", "dortmund", "bonn", "münster", "freiburg", "heidelberg", "mannheim", "karlsruhe", "augsburg", "paris", "lyon", "marseille", "toulouse", "nice", "nantes", "strasbourg", "bordeaux", "lille", "rennes", "montpellier", "luxembourg", "madrid", "barcelona", "valencia", "sevilla", "málaga", "malaga", "bilbao", "zaragoza", "granada", "palma", "roma", "milano", "napoli", "torino", "firenze", "bologna", "venezia", "genova", "verona", "palermo", "lisboa", "porto", "braga", "coimbra", "faro", "københavn", "stockholm", "oslo", "helsinki", "praha", "warszawa", "kraków", "budapest", "dublin", "london"},
	"flr": {"depto", "dpto", "departamento", "apto", "apartamento", "oficina", "of", "casa", "interior", "local", "sala", "bloco", "torre", "º", "ª", "izq", "izqda", "izquierda", "dcha", "dch", "derecha", "drcha", "esq", "esquerdo", "direito", "dto", "piso", "planta", "andar", "bajo", "entresuelo", "ático", "atico"},
	"en":  {"street", "st", "avenue", "ave", "road", "rd", "boulevard", "blvd", "lane", "ln", "drive", "dr", "court", "ct", "way", "place", "pl", "terrace", "close", "crescent", "highway", "hwy", "parkway", "pkwy", "square", "sq", "mews", "gardens", "grove", "circle", "cir", "row", "walk", "trail", "trl", "loop", "alley", "aly", "pike", "plaza", "wharf", "quay", "hts"},
	"fr":  {"rue", "avenue", "av", "boulevard", "bd", "place", "allée", "allee", "chemin", "impasse", "quai", "route", "cours", "square", "passage", "boul", "pl", "ch", "imp", "rte", "faubourg", "fbg", "cité", "cite", "résidence", "chaussée", "chaussee", "voie", "sentier", "rond", "hameau", "montée", "esplanade", "promenade", "parvis", "lotissement", "drève", "venelle", "ruelle"},
	"es":  {"calle", "c", "avenida", "avda", "av", "paseo", "plaza", "pza", "camino", "carrer", "ronda", "travesía", "glorieta", "carretera", "cl", "cll", "carrera", "cra", "kr", "cr", "transversal", "tv", "diagonal", "dg", "ak", "ac", "avd", "pº", "travesia", "ctra", "jr", "jirón", "jiron", "pasaje", "psje", "pje", "prolongación", "prolongacion", "prol", "calzada", "calz", "callejón", "callejon", "privada", "priv", "cerrada", "circuito", "andador", "boulevard", "blvd", "bulevar", "malecón", "malecon", "alameda", "rambla", "passeig", "vía", "via", "camí", "urbanización", "urb", "rúa", "bv", "bvd", "bvar"},
	"it":  {"via", "viale", "piazza", "corso", "largo", "vicolo", "piazzale", "strada", "lungarno", "lungomare", "lungotevere", "lungolago", "borgo", "contrada", "salita", "traversa", "calle", "campo", "fondamenta", "rione", "v", "p", "l", "c", "str", "località", "loc", "frazione", "fraz"},
	"pt":  {"rua", "avenida", "av", "avda", "travessa", "tv", "trav", "alameda", "al", "praça", "pç", "largo", "lgo", "beco", "estrada", "estr", "rodovia", "rod", "viela", "servidão", "calçada", "ladeira", "quadra", "r", "condomínio", "condominio", "cond", "residencial", "edifício", "edificio", "ed", "conjunto", "vila"},
	"ptb": {"sqn", "sqs", "sqsw", "sqnw", "shis", "shin", "shces", "scln", "scls", "cln", "cls", "qi", "ql", "qe", "qnm", "qnn", "qnd"},
	"de":  {"straße", "strasse", "str", "weg", "platz", "allee", "gasse", "ring", "damm", "ufer", "chaussee", "steig", "pfad", "markt"},
	"ar":  {"برج", "عمارة", "مبنى", "بناية", "مجمع", "شارع", "طريق", "جادة", "ميدان", "حي", "زقاق", "زنقة", "نهج", "درب", "ممر"},
	"tr":  {"caddesi", "cad", "cd", "sokak", "sokağı", "sok", "sk", "bulvarı", "blv", "bulv", "mahallesi", "mah", "meydanı", "yolu"},
	"pl":  {"ul", "ulica", "al", "aleja", "pl", "plac", "os", "osiedle"},
	"id":  {"jl", "jln", "jalan", "gg", "gang", "lorong"},
	"box": {"p", "po", "post", "rr", "hc", "postfach", "bp", "b", "boîte", "boite", "apartado", "apdo", "caixa", "cx", "casella", "postbus", "posta", "skrytka", "skr", "а", "абонентский", "ص", "صندوق"},
	"enl": {"flat", "apt", "apartment", "unit", "suite", "ste", "house", "h", "plot", "door", "shop", "office", "villa", "blk", "block"},
	"dlv": {"ship", "send", "deliver", "liefern", "schicken", "senden", "bitte", "lieferung", "versand", "zustellung", "sturen", "stuur", "bezorgen", "leveren", "verzenden", "envoyer", "livrer", "livraison", "expédier", "enviar", "mandar", "envío", "envio", "entregar", "spedire", "consegnare", "inviare", "spedizione", "consegna"},
	"cue": {"address", "adres", "adresse", "anschrift", "adresa", "indirizzo", "dirección", "direccion", "endereço", "endereco", "morada", "alamat", "διεύθυνση", "адрес", "adressen", "osoite", "cím"},
	"vi":  {"đường", "phố", "ngõ", "hẻm", "ngách", "kiệt", "phường", "quận", "huyện", "xã"},
	"ru":  {"ул", "улица", "улице", "улицы", "улицу", "пр", "пр-т", "т", "проспект", "проспекте", "проспекта", "пер", "переулок", "переулке", "наб", "набережная", "набережной", "бульвар", "бульваре", "б", "шоссе", "мкр", "мкрн", "микрорайон", "микрорайоне", "микрорайона", "пл", "площадь", "площади", "проезд", "проезде", "тупик", "кт", "просп", "бул", "аллея", "аллее", "аллеи", "тракт", "тракте", "линия", "линии"},
}

// langSet is a bit set of grammar languages (langBit).
type langSet uint32

var langBit = map[string]langSet{"en": 1, "fr": 2, "es": 4, "it": 8, "pt": 16, "de": 32, "ru": 64, "ja": 128, "ko": 256, "ar": 512, "nl": 1024, "tr": 2048, "vi": 4096, "pl": 8192, "id": 16384, "box": 1 << 15, "cue": 1 << 16, "sv": 1 << 17, "th": 1 << 18, "hi": 1 << 19, "enl": 1 << 20, "enx": 1 << 21, "enn": 1 << 22, "ptb": 1 << 23, "enf": 1 << 24, "flr": 1 << 25, "pcd": 1 << 26, "cty": 1 << 27, "jak": 1 << 28, "ent": 1 << 29, "dlv": 1 << 30}

// dePrefixes are the first words of German street names without a street
// word (Am Markt 4, Unter den Linden 77): they trigger the German grammars.
var dePrefixes = map[string]bool{"am": true, "an": true, "auf": true, "im": true, "in": true, "unter": true, "zum": true, "zur": true, "hinter": true, "vor": true, "beim": true, "alte": true, "alter": true, "altes": true}

var deBit, nlBit, svBit = langBit["de"], langBit["nl"], langBit["sv"]

// svStreet reports whether word ends like a Swedish street name
// (Drottninggatan, Sveavägen, Stortorget): checked on every word of a text,
// so the last two bytes pick the suffixes worth comparing.
func svStreet(word string) bool {
	n := len(word)
	if n < 4 {
		return false
	}
	var sufs []string
	switch string([]byte{lowerASCII(word[n-2]), lowerASCII(word[n-1])}) {
	case "an":
		sufs = svAn
	case "en":
		sufs = svEn
	case "\xa9n":
		sufs = svEacute
	case "nd":
		sufs = svNd
	case "et":
		sufs = svEt
	case "ta":
		sufs = svTa
	case "\xa4g":
		sufs = svAg
	default:
		return false
	}
	for _, suf := range sufs {
		if hasSuffixFold(word, suf) {
			return true
		}
	}
	return false
}

// the Swedish street suffixes by their last two bytes (svStreet)
var (
	svAn, svEn, svEacute   = []string{"gatan"}, []string{"vägen", "stigen", "backen", "leden"}, []string{"allén"}
	svNd, svEt, svTa, svAg = []string{"gränd"}, []string{"torget"}, []string{"gata"}, []string{"väg"}
)

// deStreetWords are streetWords["de"] (without a map look-up per word);
// deStreetWordsByLast and nlSuffixesByLast list the German street words and
// the Dutch suffixes by their last byte, for the suffix tests of an ASCII
// word (lower-cased: its last byte is the suffix's last byte).
var (
	deStreetWords       = streetWords["de"]
	deStreetWordsByLast = byLastByte(deStreetWords)
	nlSuffixesByLast    = byLastByte(nlSuffixes)
)

func byLastByte(words []string) (m [256][]string) {
	for _, w := range words {
		m[w[len(w)-1]] = append(m[w[len(w)-1]], w)
	}
	return m
}

// lookupWords marks the first and last bytes of the keys of
// streetWordLangs, dePrefixes and nlWords: a lower-cased word whose pair is
// not marked is in none of them (no map look-up needed).
var lookupWords = func() (t [256][256]bool) {
	for w := range streetWordLangs {
		t[w[0]][w[len(w)-1]] = true
	}
	for w := range dePrefixes {
		t[w[0]][w[len(w)-1]] = true
	}
	for w := range nlWords {
		t[w[0]][w[len(w)-1]] = true
	}
	return t
}()

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
	zhBuilding         bool // 栋棟幢座楼樓: zhEstate needs one
	jaArea, jaDash     bool // 市区町村郡; 丁目 or a dash (the ja grammar needs both)
	ko                 bool // 로길 (road names), 동읍면리 (lot-number addresses)
	th, hi             bool // Thai and Devanagari letters
	zhVillage          bool // 村 with 镇 or 乡 (a rural Chinese address)
	kyoto              bool // 上る, 下ル, 入ル: a Kyoto street direction
	postcode           bool // 4 or 5 ASCII digits, a space and a capital: "4051 Basel"
}

func addressCues(text string) cues {
	f := cues{ascii: true}
	town, run := 0, 0 // run: ASCII digits just before text[i]
	var prev rune
	for i := 0; i < len(text); {
		b := text[i]
		if b < utf8.RuneSelf {
			switch {
			case b >= '0' && b <= '9':
				f.digit = true
				run++
				i++
				continue
			case b == '-':
				f.jaDash = true
			case b == ' ' && (run == 4 || run == 5) && i+1 < len(text) && text[i+1] >= 'A' && text[i+1] <= 'Z':
				f.postcode = true
			}
			run = 0
			i++
			continue
		}
		run = 0
		f.ascii = false
		r, w := utf8.DecodeRuneInString(text[i:])
		if (r == 'る' || r == 'ル') && (prev == '上' || prev == '下' || prev == '入') {
			f.kyoto = true
		}
		prev = r
		switch r {
		case '路', '街', '道', '巷', '弄', '同', '里':
			f.zhStreet = true
		case '号', '號':
			f.zhNumber = true
		case '栋', '棟', '幢', '座', '楼', '樓':
			f.zhBuilding = true
		case '市', '区', '町', '村', '郡':
			f.jaArea = true
			if r == '村' {
				town |= 2
			}
		case '目', '−', '－', '番':
			f.jaDash = true
		case '로', '길', '동', '읍', '면', '리':
			f.ko = true
		case '屯', '寨':
			town |= 2
		case '镇', '鎮', '乡', '鄉':
			town |= 1
		}
		switch {
		case r >= 0x0E00 && r <= 0x0E7F:
			f.th = true
		case r >= 0x0900 && r <= 0x097F:
			f.hi = true
		}
		i += w
	}
	f.zhVillage = town == 3
	return f
}

// triggeredLangs returns the languages whose grammar may match text: one
// of its street words is a word of the text (lower-cased letter runs; for
// German also a word ending: Hauptstraße), or for Japanese and Korean one
// of their address characters occurs.
//
// It also appends to words where each street word starts and the
// languages it triggers (for the grammars anchored at their street word).
func triggeredLangs(text string, f cues, words []wordAt) (langSet, []wordAt) {
	var set langSet
	var lb [48]byte
	if f.jaArea && f.jaDash {
		set |= langBit["ja"]
	}
	if f.ko {
		set |= langBit["ko"]
	}
	if f.jaArea && f.kyoto {
		set |= langBit["jak"]
	}
	if f.th {
		set |= langBit["th"]
	}
	if f.hi {
		set |= langBit["hi"]
	}
	for i := 0; i < len(text); {
		// ASCII bytes are tested inline (a letter below utf8.RuneSelf is
		// A–Z or a–z), others decoded; words are maximal letter runs
		if c := text[i]; c < utf8.RuneSelf {
			if !isASCIILetter(c) {
				i++
				continue
			}
		} else if r, w := utf8.DecodeRuneInString(text[i:]); !unicode.IsLetter(r) {
			i += w
			continue
		}
		j := i
		for j < len(text) {
			if c := text[j]; c < utf8.RuneSelf {
				if !isASCIILetter(c) {
					break
				}
				j++
				continue
			}
			r, w := utf8.DecodeRuneInString(text[j:])
			if !unicode.IsLetter(r) {
				break
			}
			j += w
		}
		word := text[i:j]
		// the map look-ups take the word in lower case: an ASCII word is
		// lowered into lb (string(key) in a map index does not allocate),
		// others with strings.ToLower (copies only when there is upper case)
		var ls langSet
		var dePrefix, nlWord bool
		// an ASCII word's suffixes are compared in lower case (the same
		// answer as hasSuffixFold, whose EqualFold decodes runes)
		lowASCII, isASCII := lowerASCIIInto(word, &lb)
		if len(word) <= maxStreetWord {
			// (an ASCII word whose first and last bytes no key of the
			// maps has is in none of them: lookupWords)
			if key, ok := lowASCII, isASCII; ok {
				if lookupWords[key[0]][key[len(key)-1]] {
					ls = streetWordLangs[string(key)]
					dePrefix = set&deBit == 0 && dePrefixes[string(key)]
					nlWord = set&nlBit == 0 && nlWords[string(key)]
				}
			} else {
				low := strings.ToLower(word)
				ls = streetWordLangs[low]
				dePrefix = set&deBit == 0 && dePrefixes[low]
				nlWord = set&nlBit == 0 && nlWords[low]
			}
		}
		if ls != 0 {
			set |= ls
			words = append(words, wordAt{at: i, langs: ls})
		}
		if set&deBit == 0 && dePrefix {
			set |= deBit
		}
		if set&nlBit == 0 {
			if nlWord {
				set |= nlBit
			} else {
				sufs := nlSuffixes
				if isASCII {
					sufs = nlSuffixesByLast[lowASCII[len(lowASCII)-1]]
				}
				for _, suf := range sufs {
					if isASCII && hasSuffixBytes(lowASCII, suf) || !isASCII && hasSuffixFold(word, suf) {
						set |= nlBit
						break
					}
				}
			}
		}
		if set&svBit == 0 && svStreet(word) {
			set |= svBit
		}
		if set&deBit == 0 && deLastByte[lowerASCII(word[len(word)-1])] {
			sufs := deStreetWords
			if isASCII {
				sufs = deStreetWordsByLast[lowASCII[len(lowASCII)-1]]
			}
			for _, suf := range sufs {
				if isASCII && hasSuffixBytes(lowASCII, suf) || !isASCII && hasSuffixFold(word, suf) {
					set |= deBit
					break
				}
			}
		}
		i = j
	}
	return set, words
}

// lowerASCIIInto writes w in lower case into buf and returns it, or ok
// false when w is not ASCII or longer than buf.
func lowerASCIIInto(w string, buf *[48]byte) (key []byte, ok bool) {
	if len(w) > len(buf) {
		return nil, false
	}
	for k := 0; k < len(w); k++ {
		c := w[k]
		if c >= utf8.RuneSelf {
			return nil, false
		}
		buf[k] = lowerASCII(c)
	}
	return buf[:len(w)], true
}

func lowerASCII(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + ('a' - 'A')
	}
	return c
}

// hasSuffixFold reports whether w ends with the lower-case suffix suf,
// ignoring case (Kerkstraat, HAUPTSTRASSE).
func hasSuffixFold(w, suf string) bool {
	return len(w) >= len(suf) && strings.EqualFold(w[len(w)-len(suf):], suf)
}

// hasSuffixBytes reports whether b ends with suf (no conversion of b).
func hasSuffixBytes(b []byte, suf string) bool {
	return len(b) >= len(suf) && string(b[len(b)-len(suf):]) == suf
}

// wordAt is where a street word starts in a text and the languages whose
// grammars it may start.
type wordAt struct {
	at    int
	langs langSet
}

// notStreet reports whether a street line matched without a street word
// holds a word that names something else: an order, a product, a size, a
// phone, a date ("Bestellung 4521 in Berlin", "Telefon 030 12345 Danke",
// "Talla 42, 3º pedido").
func notStreet(line string) bool {
	for i := 0; i < len(line); {
		r, w := utf8.DecodeRuneInString(line[i:])
		if !unicode.IsLetter(r) {
			i += w
			continue
		}
		j := i
		for j < len(line) {
			r, w := utf8.DecodeRuneInString(line[j:])
			if !unicode.IsLetter(r) {
				break
			}
			j += w
		}
		if notStreetWords[strings.ToLower(line[i:j])] {
			return true
		}
		i = j
	}
	return false
}

// notStreetWords are the lower-case words of notStreet.
var notStreetWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`order orders bestellung bestellnummer bestelling commande pedido orden ordine encomenda rechnung factuur facture factura fattura fatura invoice
		artikel article artículo articulo articolo artigo item größe grösse size taille talla taglia tamanho maat nummer number numéro numero número nr no nº
		paket pakket colis paquete pacco pacote parcel sendung zending envío envio spedizione filiale store shop winkel magasin tienda negozio loja
		gate zimmer room kamer chambre habitación habitacion camera quarto tel telefon telefoon téléphone telefono teléfono telefone phone fax handy mobil mobiel mobile natel
		iphone galaxy pixel model modell modelo modèle modello version versión ticket ref referenz référence referencia riferimento code kunde kundennummer klant client cliente customer
		stück stuck stuk pièce pièces pieza piezas pezzi peças peca tag dag jour día dia giorno woche week semaine semana settimana seite page página pagina
		platz reihe sitz seat level kapitel chapter lektion band flug flight vol vuelo volo voo zug train gleis bus linie line ligne línea linea halle hall stand termin
		januar februar märz april mai juni juli august september oktober november dezember january february march may june july october december
		janvier février mars avril juin juillet août septembre octobre novembre décembre enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre
		gennaio febbraio aprile maggio giugno luglio settembre ottobre dicembre janeiro fevereiro março maio junho julho setembro outubro novembro dezembro
		januari februari maart mei augustus montag dienstag mittwoch donnerstag freitag samstag sonntag monday tuesday wednesday thursday friday saturday sunday
		rabatt discount korting remise descuento sconto desconto preis price prijs prix precio prezzo preço euro eur chf usd dollar franken
		version akku battery garantie warranty garantía garanzia garantia retoure return retour devolución reso devolução rma
		kg gramm liter ml cm mm pack set box karton lieferung delivery levering livraison entrega consegna
		terminal air max pro plus ultra mini lite windows playstation xbox series serie edition gen generation ipad macbook watch switch kindle galaxy note
		team tisch kasse tochter sohn kind kinder zone top raum hotel stadion arena tour konzert concert ausgang exit eingang entrance schalter counter box kabine
		kapitel teil part partie parte folge episode staffel season saison temporada stagione runde round jahr year an ans año anno ano`) {
		m[w] = true
	}
	return m
}()

// trimLead returns where a street line matched without a street word at
// text[s:e] starts once the capitalised words of the sentence before the
// street are left out ("Bitte Spalenberg 12" is "Spalenberg 12").
func trimLead(text string, s, e int) int {
	for s < e {
		j := s
		for j < e && text[j] != ' ' && text[j] != ',' {
			j++
		}
		if j == e || !leadWords[strings.ToLower(text[s:j])] {
			return s
		}
		for j < e && (text[j] == ' ' || text[j] == ',') {
			j++
		}
		s = j
	}
	return s
}

// leadWords are the words of trimLead.
var leadWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`bitte please pls hallo hello hi hola bonjour ciao olá ola hoi graag gerne merci gracias grazie obrigado danke thanks
		ich wir ik je yo io eu we i meine mein my ma mon mi mia mio minha meu mijn
		lieferadresse adresse adres address dirección direccion indirizzo endereço morada an nach to naar op aan à au chez a en em para per in im at bei`) {
		m[w] = true
	}
	return m
}()

// afterArticle reports whether the word before a street line matched
// without a street word is an article, a possessive or a preposition of
// time: then it is a noun ("die Air Max 90 in Berlin", "seit 2019"), not a
// street.
func afterArticle(before string) bool {
	before = strings.TrimRight(before, " ")
	i := len(before)
	for i > 0 {
		r, w := utf8.DecodeLastRuneInString(before[:i])
		if !unicode.IsLetter(r) {
			break
		}
		i -= w
	}
	return articleWords[strings.ToLower(before[i:])]
}

// articleWords are the words of afterArticle.
var articleWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`die der das den dem des ein eine einen einem meine mein meinen meinem unsere unser the a an my your our his her their this that
		le la les un une mon ma mes notre votre ce cette el los las una mi mis su sus nuestro nuestra il lo gli uno mio mia nostro nostra questo questa
		o os as um uma meu minha nosso nossa het een mijn onze dit deze seit since depuis desde dal sinds vanaf ab für for pour por per para voor avec with mit met con com`) {
		m[w] = true
	}
	return m
}()

// scanBeforeTown appends the street lines written without a street word
// right before a postcode and town (postcode: the text has one, see
// cues.postcode) or before a big town's name (a word of words with the
// "cty" language): "Spalenberg 12, 4051 Basel", "Damrak 70, Amsterdam".
// Each is matched backwards from the postcode or the town, so the cost is
// one small match per postcode or town, not a scan of the text.
func scanBeforeTown(text string, postcode bool, words []wordAt, c []Span) []Span {
	add := func(re *regexp.Regexp, at int) {
		from := max(0, at-100)
		m := re.FindStringSubmatchIndex(text[from:at])
		if m == nil || m[2] < 0 {
			return
		}
		s, e := from+m[2], from+m[3]
		if from > 0 && m[0] == 0 {
			// the window may start inside a word
			if r, _ := utf8.DecodeLastRuneInString(text[:from]); unicode.IsLetter(r) || unicode.IsDigit(r) {
				return
			}
		}
		if s = trimLead(text, s, e); s >= e || notStreet(text[s:e]) || afterArticle(text[:s]) {
			return
		}
		c = addStreet(text, s, e, c)
	}
	if postcode {
		for i, run := 0, 0; i < len(text); i++ {
			b := text[i]
			if b >= '0' && b <= '9' {
				run++
				continue
			}
			if b == ' ' && (run == 4 || run == 5) && postcodeTown(text[i:]) {
				add(reBeforePostcode, i-run)
			}
			run = 0
		}
	}
	for _, w := range words {
		if w.langs&ctyBit != 0 && text[w.at] >= 'A' && text[w.at] <= 'Z' {
			add(reBeforeTown, w.at)
		}
	}
	return c
}

// postcodeTown reports whether rest (after a postcode's digits) goes on
// with a town: " Basel", " AB Amsterdam" (the Dutch letters).
func postcodeTown(rest string) bool {
	if len(rest) > 4 && rest[0] == ' ' && rest[1] >= 'A' && rest[1] <= 'Z' && rest[2] >= 'A' && rest[2] <= 'Z' && rest[3] == ' ' {
		rest = rest[3:]
	}
	if len(rest) < 3 || rest[0] != ' ' || rest[1] < 'A' || rest[1] > 'Z' {
		return false
	}
	r, _ := utf8.DecodeRuneInString(rest[2:])
	return unicode.IsLower(r)
}
