package channels

import (
	"encoding/xml"
	"testing"
)

func xmlUnmarshal(b []byte, v any) error { return xml.Unmarshal(b, v) }

// The parsers of untrusted platform bodies must never panic; whatever they
// accept must make a message the edge can use.

func FuzzWeChatXML(f *testing.F) {
	for _, n := range []string{"wechat_text.xml", "wechat_image.xml", "wechat_subscribe.xml", "wechat_click.xml", "wechat_billion_laughs.xml", "wechat_aes_text.xml"} {
		f.Add(fixture(f, n))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := parseWeChatXML(b)
		if err != nil {
			return
		}
		in, err := m.inbound()
		if err == nil && in.Text != "" && (in.User == "" || in.PlatformID == "") {
			t.Fatalf("accepted a message without user or id: %+v", in)
		}
	})
}

func FuzzWeChatDecrypt(f *testing.F) {
	ct, err := wechatEncrypt(wxKey, wxAppID, []byte("<xml/>"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(ct)
	f.Add("")
	f.Add("AAAAAAAAAAAAAAAAAAAAAA==")
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = wechatDecrypt(wxKey, wxAppID, s)
	})
}

func FuzzWebhook(f *testing.F) {
	f.Add(fixture(f, "webhook_text.json"))
	f.Add([]byte(`{"id":"1","user":"u","text":"x"}{}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		in, err := parseWebhook(b)
		if err == nil && (in.PlatformID == "" || in.User == "" || in.Text == "") {
			t.Fatalf("accepted %+v", in)
		}
	})
}

func FuzzTelegram(f *testing.F) {
	f.Add(fixture(f, "telegram_text.json"))
	f.Fuzz(func(t *testing.T, b []byte) {
		in, ok, err := parseTelegram(b)
		if err == nil && ok && (in.User == "" || in.Text == "") {
			t.Fatalf("accepted %+v", in)
		}
	})
}

func FuzzWhatsApp(f *testing.F) {
	f.Add(fixture(f, "whatsapp_text.json"))
	f.Add(fixture(f, "whatsapp_status.json"))
	f.Fuzz(func(t *testing.T, b []byte) {
		msgs, err := parseWhatsApp(b)
		if err == nil && len(msgs) > maxWhatsAppBatch {
			t.Fatalf("%d messages", len(msgs))
		}
	})
}
