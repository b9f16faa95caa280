package chat

import (
	"reflect"
	"strings"
	"testing"
)

func TestParsePIITokens(t *testing.T) {
	tok1, tok2 := "pii_abcdefghijklmnopqrstuvwx", "pii_234567aaaaaaaaaaaaaaaaaa"
	tests := []struct {
		name, label string
		want        []PIIToken
	}{
		{"empty", "", nil},
		{"two in order", "PHONE:" + tok1 + ",EMAIL:" + tok2,
			[]PIIToken{{"PHONE", tok1, "eu"}, {"EMAIL", tok2, "eu"}}},
		{"spaces", " PHONE:" + tok1 + " , ", []PIIToken{{"PHONE", tok1, "eu"}}},
		{"bad items skipped", "phone:" + tok1 + ",PHONE:nope,:" + tok1 + ",PHONE:pii_A,EMAIL:" + tok2,
			[]PIIToken{{"EMAIL", tok2, "eu"}}},
		{"not kept keeps its slot", "PHONE:-,PHONE:" + tok1,
			[]PIIToken{{"PHONE", "", "eu"}, {"PHONE", tok1, "eu"}}},
		{"no colon", "PHONE" + tok1, nil},
		{"token too long", "PHONE:pii_" + strings.Repeat("a", 65), nil},
		{"type too long", strings.Repeat("A", 33) + ":" + tok1, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := ParsePIITokens(tc.label, "eu"); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
	many := strings.Repeat("PHONE:"+tok1+",", 100)
	if n := len(ParsePIITokens(many, "eu")); n != maxPIITokens {
		t.Fatalf("kept %d tokens, want %d", n, maxPIITokens)
	}
}
