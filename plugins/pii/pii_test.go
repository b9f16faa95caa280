package pii

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestScan(t *testing.T) {
	tests := []struct {
		name string
		text string
		want []Span // Type and Value only
	}{
		{"cn mobile spaced", "我的手机 138 1234 5678，谢谢", []Span{{Type: Phone, Value: "138 1234 5678"}}},
		{"cn mobile +86", "call +86 138-1234-5678 please", []Span{{Type: Phone, Value: "+86 138-1234-5678"}}},
		{"cn mobile bare", "13812345678", []Span{{Type: Phone, Value: "13812345678"}}},
		{"cn mobile full-width", "电话１３８１２３４５６７８", []Span{{Type: Phone, Value: "１３８１２３４５６７８"}}},
		{"e164", "reach me at +44 7700 900123.", []Span{{Type: Phone, Value: "+44 7700 900123"}}},
		{"nanp", "my cell is (415) 555-2671", []Span{{Type: Phone, Value: "(415) 555-2671"}}},
		{"email", "mail Bob.Smith+kefu@example.co.uk.", []Span{{Type: Email, Value: "Bob.Smith+kefu@example.co.uk"}}},
		{"email full-width at", "邮箱 li.lei＠qq.com", []Span{{Type: Email, Value: "li.lei＠qq.com"}}},
		{"order en", "where is my order 12345", nil},
		{"order zh 16 digits", "订单号 2024112512345678 到哪了", nil},
		{"order zh 11 digits", "订单号 13812345678 到哪了", nil},
		{"order then phone", "订单号 12345 13812345678", []Span{{Type: Phone, Value: "13812345678"}}},
		{"tracking", "tracking number 9400111899223344556677", nil},
		{"sku", "SKU-13812345678 and SF1234567890123", nil},
		{"price", "it costs ¥1,299.00 or $12.99", nil},
		{"date", "delivered on 2024-11-25 10:30", nil},
		{"landline", "Tel.: 030 12345678", []Span{{Type: Phone, Value: "030 12345678"}}},
		{"iban", "IBAN DE89 3704 0044 0532 0130 00 bitte", []Span{{Type: IBAN, Value: "DE89 3704 0044 0532 0130 00"}}},
		{"iban bad checksum", "IBAN DE88 3704 0044 0532 0130 00", nil},
		{"prc id", "身份证 11010519491231002X", []Span{{Type: ID, Value: "11010519491231002X"}}},
		{"prc id bad check", "请查 110105194912310021 号", nil},
		{"id typo after keyword", "身份证号码 110105194912310021", []Span{{Type: ID, Value: "110105194912310021"}}},
		{"card", "card 4111 1111 1111 1111 thanks", []Span{{Type: Card, Value: "4111 1111 1111 1111"}}},
		{"card bad luhn", "card 4111 1111 1111 1112 thanks", nil},
		{"passport", "护照号 E12345678", []Span{{Type: Passport, Value: "E12345678"}}},
		{"taiwan id", "身分證 A123456789", []Span{{Type: ID, Value: "A123456789"}}},
		{"dni", "mi DNI es 12345678Z", []Span{{Type: ID, Value: "12345678Z"}}},
		{"nie", "NIE X1234567L", []Span{{Type: ID, Value: "X1234567L"}}},
		{"es landline 2-3-2-2", "el fijo 95 421 33 08", []Span{{Type: Phone, Value: "95 421 33 08"}}},
		{"en ordinal street", "to 310 E 72nd St, Apt 5", []Span{{Type: Address, Value: "310 E 72nd St, Apt 5"}}},
		{"co grid address", "a Calle 26 # 68-35, apto 404", []Span{{Type: Address, Value: "Calle 26 # 68-35, apto 404"}}},
		{"zh 道 road and room", "寄到青岛市市南区香港中道61号B座1203", []Span{{Type: Address, Value: "青岛市市南区香港中道61号B座1203"}}},
		{"zh 频道 is no road", "在频道18号直播间买的", nil},
		{"ja hiragana town", "東京都千代田区霞が関一丁目1番1号", []Span{{Type: Address, Value: "東京都千代田区霞が関一丁目1番1号"}}},
		{"ko lot number", "서울특별시 종로구 관철동 12-5", []Span{{Type: Address, Value: "서울특별시 종로구 관철동 12-5"}}},
		{"ar number first", "إلى 30 شارع الهرم", []Span{{Type: Address, Value: "30 شارع الهرم"}}},
		{"ar unit first", "فيلا 9، شارع 21، حي النزهة", []Span{{Type: Address, Value: "فيلا 9، شارع 21، حي النزهة"}}},
		{"ar phone then street", "+966 50 765 4321، شارع الثمامة، مبنى 8", []Span{{Type: Phone, Value: "+966 50 765 4321"}, {Type: Address, Value: "شارع الثمامة، مبنى 8"}}},
		{"ru microdistrict", "мкр. Восточный, д. 4, кв. 9", []Span{{Type: Address, Value: "мкр. Восточный, д. 4, кв. 9"}}},
		{"nl street", "naar Herengracht 502-1, Amsterdam", []Span{{Type: Address, Value: "Herengracht 502-1"}}},
		{"tr street", "Moda Caddesi No: 7 Daire: 2", []Span{{Type: Address, Value: "Moda Caddesi No: 7 Daire: 2"}}},
		{"vi street", "123 Lê Lợi, Quận 1", []Span{{Type: Address, Value: "123 Lê Lợi"}}},
		{"nl order", "Bestelling 12345 van 2 dagen geleden", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Scan(tt.text, Options{})
			if len(got) != len(tt.want) {
				t.Fatalf("Scan(%q) = %v, want %v", tt.text, got, tt.want)
			}
			for i, s := range got {
				if s.Type != tt.want[i].Type || s.Value != tt.want[i].Value || tt.text[s.Start:s.End] != s.Value {
					t.Errorf("span %d = %+v, want %+v", i, s, tt.want[i])
				}
			}
		})
	}
}

func TestOptionsTypes(t *testing.T) {
	text := "mail a@b.io or call 13812345678"
	got := Scan(text, Options{Types: []Type{Email}})
	if len(got) != 1 || got[0].Type != Email {
		t.Fatalf("Types filter: got %v", got)
	}
	if got := Scan("身份证 11010519491231002X", Options{Locales: []string{"de"}}); len(got) != 0 {
		t.Fatalf("Locales filter: got %v", got)
	}
}

func TestRedact(t *testing.T) {
	r := Redact("phone 13812345678, mail x@y.cn", Options{})
	if want := "phone [PHONE], mail [EMAIL]"; r.Text != want {
		t.Fatalf("Redact = %q, want %q", r.Text, want)
	}
	if len(r.Spans) != 2 || r.Spans[0].Start != 6 || r.Spans[0].End != 17 {
		t.Fatalf("spans = %v", r.Spans)
	}
}

func TestChecksums(t *testing.T) {
	if !luhn("4111111111111111") || luhn("4111111111111112") {
		t.Error("luhn")
	}
	if !prcID("11010519491231002X") || prcID("110105194912310021") || prcID("110105194913310028") {
		t.Error("prcID")
	}
	if !ibanValid("GB82WEST12345698765432") || ibanValid("GB82WEST12345698765433") || ibanValid("XX82WEST12345698765432") {
		t.Error("iban")
	}
	if !cpf("52998224725") || cpf("52998224726") || cpf("11111111111") {
		t.Error("cpf")
	}
	if !taiwanID("A123456789") || taiwanID("A123456788") {
		t.Error("taiwanID")
	}
}

func FuzzScan(f *testing.F) {
	for _, s := range []string{
		"我的手机 138 1234 5678，订单号 2024112512345678",
		"+1 (415) 555-2671 bob@example.com",
		"IBAN DE89 3704 0044 0532 0130 00",
		"身份证 11010519491231002X 卡号 4111 1111 1111 1111",
		"护照 E12345678 (((+(+(", "１３８１２３４５６７８", "\xef\xbc", "a@b.c@d.ee",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		spans := Scan(text, Options{})
		last := 0
		for _, s := range spans {
			if s.Start < last || s.End > len(text) || s.Start >= s.End {
				t.Fatalf("bad span %+v (last end %d, len %d)", s, last, len(text))
			}
			if text[s.Start:s.End] != s.Value {
				t.Fatalf("value %q != text %q", s.Value, text[s.Start:s.End])
			}
			last = s.End
		}
		masked := Mask(text, spans)
		for _, s := range spans {
			if strings.Contains(masked, s.Value) && !strings.Contains(text[:s.Start]+text[s.End:], s.Value) {
				t.Fatalf("masked text %q still holds %q", masked, s.Value)
			}
		}
		if utf8.ValidString(text) && !utf8.ValidString(masked) {
			t.Fatalf("masking broke UTF-8: %q", masked)
		}
	})
}

func BenchmarkScan(b *testing.B) {
	text := "Hi, my order 2024112512345678 hasn't arrived. Call me on 138 1234 5678 or +49 151 23456789, mail li.lei@example.com, ship to 北京市朝阳区建国路88号 or 12 rue de la Paix."
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		Scan(text, Options{})
	}
}

func TestCheckedLabel(t *testing.T) {
	all := "ADDRESS,CARD,EMAIL,IBAN,ID,PASSPORT,PHONE"
	for _, tc := range []struct {
		name string
		o    Options
		want string
	}{
		{"all", Options{}, all},
		{"types", Options{Types: []Type{Phone, Email}}, "EMAIL,PHONE"},
		{"locales", Options{Locales: []string{"de"}}, ""},
	} {
		if got := CheckedLabel(tc.o); got != tc.want {
			t.Errorf("%s: CheckedLabel = %q, want %q", tc.name, got, tc.want)
		}
	}
	for _, tc := range []struct {
		label string
		ts    []Type
		want  bool
	}{
		{all, AllTypes, true},
		{"EMAIL,PHONE", []Type{Phone}, true},
		{"EMAIL,PHONE", []Type{Phone, Card}, false},
		{"", []Type{Phone}, false},
		{"", nil, false},
		{"PHONEX", []Type{Phone}, false},
		{"EMAIL,,PHONE", []Type{Phone, Email}, true},
	} {
		if got := Checked(tc.label, tc.ts); got != tc.want {
			t.Errorf("Checked(%q, %v) = %v, want %v", tc.label, tc.ts, got, tc.want)
		}
	}
}
