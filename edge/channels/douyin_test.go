package channels

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/kefu-io/kefu/central/webhook"
)

func TestDouyin(t *testing.T) {
	cfg := Config{ID: "dy1", Tenant: "t", Kind: KindDouyin, ClientSecret: "dysecret", AccessToken: "act.1", OpenID: "ent-open-id"}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	d := &Douyin{}
	post := func(body []byte, sig string) (Result, error) {
		return d.Handle(cfg, Request{Method: "POST", Header: header("Content-Type", "application/json", HeaderDouyinSignature, sig, "Msg-Id", "m1"), Body: body})
	}
	verify := []byte(`{"event":"verify_webhook","client_key":"","content":{"challenge":12345}}`)
	res, err := post(verify, DouyinSignature("dysecret", verify))
	if err != nil || string(res.Body) != `{"challenge":12345}` {
		t.Fatalf("verify_webhook: %+v %v", res, err)
	}
	body := fixture(t, "douyin_im.json")
	res, err = post(body, DouyinSignature("dysecret", body))
	if err != nil || len(res.Messages) != 1 {
		t.Fatalf("%+v %v", res, err)
	}
	if in := res.Messages[0]; in.PlatformID != "7298291263016046632" || in.User != "7298291150797095960|_000QadFMhmU1jNCI3JdPnyVDL6XavC70dFy" ||
		in.Text != "What is your return policy?" || in.At.Year() != 2023 {
		t.Fatalf("message %+v", in)
	}
	_, err = post(body, DouyinSignature("other", body))
	wantRefusal(t, err, 401, "bad_signature")
	bad := []byte(`{"event":"im_receive_msg","content":"{not json"}`)
	_, err = post(bad, DouyinSignature("dysecret", bad))
	wantRefusal(t, err, 400, "bad_json")

	got := make(chan map[string]any, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/im/send/msg/" || r.URL.Query().Get("open_id") != "ent-open-id" || r.Header.Get("access-token") != "act.1" {
			w.Write([]byte(`{"err_no":28001003,"err_msg":"access_token invalid"}`))
			return
		}
		var m map[string]any
		json.NewDecoder(r.Body).Decode(&m)
		got <- m
		w.Write([]byte(`{"err_no":0,"err_msg":"","data":{"msg_id":"x"}}`))
	}))
	defer srv.Close()
	cfg.APIBase = srv.URL
	if err := (&Douyin{Client: srv.Client()}).Send(context.Background(), cfg, Outbound{ID: "r1", User: "conv1|user1", Text: "30 days"}); err != nil {
		t.Fatal(err)
	}
	m := <-got
	if m["to_user_id"] != "user1" || m["conversation_id"] != "conv1" || m["content"].(map[string]any)["text"].(map[string]any)["text"] != "30 days" {
		t.Fatalf("send body %v", m)
	}
	cfg.AccessToken = "expired"
	if err := (&Douyin{Client: srv.Client()}).Send(context.Background(), cfg, Outbound{ID: "r2", User: "c|u", Text: "x"}); err == nil {
		t.Fatal("an err_no answer was taken as sent")
	}
}

func FuzzDouyin(f *testing.F) {
	f.Add(fixture(f, "douyin_im.json"))
	f.Add([]byte(`{"event":"verify_webhook","content":{"challenge":1}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _, _ = parseDouyin(b)
	})
}

// TestSignMatchesKefuWebhooks: the webhook channel signs like Kefu's
// outbound webhooks (central/webhook), as the issue asks.
func TestSignMatchesKefuWebhooks(t *testing.T) {
	body := []byte(`{"id":"1","user":"u","text":"x"}`)
	if Sign("s", "1767225600", body) != webhook.Sign("s", 1767225600, body) {
		t.Fatal("the webhook channel's signature differs from central/webhook's")
	}
}
