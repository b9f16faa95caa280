package features

import (
	"errors"
	"slices"
	"testing"
	"unicode"
	"unicode/utf8"
)

var testConfig = Config{Buckets: 1 << 16, WordNgrams: 2, MinN: 2, MaxN: 4, CJKMaxN: 3, Seed: 7}

func TestAppendScripts(t *testing.T) {
	tests := []struct {
		name, text string
		min        int // at least this many features
	}{
		{"english", "Where is my order?", 10},
		{"german", "Wo ist meine Bestellung?", 10},
		{"french", "Où est ma commande ?", 10},
		{"russian", "Где мой заказ?", 8},
		{"arabic", "أين طلبي؟", 6},
		{"korean", "주문 어디 있어요?", 6},
		{"chinese", "我的订单到哪了", 7*3 - 3},
		{"traditional", "我的訂單到哪了", 7*3 - 3},
		{"japanese", "注文はどこですか", 8*3 - 3},
		{"thai", "สั่งซื้อของฉันอยู่ที่ไหน", 20},
		{"emoji", "😡😡", 2},
		{"mixed zh/en", "我的iPhone15到了吗", 10},
		{"empty", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ids := testConfig.Append(nil, tt.text)
			if len(ids) < tt.min {
				t.Fatalf("got %d features, want at least %d", len(ids), tt.min)
			}
			for _, id := range ids {
				if id >= testConfig.Buckets {
					t.Fatalf("id %d out of range", id)
				}
			}
			if again := testConfig.Append(nil, tt.text); !slices.Equal(ids, again) {
				t.Fatal("not deterministic")
			}
		})
	}
}

func TestNormalization(t *testing.T) {
	same := [][2]string{
		{"ORDER Status", "order status"},
		{"ｏｒｄｅｒ　１２３", "order 123"},
		{"order 12345", "order 99999"},
	}
	for _, p := range same {
		a, b := testConfig.Append(nil, p[0]), testConfig.Append(nil, p[1])
		if !slices.Equal(a, b) {
			t.Errorf("%q and %q should give the same features", p[0], p[1])
		}
	}
	if slices.Equal(testConfig.Append(nil, "refund"), testConfig.Append(nil, "return")) {
		t.Error("different words give the same features")
	}
	other := testConfig
	other.Seed++
	if slices.Equal(testConfig.Append(nil, "refund"), other.Append(nil, "refund")) {
		t.Error("seed does not change the hashing")
	}
}

func TestWordBigrams(t *testing.T) {
	uni := testConfig
	uni.WordNgrams = 1
	if n1, n2 := len(uni.Append(nil, "cancel my order")), len(testConfig.Append(nil, "cancel my order")); n2 != n1+2 {
		t.Fatalf("bigrams: %d vs %d features, want 2 more", n2, n1)
	}
	// a CJK run breaks the bigram chain
	if a, b := len(uni.Append(nil, "a 好 b")), len(testConfig.Append(nil, "a 好 b")); a != b {
		t.Fatalf("CJK run should break the bigram chain: %d vs %d features", a, b)
	}
}

func TestValidate(t *testing.T) {
	bad := []Config{
		{},
		{Buckets: 10, WordNgrams: 3, CJKMaxN: 1},
		{Buckets: 10, MinN: 3, MaxN: 2, CJKMaxN: 1},
		{Buckets: 10, MinN: 0, MaxN: 2, CJKMaxN: 1},
		{Buckets: 10, CJKMaxN: 0},
		{Buckets: 10, CJKMaxN: 5},
	}
	for _, c := range bad {
		if err := c.Validate(); !errors.Is(err, ErrConfig) {
			t.Errorf("%+v: got %v, want ErrConfig", c, err)
		}
	}
	if err := testConfig.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestAppendNoAllocs(t *testing.T) {
	dst := make([]uint32, 0, 1024)
	n := testing.AllocsPerRun(100, func() {
		dst = testConfig.Append(dst[:0], "Wo ist meine Bestellung 12345? 我的订单到哪了 😡")
	})
	if n != 0 {
		t.Fatalf("%v allocations per call, want 0", n)
	}
}

func FuzzAppend(f *testing.F) {
	for _, s := range []string{"", "hello world", "我的订单", "\xff\xfe", "a\u0301b", "ＡＢＣ　１２", "🤬!!!"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ids := testConfig.Append(nil, s)
		for _, id := range ids {
			if id >= testConfig.Buckets {
				t.Fatalf("id %d out of range", id)
			}
		}
		if !slices.Equal(ids, testConfig.Append(nil, s)) {
			t.Fatal("not deterministic")
		}
	})
}

func BenchmarkAppend(b *testing.B) {
	dst := make([]uint32, 0, 1024)
	for b.Loop() {
		dst = testConfig.Append(dst[:0], "Hi, where is my order #12345? It has been 10 days 我的订单到哪了")
	}
}

// TestFastPathsAgree: the ranges that Normalize and classify answer without
// the unicode tables give, for every code point, what the tables give.
func TestFastPathsAgree(t *testing.T) {
	slow := func(r rune) class {
		switch {
		case unicode.IsSpace(r):
			return classSpace
		case unicode.Is(unicode.Han, r), unicode.Is(unicode.Hiragana, r), unicode.Is(unicode.Katakana, r), r == 0x30FC,
			unicode.Is(unicode.Thai, r), unicode.Is(unicode.Lao, r), unicode.Is(unicode.Khmer, r), unicode.Is(unicode.Myanmar, r):
			return classCJK
		case unicode.IsLetter(r), unicode.IsDigit(r):
			return classWord
		case unicode.Is(unicode.Mn, r), unicode.Is(unicode.Mc, r), r == 0x200C, r == 0x200D:
			return classJoin
		case unicode.Is(unicode.Cf, r), unicode.Is(unicode.Cc, r):
			return classSpace
		}
		return classSym
	}
	for r := rune(utf8.RuneSelf); r <= unicode.MaxRune; r++ {
		if got, want := classify(r), slow(r); got != want {
			t.Fatalf("classify(%U) = %d, want %d", r, got, want)
		}
		want := unicode.ToLower(r)
		if unicode.IsDigit(r) {
			want = '0'
		}
		if r >= 0xFF01 && r <= 0xFF5E || r == 0x3000 {
			continue // full-width forms, mapped before
		}
		if got := Normalize(r); got != want {
			t.Fatalf("Normalize(%U) = %U, want %U", r, got, want)
		}
	}
}
