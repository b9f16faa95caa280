// Command kitchen exercises every host function and verdict; the inbound
// text is a command (see the switch). Used by the host's tests.
package main

import (
	"strconv"
	"strings"
	"time"

	"github.com/kefu-io/kefu/plugins/pdk"
)

func init() {
	pdk.OnInbound(handle)
	pdk.OnOutbound(func(env *pdk.Envelope) pdk.Result {
		return pdk.ModifyText(env.Message.Text + " [checked]")
	})
	pdk.OnEvent(func(env *pdk.Envelope) pdk.Result {
		return pdk.Pass().WithLabel("seen_event", env.Event())
	})
}

func handle(env *pdk.Envelope) pdk.Result {
	cmd, arg, _ := strings.Cut(env.Message.Text, " ")
	switch cmd {
	case "kv":
		n := 0
		if b, err := pdk.KVGet("count"); err == nil {
			n, _ = strconv.Atoi(string(b))
		}
		n++
		if err := pdk.KVSet("count", []byte(strconv.Itoa(n)), time.Minute); err != nil {
			return pdk.Answer("kv error: " + err.Error())
		}
		return pdk.Answer("count=" + strconv.Itoa(n))
	case "kvbig":
		if err := pdk.KVSet("big", make([]byte, 100<<10), 0); err != nil {
			return pdk.Answer("kv error: " + err.Error())
		}
		return pdk.Answer("stored")
	case "config":
		v, ok := pdk.Config(arg)
		return pdk.Answer("config " + arg + "=" + v + " " + strconv.FormatBool(ok))
	case "http":
		url, _ := pdk.Config("url")
		if arg != "" {
			url = arg
		}
		resp, err := pdk.HTTP(pdk.Request{Method: "GET", URL: url, Headers: map[string]string{"x-plugin": "kitchen"}})
		if err != nil {
			return pdk.Answer("http error: " + err.Error())
		}
		return pdk.Answer("http " + strconv.Itoa(resp.Status) + " " + resp.Body)
	case "alert":
		if err := pdk.Alert(pdk.AlertMsg{Level: "high", Text: "shopper said " + arg, Link: "https://console/c"}); err != nil {
			return pdk.Answer("alert error: " + err.Error())
		}
		return pdk.Answer("alerted")
	case "vault":
		typ, val, _ := strings.Cut(arg, " ")
		tok, err := pdk.VaultPut(typ, val)
		if err != nil {
			return pdk.Answer("vault error: " + err.Error())
		}
		return pdk.Answer("token " + tok)
	case "log":
		pdk.Log(pdk.LevelWarn, "kitchen says "+arg)
		return pdk.Pass()
	case "now":
		return pdk.Answer("now=" + strconv.FormatInt(pdk.Now().Unix(), 10))
	case "modify":
		return pdk.ModifyText("masked "+arg).WithLabel("pii", "PHONE")
	case "label":
		return pdk.Pass().WithLabel("step", arg)
	case "unlabel":
		return pdk.Pass().WithLabel(arg, "")
	case "drop":
		return pdk.Drop("dropped " + arg)
	case "escalate":
		return pdk.Escalate("escalated " + arg)
	case "answer":
		return pdk.Answer("answer " + arg)
	case "decline":
		return pdk.Decline("declined "+arg).WithLabel("seen", arg)
	case "intent":
		return pdk.Answer(env.Message.Intent + " " + strconv.FormatFloat(env.Message.IntentConfidence, 'f', 2, 64))
	case "hugetext":
		return pdk.ModifyText(strings.Repeat("y", 10<<10))
	case "badlabel":
		return pdk.Pass().WithLabel("Bad Key", "x")
	case "spin":
		end := time.Now().Add(5 * time.Millisecond)
		for time.Now().Before(end) {
		}
		return pdk.Answer("spun")
	case "echo":
		return pdk.Answer(env.Tenant + "|" + env.Region + "|" + env.Label("step"))
	}
	return pdk.Pass()
}

func main() {}
