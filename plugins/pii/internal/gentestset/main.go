// Command gentestset writes plugins/pii/testdata/test.jsonl, the held-out
// labelled set that TestAccuracy and `kefu pii eval` measure package pii on.
//
// It is a template generator with a fixed seed: shopper-message templates
// per locale (written separately from dev.jsonl, see testdata/README.md) are
// filled with synthetic personal data that is valid where real data is
// (Luhn, mod-97, ID checksums, numbering plans) and with hard negatives
// (order, tracking, SKU, coupon numbers, prices, dates). Rerun with
//
//	go run ./plugins/pii/internal/gentestset > plugins/pii/testdata/test.jsonl
//
// The output only changes when this file does.
package main

import (
	"encoding/json"
	"fmt"
	"math/big"
	"math/rand/v2"
	"os"
	"strings"
)

var rng = rand.New(rand.NewPCG(20241125, 4))

func digits(n int) string {
	var b strings.Builder
	for range n {
		b.WriteByte(byte('0' + rng.IntN(10)))
	}
	return b.String()
}

func pick[T any](xs ...T) T { return xs[rng.IntN(len(xs))] }

func nz(n int) string { return string(byte('1'+rng.IntN(9))) + digits(n-1) }

func pii(t, v string) string { return "{{" + t + "|" + v + "}}" }

// ---- phones

func cnMobile() string {
	p := "1" + pick("3", "5", "7", "8", "9") + digits(9)
	switch rng.IntN(6) {
	case 0:
		return p[:3] + " " + p[3:7] + " " + p[7:]
	case 1:
		return p[:3] + "-" + p[3:7] + "-" + p[7:]
	case 2:
		return "+86 " + p
	case 3:
		return "+86-" + p[:3] + "-" + p[3:7] + "-" + p[7:]
	}
	return p
}

func cnLandline() string {
	area := pick("010", "021", "020", "0755", "0571", "028", "027")
	n := nz(8)
	if len(area) == 4 && rng.IntN(2) == 0 {
		n = nz(7)
	}
	switch rng.IntN(3) {
	case 0:
		return area + "-" + n
	case 1:
		return "(" + area + ") " + n
	}
	return area + n
}

func nanp() (string, string, string) {
	return string(byte('2'+rng.IntN(8))) + digits(2), string(byte('2'+rng.IntN(8))) + digits(2), digits(4)
}

func usPhone() string {
	a, b, c := nanp()
	return pick("("+a+") "+b+"-"+c, a+"-"+b+"-"+c, a+"."+b+"."+c, "+1 "+a+" "+b+" "+c, "1-"+a+"-"+b+"-"+c, "+1 ("+a+") "+b+"-"+c)
}

func ukPhone() string {
	m := "7" + pick("700", "911", "400", "833") + " " + digits(6)
	return pick("0"+m, "+44 "+m, "020 7946 0"+digits(3), "+44 20 7946 0"+digits(3), "0161 496 0"+digits(3))
}

func dePhone() string {
	mob := pick("151", "160", "170", "176") + " " + nz(8)
	return pick("0"+mob, "+49 "+mob, "030 "+nz(8), "030/"+nz(7), "089 "+nz(7), "+49 (0)30 "+nz(8), "0"+strings.ReplaceAll(mob, " ", ""))
}

func frPhone() string {
	p := pick("6", "7", "1", "4") + digits(8)
	sp := p[:1] + " " + p[1:3] + " " + p[3:5] + " " + p[5:7] + " " + p[7:]
	return pick("0"+sp, "0"+p, "+33 "+sp, "+33"+p, "0"+p[:1]+"."+p[1:3]+"."+p[3:5]+"."+p[5:7]+"."+p[7:])
}

func esPhone() string {
	p := pick("6", "7") + digits(8)
	l := "91" + digits(7)
	return pick(p[:3]+" "+p[3:6]+" "+p[6:], "+34 "+p[:3]+" "+p[3:5]+" "+p[5:7]+" "+p[7:], "+34 "+p, l[:2]+" "+l[2:5]+" "+l[5:7]+" "+l[7:], p[:3]+" "+p[3:5]+" "+p[5:7]+" "+p[7:])
}

func itPhone() string {
	m := "3" + pick("47", "33", "28", "40") + digits(7)
	return pick(m[:3]+" "+m[3:6]+" "+m[6:], "+39 "+m[:3]+" "+m[3:], "+39 "+m, "06 "+digits(4)+" "+digits(4), m[:3]+" "+m[3:])
}

func brPhone() string {
	ddd := pick("11", "21", "31", "41", "51", "61", "71", "81")
	n := "9" + digits(4) + "-" + digits(4)
	return pick("("+ddd+") "+n, "+55 "+ddd+" "+n, "+55 ("+ddd+") "+n, "("+ddd+") "+digits(4)+"-"+digits(4))
}

func jpPhone() string {
	m := pick("090", "080", "070") + "-" + digits(4) + "-" + digits(4)
	return pick(m, "+81 "+m[1:], "03-"+digits(4)+"-"+digits(4), "06-"+digits(4)+"-"+digits(4), strings.ReplaceAll(m, "-", ""))
}

func krPhone() string {
	m := "010-" + digits(4) + "-" + digits(4)
	return pick(m, "+82 10-"+digits(4)+"-"+digits(4), "02-"+digits(3)+"-"+digits(4), strings.ReplaceAll(m, "-", ""), "010 "+digits(4)+" "+digits(4))
}

func ruPhone() string {
	p := "9" + digits(2)
	a, b, c := digits(3), digits(2), digits(2)
	return pick("+7 "+p+" "+a+"-"+b+"-"+c, "8 ("+p+") "+a+"-"+b+"-"+c, "+7 ("+p+") "+a+"-"+b+"-"+c, "8 "+p+" "+a+" "+b+" "+c, "8"+p+a+b+c)
}

func arPhone() string {
	return pick("+966 5"+digits(1)+" "+digits(3)+" "+digits(4), "05"+digits(1)+" "+digits(3)+" "+digits(4), "+971 5"+digits(1)+" "+digits(3)+" "+digits(4), "+20 10"+digits(1)+" "+digits(3)+" "+digits(4), "05"+digits(8))
}

func twPhone() string {
	p := "09" + digits(2)
	return pick(p+"-"+digits(3)+"-"+digits(3), p+" "+digits(3)+" "+digits(3), "+886 "+p[1:]+" "+digits(3)+" "+digits(3), "(02) "+digits(4)+"-"+digits(4), p+digits(6))
}

// ---- other data

func email() string {
	first := pick("wang", "li.na", "john", "anna.schmidt", "pierre", "maria_lopez", "giulia", "joao.pedro", "tanaka", "minji", "ivan.petrov", "fatima", "chen_1988", "m.rossi", "k.muller")
	dom := pick("gmail.com", "qq.com", "163.com", "outlook.com", "yahoo.co.jp", "naver.com", "mail.ru", "gmx.de", "orange.fr", "libero.it", "uol.com.br", "hotmail.co.uk", "icloud.com", "shop-mail.example.org")
	sep := "@"
	return first + pick("", "", digits(2), "+orders") + sep + dom
}

func luhnComplete(p string) string {
	for d := byte('0'); d <= '9'; d++ {
		s := p + string(d)
		sum, dbl := 0, false
		for i := len(s) - 1; i >= 0; i-- {
			v := int(s[i] - '0')
			if dbl {
				if v *= 2; v > 9 {
					v -= 9
				}
			}
			sum += v
			dbl = !dbl
		}
		if sum%10 == 0 {
			return s
		}
	}
	panic("unreachable")
}

func card() string {
	var c string
	switch rng.IntN(5) {
	case 0:
		c = luhnComplete("4" + digits(14))
	case 1:
		c = luhnComplete("5" + string(byte('1'+rng.IntN(5))) + digits(13))
	case 2:
		c = luhnComplete(pick("34", "37") + digits(12))
		if rng.IntN(2) == 0 {
			return c[:4] + " " + c[4:10] + " " + c[10:]
		}
		return c
	case 3:
		c = luhnComplete("62" + digits(pick(13, 16)))
	default:
		c = luhnComplete("35" + pick("28", "66", "89") + digits(11))
	}
	if rng.IntN(3) > 0 {
		var parts []string
		for i := 0; i < len(c); i += 4 {
			parts = append(parts, c[i:min(i+4, len(c))])
		}
		return strings.Join(parts, pick(" ", "-"))
	}
	return c
}

func prcID() string {
	area := pick("110101", "310104", "440305", "510107", "330106", "420111", "320582", "370202")
	y, m, d := 1950+rng.IntN(55), 1+rng.IntN(12), 1+rng.IntN(28)
	p := fmt.Sprintf("%s%04d%02d%02d%s", area, y, m, d, digits(3))
	w := []int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	s := 0
	for i := range 17 {
		s += int(p[i]-'0') * w[i]
	}
	return p + string("10X98765432"[s%11])
}

func iban(cc string) string {
	var bban string
	switch cc {
	case "DE":
		bban = digits(18)
	case "GB":
		bban = pick("WEST", "NWBK", "BARC", "MIDL") + digits(14)
	case "ES":
		bban = digits(20)
	case "IT":
		bban = string(byte('A'+rng.IntN(26))) + digits(22)
	case "NL":
		bban = pick("ABNA", "INGB", "RABO") + digits(10)
	case "FR":
		bban = digits(23)
	}
	conv := func(s string) string {
		var b strings.Builder
		for _, c := range s {
			if c >= 'A' && c <= 'Z' {
				fmt.Fprintf(&b, "%d", c-'A'+10)
			} else {
				b.WriteRune(c)
			}
		}
		return b.String()
	}
	n, _ := new(big.Int).SetString(conv(bban+cc+"00"), 10)
	r := new(big.Int).Mod(n, big.NewInt(97)).Int64()
	s := fmt.Sprintf("%s%02d%s", cc, 98-r, bban)
	if rng.IntN(3) > 0 {
		var parts []string
		for i := 0; i < len(s); i += 4 {
			parts = append(parts, s[i:min(i+4, len(s))])
		}
		return strings.Join(parts, " ")
	}
	return s
}

func passport(kind string) string {
	up := func(n int) string {
		var b strings.Builder
		for range n {
			b.WriteByte(byte('A' + rng.IntN(26)))
		}
		return b.String()
	}
	switch kind {
	case "cn":
		return pick("E", "G", "EA") + digits(8-len(pick("", "")))
	case "us":
		return nz(9)
	case "de":
		return "C" + pick("01X", "F4K", "H2L") + digits(2) + up(1) + digits(2)
	case "fr":
		return digits(2) + up(2) + digits(5)
	case "jp":
		return pick("TK", "TR", "MZ") + digits(7)
	case "kr":
		return "M" + digits(8)
	case "ru":
		return digits(2) + " " + digits(2) + " " + digits(6)
	}
	return up(2) + digits(7)
}

func cpf() string {
	for {
		d := digits(9)
		for k := 9; k <= 10; k++ {
			s := 0
			for i := range k {
				s += int(d[i]-'0') * (k + 1 - i)
			}
			r := s * 10 % 11
			if r == 10 {
				r = 0
			}
			d += string(byte('0' + r))
		}
		if strings.Count(d, d[:1]) != 11 {
			return pick(d[:3]+"."+d[3:6]+"."+d[6:9]+"-"+d[9:], d)
		}
	}
}

func dni() string {
	n := rng.IntN(100000000)
	return fmt.Sprintf("%08d%c", n, "TRWAGMYFPDXBNJZSQVHLCKE"[n%23])
}

func twID() string {
	codes := map[byte]int{'A': 10, 'B': 11, 'F': 15, 'H': 17, 'E': 14}
	l := pick(byte('A'), 'B', 'F', 'H', 'E')
	for {
		s := string(l) + pick("1", "2") + digits(8)
		v := codes[l]
		sum := v/10 + (v%10)*9
		for i := 1; i < 9; i++ {
			sum += int(s[i]-'0') * (9 - i)
		}
		c := (10 - sum%10) % 10
		return s[:9] + string(byte('0'+c))
	}
}

func krRRN() string {
	return fmt.Sprintf("%02d%02d%02d-%s%s", rng.IntN(100), 1+rng.IntN(12), 1+rng.IntN(28), pick("1", "2", "3", "4"), digits(6))
}

func ssn() string {
	return fmt.Sprintf("%03d-%02d-%04d", 1+rng.IntN(660), 1+rng.IntN(99), 1+rng.IntN(9999))
}

// ---- addresses

func addr(lang string) string {
	n := fmt.Sprint(1 + rng.IntN(300))
	switch lang {
	case "zh":
		return pick("北京市海淀区中关村大街", "上海市徐汇区漕溪北路", "深圳市南山区科技园南路", "杭州市西湖区文三路", "成都市武侯区人民南路四段", "广东省广州市越秀区北京路", "江苏省南京市鼓楼区中山路") + n + "号" + pick("", "", "3栋2单元501室", "B座1203", "1号楼602")
	case "tw":
		return pick("台北市大安區忠孝東路四段", "新北市板橋區文化路一段", "台中市西屯區台灣大道三段", "高雄市前鎮區中山二路") + n + "號" + pick("", "5樓", "12樓之3")
	case "en":
		return n + " " + pick("Main Street", "Oak Ave", "Elm St", "Maple Drive", "Sunset Blvd", "Washington Road", "Lakeview Court", "Park Lane") + pick("", "", ", Apt "+fmt.Sprint(1+rng.IntN(30))+pick("A", "B", ""), " Suite "+fmt.Sprint(100+rng.IntN(400)))
	case "gb":
		return pick("", "Flat "+fmt.Sprint(1+rng.IntN(12))+", ") + n + " " + pick("High Street", "Church Road", "Victoria Road", "Green Lane", "Kings Road", "Station Road")
	case "de":
		return pick("Hauptstraße", "Bahnhofstr.", "Goethestraße", "Am Markt", "Lindenallee", "Schillerweg", "Berliner Platz", "Friedrich-Ebert-Straße") + " " + n + pick("", "", "a", "b")
	case "fr":
		return n + pick("", "", " bis") + " " + pick("rue de la République", "avenue Victor Hugo", "boulevard Saint-Germain", "rue du Faubourg Saint-Antoine", "place Bellecour", "allée des Tilleuls", "chemin des Vignes")
	case "es":
		return pick("Calle de Alcalá", "Calle Mayor", "Avenida de la Constitución", "Paseo de Gracia", "C/ Serrano", "Plaza de España", "Calle Gran Vía") + pick(" ", ", ") + n + pick("", "", ", 2º A", ", 4º")
	case "it":
		return pick("Via Roma", "Via Giuseppe Garibaldi", "Corso Vittorio Emanuele", "Piazza del Duomo", "Viale Monza", "Via dei Mille") + pick(" ", ", ") + n
	case "pt":
		return pick("Rua Augusta", "Av. Paulista", "Rua das Flores", "Avenida Atlântica", "Rua Oscar Freire") + ", " + n + pick("", "", ", apto "+fmt.Sprint(10+rng.IntN(150)))
	case "ja":
		return pick("東京都新宿区西新宿", "大阪府大阪市北区梅田", "東京都港区六本木", "神奈川県横浜市中区山下町", "京都府京都市下京区四条通") + fmt.Sprintf("%d-%d-%d", 1+rng.IntN(9), 1+rng.IntN(20), 1+rng.IntN(30))
	case "ko":
		return pick("서울특별시 강남구 테헤란로 ", "서울특별시 종로구 세종대로 ", "부산광역시 해운대구 해운대로 ", "경기도 성남시 분당구 판교역로 ") + n
	case "ru":
		return pick("ул. Тверская", "ул. Ленина", "пр. Мира", "ул. Садовая") + ", д. " + n + pick("", ", кв. "+fmt.Sprint(1+rng.IntN(200)))
	}
	panic(lang)
}

// ---- hard negatives

func order() string {
	return pick("2024"+fmt.Sprintf("%02d%02d", 1+rng.IntN(12), 1+rng.IntN(28))+digits(8), nz(5), nz(9), nz(10), digits(3)+"-"+digits(7)+"-"+digits(7), nz(18), nz(19), "1"+pick("3", "5", "8")+digits(9), nz(12))
}

func tracking() string {
	return pick("SF"+digits(13), "YT"+digits(13), "JD"+digits(13), "1Z"+strings.ToUpper(fmt.Sprintf("%x", rng.Uint64()))[:6]+digits(10), "75"+digits(12), "78"+digits(10), nz(12), "9400"+digits(18), "EA"+digits(9)+"CN", "00340"+digits(15), "LP"+digits(14))
}

func sku() string {
	return pick("SKU-"+digits(5)+"-"+pick("BLK", "WHT", "RED"), "100"+digits(9), "A"+digits(4), "B0"+strings.ToUpper(fmt.Sprintf("%x", rng.Uint32()))[:6]+"XY", "MQ"+digits(3)+"LL/A", "ART-"+digits(7))
}

func coupon() string {
	return pick("SAVE"+fmt.Sprint(5*(1+rng.IntN(10))), "NEW"+fmt.Sprint(2023+rng.IntN(3)), "VIP"+digits(4), "WELCOME10", "BF"+digits(6), "DOUBLE11")
}

func date() string {
	y, m, d := 2023+rng.IntN(3), 1+rng.IntN(12), 1+rng.IntN(28)
	return pick(fmt.Sprintf("%d-%02d-%02d", y, m, d), fmt.Sprintf("%02d.%02d.%d", d, m, y), fmt.Sprintf("%02d/%02d/%d", d, m, y), fmt.Sprintf("%d/%d/%d", y, m, d), fmt.Sprintf("%d年%d月%d日", y, m, d), fmt.Sprintf("%d%02d%02d", y, m, d))
}

func price(cur string) string {
	v := 5 + rng.IntN(5000)
	c := rng.IntN(100)
	switch cur {
	case "¥", "$", "£":
		if v >= 1000 && rng.IntN(2) == 0 {
			return fmt.Sprintf("%s%d,%03d.%02d", cur, v/1000, v%1000, c)
		}
		return fmt.Sprintf("%s%d.%02d", cur, v, c)
	case "€":
		return fmt.Sprintf("%d,%02d €", v, c)
	case "R$":
		return fmt.Sprintf("R$ %d,%02d", v, c)
	case "元":
		return fmt.Sprintf("%d元", v)
	case "円", "원", "₽":
		return fmt.Sprintf("%d,%03d%s", 1+rng.IntN(99), rng.IntN(1000), cur)
	}
	return fmt.Sprint(v)
}

// slots fill {name} in templates.
var slots = map[string]func() string{
	"cnmob": func() string { return pii("PHONE", cnMobile()) }, "cnland": func() string { return pii("PHONE", cnLandline()) },
	"usph": func() string { return pii("PHONE", usPhone()) }, "ukph": func() string { return pii("PHONE", ukPhone()) },
	"deph": func() string { return pii("PHONE", dePhone()) }, "frph": func() string { return pii("PHONE", frPhone()) },
	"esph": func() string { return pii("PHONE", esPhone()) }, "itph": func() string { return pii("PHONE", itPhone()) },
	"brph": func() string { return pii("PHONE", brPhone()) }, "jpph": func() string { return pii("PHONE", jpPhone()) },
	"krph": func() string { return pii("PHONE", krPhone()) }, "ruph": func() string { return pii("PHONE", ruPhone()) },
	"arph": func() string { return pii("PHONE", arPhone()) }, "twph": func() string { return pii("PHONE", twPhone()) },
	"email": func() string { return pii("EMAIL", email()) }, "card": func() string { return pii("CARD", card()) },
	"prcid": func() string { return pii("ID", prcID()) }, "cpf": func() string { return pii("ID", cpf()) },
	"dni": func() string { return pii("ID", dni()) }, "twid": func() string { return pii("ID", twID()) },
	"rrn": func() string { return pii("ID", krRRN()) }, "ssn": func() string { return pii("ID", ssn()) },
	"ibanDE": func() string { return pii("IBAN", iban("DE")) }, "ibanGB": func() string { return pii("IBAN", iban("GB")) },
	"ibanES": func() string { return pii("IBAN", iban("ES")) }, "ibanIT": func() string { return pii("IBAN", iban("IT")) },
	"ibanNL": func() string { return pii("IBAN", iban("NL")) }, "ibanFR": func() string { return pii("IBAN", iban("FR")) },
	"order": order, "track": tracking, "sku": sku, "coupon": coupon, "date": date,
	"qty": func() string { return fmt.Sprint(1 + rng.IntN(12)) },
	"zip": func() string { return digits(5) },
}

func init() {
	for _, k := range []string{"cn", "us", "de", "fr", "jp", "kr", "ru", "other"} {
		slots["pp"+k] = func() string { return pii("PASSPORT", passport(k)) }
	}
	for _, l := range []string{"zh", "tw", "en", "gb", "de", "fr", "es", "it", "pt", "ja", "ko", "ru"} {
		slots["addr"+l] = func() string { return pii("ADDRESS", addr(l)) }
	}
	for _, c := range []string{"¥", "$", "£", "€", "R$", "元", "円", "원", "₽"} {
		slots["price"+c] = func() string { return price(c) }
	}
}

func fill(t string) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(t, '{')
		if i < 0 {
			b.WriteString(t)
			return b.String()
		}
		j := strings.IndexByte(t[i:], '}')
		name := t[i+1 : i+j]
		f, ok := slots[name]
		if !ok {
			panic("unknown slot " + name)
		}
		b.WriteString(t[:i])
		b.WriteString(f())
		t = t[i+j+1:]
	}
}

func main() {
	enc := json.NewEncoder(os.Stdout)
	enc.SetEscapeHTML(false)
	emit := func(ts []tmpl, n int) {
		for _, lt := range ts {
			for range n {
				if err := enc.Encode(map[string]string{"locale": lt.locale, "text": fill(lt.text)}); err != nil {
					fmt.Fprintln(os.Stderr, err)
					os.Exit(1)
				}
			}
		}
	}
	part := "all"
	if len(os.Args) > 1 {
		part = os.Args[1]
	}
	if part == "all" || part == "a" {
		emit(templates, 3)
	}
	if part == "all" || part == "b" {
		emit(templatesB, 5)
	}
}
