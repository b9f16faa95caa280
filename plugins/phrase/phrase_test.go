package phrase

import (
	"strings"
	"testing"
	"unicode"
)

// fold is the reference AppendFold must equal.
func fold(s string) string {
	return strings.Join(strings.FieldsFunc(strings.ToLower(s), unicode.IsSpace), " ")
}

var samples = []string{
	"", " ", "Hello", "Please DELETE my   data now", "  lead\tand trail\n", "Bitte meine Daten LÖSCHEN!",
	"ÀÉÎÕÜ İstanbul ǅ Ωmega", "请删除我的数据", "a\u00a0b\u0085c\u2003d\u3000e", "bad \xff\xfe utf8 \xed\xa0\x80 end",
	"\uFFFD real replacement", "KELVIN \u212a sign", "x\v\fy", "ΣΑΣ", "Ⅻ Ⓐ",
}

func TestAppendLowerAndFold(t *testing.T) {
	for _, s := range samples {
		if got, want := string(AppendLower(nil, s)), strings.ToLower(s); got != want {
			t.Errorf("AppendLower(%q) = %q, want %q", s, got, want)
		}
		if got, want := string(AppendFold(nil, s)), fold(s); got != want {
			t.Errorf("AppendFold(%q) = %q, want %q", s, got, want)
		}
		// appends after what dst holds
		if got := string(AppendFold([]byte("x "), s)); got != "x "+fold(s) {
			t.Errorf("AppendFold after a prefix (%q) = %q", s, got)
		}
	}
}

func TestSet(t *testing.T) {
	set := New([]string{"delete my data", "删除", "de", "", "data"})
	tests := []struct {
		text string
		want []int // phrase indexes in the order Each reports them
		at   []int
	}{
		{"please delete my data", []int{0, 2, 4}, []int{7, 7, 17}},
		{"请删除我的数据", []int{1}, []int{3}},
		{"nothing here", nil, nil},
		{"dede", []int{2, 2}, []int{0, 2}},
		{"", nil, nil},
	}
	for _, tc := range tests {
		var got, at []int
		set.Each([]byte(tc.text), func(p, a int) bool { got, at = append(got, p), append(at, a); return true })
		if !equal(got, tc.want) || !equal(at, tc.at) {
			t.Errorf("Each(%q) = %v at %v, want %v at %v", tc.text, got, at, tc.want, tc.at)
		}
		if c := set.Contains([]byte(tc.text)); c != (len(tc.want) > 0) {
			t.Errorf("Contains(%q) = %v", tc.text, c)
		}
	}
	n := 0
	set.Each([]byte("de de de"), func(int, int) bool { n++; return n < 2 })
	if n != 2 {
		t.Errorf("Each went on after f returned false: %d calls", n)
	}
	if set.Len() != 5 || set.Phrase(1) != "删除" {
		t.Errorf("Len %d, Phrase(1) %q", set.Len(), set.Phrase(1))
	}
}

func equal(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// FuzzFold: AppendLower and AppendFold give the bytes of the strings
// functions they replace, and Set.Contains answers as strings.Contains of
// each phrase, on any input (including invalid UTF-8).
func FuzzFold(f *testing.F) {
	for _, s := range samples {
		f.Add(s, "data")
	}
	f.Add("İİ", "i̇")
	f.Fuzz(func(t *testing.T, s, p string) {
		if got, want := string(AppendLower(nil, s)), strings.ToLower(s); got != want {
			t.Fatalf("AppendLower(%q) = %q, want %q", s, got, want)
		}
		folded := fold(s)
		if got := string(AppendFold(nil, s)); got != folded {
			t.Fatalf("AppendFold(%q) = %q, want %q", s, got, folded)
		}
		phrases := []string{p, "data", strings.ToLower(p)}
		want := false
		for _, q := range phrases {
			want = want || q != "" && strings.Contains(folded, q)
		}
		if got := New(phrases).Contains([]byte(folded)); got != want {
			t.Fatalf("Contains(%q, %q) = %v, want %v", folded, phrases, got, want)
		}
	})
}
