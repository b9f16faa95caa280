package channels

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

const (
	wcCorp  = "ww12345678910"
	wcToken = "QDG6eK"
	wcKey   = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
)

// wecomQuery signs parts (echostr or Encrypt) like WeCom does.
func wecomQuery(token, part string) url.Values {
	ts, nonce := "1409659813", "1372623149"
	return url.Values{"msg_signature": {wechatSignature(token, ts, nonce, part)}, "timestamp": {ts}, "nonce": {nonce}}
}

func TestWeComHandle(t *testing.T) {
	cfg := Config{ID: "wc1", Tenant: "t", Kind: KindWeCom, Token: wcToken, AESKey: wcKey, CorpID: wcCorp, CorpSecret: "s"}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	w := &WeCom{}
	echo, _ := wechatEncrypt(wcKey, wcCorp, []byte("1616140317555161061"))
	q := wecomQuery(wcToken, echo)
	q.Set("echostr", echo)
	res, err := w.Handle(cfg, Request{Method: "GET", Query: q})
	if err != nil || string(res.Body) != "1616140317555161061" {
		t.Fatalf("verification %+v, %v", res, err)
	}
	q.Set("msg_signature", strings.Repeat("0", 40))
	_, err = w.Handle(cfg, Request{Method: "GET", Query: q})
	wantRefusal(t, err, 403, "bad_signature")

	event := `<xml><ToUserName><![CDATA[ww12345678910]]></ToUserName><CreateTime>1348831860</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[kf_msg_or_event]]></Event><Token><![CDATA[ENCApHxnGDNAVNY4AaSJKj4Tb5mwsEMzxhFmHVGcra996NR]]></Token><OpenKfId><![CDATA[wkxxxxxxx]]></OpenKfId></xml>`
	enc, _ := wechatEncrypt(wcKey, wcCorp, []byte(event))
	body := []byte(`<xml><ToUserName><![CDATA[ww12345678910]]></ToUserName><AgentID><![CDATA[218]]></AgentID><Encrypt><![CDATA[` + enc + `]]></Encrypt></xml>`)
	res, err = w.Handle(cfg, Request{Method: "POST", Query: wecomQuery(wcToken, enc), Header: header("Content-Type", "text/xml"), Body: body})
	if err != nil || res.Pull == nil || res.Pull.Token != "ENCApHxnGDNAVNY4AaSJKj4Tb5mwsEMzxhFmHVGcra996NR" || res.Pull.Account != "wkxxxxxxx" {
		t.Fatalf("notice %+v, %v", res, err)
	}
	_, err = w.Handle(cfg, Request{Method: "POST", Query: wecomQuery("other", enc), Header: header("Content-Type", "text/xml"), Body: body})
	wantRefusal(t, err, 403, "bad_signature")
	other, _ := wechatEncrypt(wcKey, "wwother", []byte(event))
	_, err = w.Handle(cfg, Request{Method: "POST", Query: wecomQuery(wcToken, other), Header: header("Content-Type", "text/xml"),
		Body: []byte(`<xml><Encrypt>` + other + `</Encrypt></xml>`)})
	wantRefusal(t, err, 400, "bad_ciphertext")
	_, err = w.Handle(cfg, Request{Method: "POST", Query: wecomQuery(wcToken, "x"), Header: header("Content-Type", "text/xml"), Body: []byte(`<xml><Encrypt>x`)})
	wantRefusal(t, err, 400, "bad_xml")
}

func TestWeComPullAndSend(t *testing.T) {
	var sent []map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/cgi-bin/gettoken":
			if r.URL.Query().Get("corpid") != wcCorp || r.URL.Query().Get("corpsecret") != "s" {
				w.Write([]byte(`{"errcode":40001,"errmsg":"invalid secret"}`))
				return
			}
			w.Write([]byte(`{"errcode":0,"errmsg":"ok","access_token":"AT","expires_in":7200}`))
		case "/cgi-bin/kf/sync_msg":
			var req map[string]any
			json.NewDecoder(r.Body).Decode(&req)
			if r.URL.Query().Get("access_token") != "AT" || req["token"] != "TOK" || req["open_kfid"] != "wk1" {
				w.Write([]byte(`{"errcode":95000,"errmsg":"bad request"}`))
				return
			}
			switch req["cursor"] {
			case "":
				w.Write([]byte(`{"errcode":0,"errmsg":"ok","next_cursor":"C1","has_more":1,"msg_list":[
					{"msgid":"from_msgid_1","open_kfid":"wk1","external_userid":"wmU1","send_time":1615478585,"origin":3,"msgtype":"text","text":{"content":"hello world"}},
					{"msgid":"from_msgid_2","open_kfid":"wk1","external_userid":"wmU1","send_time":1615478586,"origin":5,"servicer_userid":"zhangsan","msgtype":"text","text":{"content":"from the servicer"}}]}`))
			case "C1":
				w.Write([]byte(`{"errcode":0,"errmsg":"ok","next_cursor":"C2","has_more":0,"msg_list":[
					{"msgid":"from_msgid_3","open_kfid":"wk1","external_userid":"wmU2","send_time":1615478590,"origin":3,"msgtype":"image","image":{"media_id":"m"}}]}`))
			default:
				w.Write([]byte(`{"errcode":0,"errmsg":"ok","next_cursor":"C2","has_more":0,"msg_list":[]}`))
			}
		case "/cgi-bin/kf/send_msg":
			var m map[string]any
			json.NewDecoder(r.Body).Decode(&m)
			sent = append(sent, m)
			w.Write([]byte(`{"errcode":0,"errmsg":"ok","msgid":"MSG"}`))
		}
	}))
	defer srv.Close()
	cfg := Config{ID: "wc1", Tenant: "t", Kind: KindWeCom, Token: wcToken, AESKey: wcKey, CorpID: wcCorp, CorpSecret: "s", APIBase: srv.URL}
	w := For(KindWeCom, srv.Client()).(*WeCom)
	msgs, next, err := w.Pull(context.Background(), cfg, PullRequest{Token: "TOK", Account: "wk1"}, "")
	if err != nil || next != "C2" || len(msgs) != 2 {
		t.Fatalf("pull: %+v %q %v", msgs, next, err)
	}
	if msgs[0].User != "wk1|wmU1" || msgs[0].Text != "hello world" || msgs[0].PlatformID != "from_msgid_1" || msgs[1].Text != "[image]" {
		t.Fatalf("messages %+v", msgs)
	}
	if msgs, _, err := w.Pull(context.Background(), cfg, PullRequest{Token: "TOK", Account: "wk1"}, "C2"); err != nil || len(msgs) != 0 {
		t.Fatalf("from the cursor: %+v %v", msgs, err)
	}
	if err := w.Send(context.Background(), cfg, Outbound{ID: "r1", User: "wk1|wmU1", Text: "您好"}); err != nil {
		t.Fatal(err)
	}
	if len(sent) != 1 || sent[0]["touser"] != "wmU1" || sent[0]["open_kfid"] != "wk1" || sent[0]["msgid"] != "r1" || sent[0]["text"].(map[string]any)["content"] != "您好" {
		t.Fatalf("send_msg got %v", sent)
	}
	if err := w.Send(context.Background(), cfg, Outbound{User: "nobar", Text: "x"}); !errors.Is(err, ErrConfig) {
		t.Fatalf("bad user: %v", err)
	}
}
