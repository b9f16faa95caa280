//go:build !wasip1

package pdk

import (
	"errors"
	"testing"
)

func TestHandleRoundTrip(t *testing.T) {
	ResetTest()
	defer func() { handlers = [3]Handler{}; ResetTest() }()
	OnInbound(func(env *Envelope) Result {
		if env.Message.Text == "hi" {
			return Pass()
		}
		env.Message.Text = "[masked]"
		return Modify(env).WithLabel("pii", "PHONE")
	})
	tests := []struct {
		name, in string
		want     string // "" = nil output
		wantErr  bool
	}{
		{"pass is empty", `{"v":1,"tenant":"t","message":{"id":"a","text":"hi","at":"2025-01-01T00:00:00Z"}}`, "", false},
		{"modify", `{"v":1,"tenant":"t","labels":{"x":"1"},"message":{"id":"a","text":"call 555","at":"2025-01-01T00:00:00Z"}}`,
			`{"verdict":"modify","text":"[masked]","labels":{"pii":"PHONE","x":"1"}}`, false},
		{"bad json", `{"v":`, "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := Handle(HookInbound, []byte(tc.in))
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if string(out) != tc.want {
				t.Fatalf("out = %s, want %s", out, tc.want)
			}
		})
	}
	if _, err := Handle(HookEvent, []byte(`{}`)); !errors.Is(err, ErrNoHandler) {
		t.Fatalf("event without handler: %v", err)
	}
	if hookBits() != 1 {
		t.Fatalf("hook bits %d", hookBits())
	}
}

func TestResultEncode(t *testing.T) {
	tests := []struct {
		r    Result
		want string
	}{
		{Pass(), ""},
		{Pass().WithLabel("a", "b"), `{"verdict":"pass","labels":{"a":"b"}}`},
		{Answer("shipped"), `{"verdict":"answer","answer":"shipped"}`},
		{Drop("spam"), `{"verdict":"drop","reason":"spam"}`},
		{Escalate("lawyer"), `{"verdict":"escalate","reason":"lawyer"}`},
		{ModifyText("x"), `{"verdict":"modify","text":"x"}`},
	}
	for _, tc := range tests {
		if got := string(tc.r.Encode()); got != tc.want {
			t.Errorf("%+v: got %s want %s", tc.r, got, tc.want)
		}
	}
}

func TestHostFunctionsNative(t *testing.T) {
	ResetTest()
	defer ResetTest()
	Test.Config = map[string]string{"api": "http://x"}
	if v, ok := Config("api"); !ok || v != "http://x" {
		t.Fatalf("config = %q %v", v, ok)
	}
	if _, ok := Config("nope"); ok {
		t.Fatal("missing key found")
	}
	if _, err := KVGet("k"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("kv get missing: %v", err)
	}
	if err := KVSet("k", []byte("v"), 0); err != nil {
		t.Fatal(err)
	}
	if v, err := KVGet("k"); err != nil || string(v) != "v" {
		t.Fatalf("kv get = %q %v", v, err)
	}
	Test.Grants = []string{"kv"}
	if _, err := HTTP(Request{Method: "GET", URL: "http://x"}); !errors.Is(err, ErrNotGranted) {
		t.Fatalf("http without grant: %v", err)
	}
	if err := Alert(AlertMsg{Text: "x"}); !errors.Is(err, ErrNotGranted) {
		t.Fatalf("alert without grant: %v", err)
	}
	Test.Grants = nil
	Test.HTTP = func(r Request) (Response, error) { return Response{Status: 200, Body: r.URL}, nil }
	resp, err := HTTP(Request{Method: "GET", URL: "http://x/1"})
	if err != nil || resp.Status != 200 || resp.Body != "http://x/1" {
		t.Fatalf("http = %+v %v", resp, err)
	}
	if err := Alert(AlertMsg{Level: "high", Text: "12315"}); err != nil || len(Test.Alerts) != 1 {
		t.Fatalf("alert: %v %v", err, Test.Alerts)
	}
	Log(LevelInfo, "hello")
	if len(Test.Logs) != 1 {
		t.Fatal("log not recorded")
	}
}
