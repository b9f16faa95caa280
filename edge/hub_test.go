package edge

import "testing"

// TestHubLookup: lookup appends a conversation's connections (and only
// its own) to the caller's slice; watched says whether it has any.
func TestHubLookup(t *testing.T) {
	var h hub
	h.init()
	a, b, c := &session{}, &session{}, &session{}
	h.add("demo", "c-1", a)
	h.add("demo", "c-1", b)
	h.add("demo", "c-2", c)
	h.add("other", "c-1", c)
	tests := []struct {
		tenant, conv string
		want         []*session
	}{
		{"demo", "c-1", []*session{a, b}},
		{"demo", "c-2", []*session{c}},
		{"other", "c-1", []*session{c}},
		{"demo", "c-3", nil},
		{"", "demo\x00c-1", nil},
	}
	for _, tt := range tests {
		var buf [1]*session
		got := h.lookup(buf[:0], tt.tenant, tt.conv)
		if len(got) != len(tt.want) {
			t.Fatalf("%s/%s: %d sessions, want %d", tt.tenant, tt.conv, len(got), len(tt.want))
		}
		for _, w := range tt.want {
			found := false
			for _, s := range got {
				found = found || s == w
			}
			if !found {
				t.Errorf("%s/%s: a session is missing", tt.tenant, tt.conv)
			}
		}
		if h.watched(tt.tenant, tt.conv) != (len(tt.want) > 0) {
			t.Errorf("%s/%s: watched %v, want %v", tt.tenant, tt.conv, !(len(tt.want) > 0), len(tt.want) > 0)
		}
	}
	h.remove("demo", "c-2", c)
	if h.watched("demo", "c-2") {
		t.Error("c-2 still watched after its only connection left")
	}
}

// BenchmarkHubLookup is a reply's delivery finding its connection.
func BenchmarkHubLookup(b *testing.B) {
	var h hub
	h.init()
	s := &session{}
	h.add("demo", "c-7f3a9d2e41", s)
	b.ReportAllocs()
	for b.Loop() {
		var buf [4]*session
		if got := h.lookup(buf[:0], "demo", "c-7f3a9d2e41"); len(got) != 1 {
			b.Fatal(len(got))
		}
	}
}
