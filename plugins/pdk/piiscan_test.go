//go:build !wasip1

package pdk

import (
	"encoding/binary"
	"errors"
	"fmt"
	"testing"
)

func TestPIIScan(t *testing.T) {
	ResetTest()
	if _, err := PIIScan("x", nil, nil); !errors.Is(err, ErrInvalid) {
		t.Fatalf("without a detector: %v, want ErrInvalid", err)
	}
	var gotTypes, gotLocales []string
	Test.PIIScan = func(text string, types, locales []string) []PIISpan {
		gotTypes, gotLocales = types, locales
		return []PIISpan{{Type: "PHONE", Start: 5, End: 16}, {Type: "NEW", Start: 20, End: 26}}
	}
	spans, err := PIIScan("call 13812345678 or a@b.de", []string{"PHONE", "EMAIL"}, []string{"de"})
	if err != nil || fmt.Sprint(spans) != "[{PHONE 5 16} {NEW 20 26}]" {
		t.Fatalf("spans %v, %v", spans, err)
	}
	if fmt.Sprint(gotTypes, gotLocales) != "[PHONE EMAIL] [de]" {
		t.Fatalf("options passed as %v %v", gotTypes, gotLocales)
	}
}

func TestDecodePIISpans(t *testing.T) {
	span := func(b []byte, start, end uint32, typ string) []byte {
		b = binary.LittleEndian.AppendUint32(b, start)
		b = binary.LittleEndian.AppendUint32(b, end)
		b = binary.LittleEndian.AppendUint32(b, uint32(len(typ)))
		return append(b, typ...)
	}
	one := span(binary.LittleEndian.AppendUint32(nil, 1), 2, 4, "ID")
	tests := []struct {
		name string
		in   []byte
		n    int
		want string // "" = malformed
	}{
		{"none", binary.LittleEndian.AppendUint32(nil, 0), 3, "[]"},
		{"one", one, 4, "[{ID 2 4}]"},
		{"past the text", one, 3, ""},
		{"empty", nil, 3, ""},
		{"count too big", binary.LittleEndian.AppendUint32(nil, 1<<30), 3, ""},
		{"type cut", one[:len(one)-1], 4, ""},
		{"start after end", span(binary.LittleEndian.AppendUint32(nil, 1), 4, 2, "ID"), 4, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := decodePIISpans(tc.in, tc.n)
			if tc.want == "" {
				if err == nil {
					t.Fatalf("decoded %v, want an error", got)
				}
				return
			}
			if err != nil || fmt.Sprint(got) != tc.want {
				t.Fatalf("got %v, %v; want %s", got, err, tc.want)
			}
		})
	}
}
