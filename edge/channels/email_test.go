package channels

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestParseEmail(t *testing.T) {
	in, atts, err := ParseEmail(fixture(t, "email_multipart.eml"))
	if err != nil {
		t.Fatal(err)
	}
	if in.User != "li.lei@example.com" || in.PlatformID != "<CAF=abc123@mail.example.com>" || in.At.IsZero() {
		t.Fatalf("inbound %+v", in)
	}
	want := "Where is my order 12345?\n\nThanks & regards\n[attachment] receipt.png (8 bytes)"
	if in.Text != want {
		t.Fatalf("text %q, want %q", in.Text, want)
	}
	if strings.Contains(in.Text, "alert") || strings.Contains(in.Text, "color") || strings.Contains(in.Text, "<") {
		t.Fatalf("markup survived: %q", in.Text)
	}
	if len(atts) != 1 || atts[0].Name != "receipt.png" || atts[0].ContentType != "image/png" || string(atts[0].Data[:4]) != "\x89PNG" {
		t.Fatalf("attachments %+v", atts)
	}
	var th EmailThread
	if json.Unmarshal(in.Thread, &th) != nil || th.MessageID != in.PlatformID || th.Subject != "订单 12345" {
		t.Fatalf("thread %s", in.Thread)
	}

	in, _, err = ParseEmail(fixture(t, "email_reply.eml"))
	if err != nil || in.Text != "Thanks, and when will it arrive?" {
		t.Fatalf("reply %q, %v (the quoted history must go)", in.Text, err)
	}
	json.Unmarshal(in.Thread, &th)
	if th.References != "<CAF=abc123@mail.example.com> <01ABC@shop.example> <reply-2@mail.example.com>" {
		t.Fatalf("references %q", th.References)
	}

	for name, raw := range map[string]string{
		"no from":    "To: a@b.example\r\nSubject: x\r\n\r\nhello",
		"not a mail": "garbage without headers",
		"empty":      "From: a@b.example\r\n\r\n",
		"deep nest":  "From: a@b.example\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n" + strings.Repeat("--b\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n", 8),
	} {
		if _, _, err := ParseEmail([]byte(raw)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestHTMLToText(t *testing.T) {
	for in, want := range map[string]string{
		`<p>a</p><p>b</p>`:          "a\n\nb",
		`x<br>y`:                    "x\ny",
		`<script>evil()</script>ok`: "ok",
		`<img src=x onerror=alert(1)>hi &lt;b&gt;`: "hi <b>",
	} {
		if got := HTMLToText(in); got != want {
			t.Errorf("HTMLToText(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzParseEmail(f *testing.F) {
	f.Add(fixture(f, "email_multipart.eml"))
	f.Add(fixture(f, "email_reply.eml"))
	f.Fuzz(func(t *testing.T, b []byte) {
		in, atts, err := ParseEmail(b)
		if err != nil {
			return
		}
		if in.User == "" || in.PlatformID == "" || strings.TrimSpace(in.Text) == "" {
			t.Fatalf("accepted %+v", in)
		}
		for _, a := range atts {
			if a.Name == "" || strings.ContainsAny(a.Name, "/\x00") || a.Name == ".." {
				t.Fatalf("unsafe attachment name %q", a.Name)
			}
		}
	})
}
