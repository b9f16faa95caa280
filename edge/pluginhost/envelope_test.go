package pluginhost

import (
	"encoding/json"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/plugins/pdk"
)

// TestBinaryEnvelopeMatchesJSON: a PDK guest sees the same envelope whether
// the host sends it as JSON or in the binary format (ABI.md section 4.1).
func TestBinaryEnvelopeMatchesJSON(t *testing.T) {
	full := envelope("where is my order 12345? 我的手机号是 139 1234 5678")
	full.Labels = map[string]string{"sku": "A-100", "pii": "PHONE", "custom.x": ""}
	full.Message.Source, full.Message.ReplyTo, full.Message.Author = chat.SourceEdge, "01JPREV", "bot"
	full.Message.Lang, full.Message.Intent, full.Message.Anger = "zh", "order_status", 0.75
	full.Message.IntentConfidence = 0.82
	bad := envelope("bad \xff\xfe bytes")
	bad.Tenant = "t\xc3"
	zero := envelope("")
	zero.Message.At = time.Time{}
	for _, tc := range []struct {
		name string
		env  chat.Envelope
	}{{"full", full}, {"invalid utf-8", bad}, {"zero time, empty text", zero}, {"empty", chat.Envelope{}}} {
		t.Run(tc.name, func(t *testing.T) {
			var seen []pdk.Envelope
			pdk.OnInbound(func(env *pdk.Envelope) pdk.Result { seen = append(seen, *env); return pdk.Pass() })
			defer pdk.OnInbound(nil)
			js, err := json.Marshal(&tc.env)
			if err != nil {
				t.Fatal(err)
			}
			bin := appendBinaryEnvelope(nil, &tc.env)
			for _, in := range [][]byte{js, bin} {
				if _, err := pdk.Handle(pdk.HookInbound, in); err != nil {
					t.Fatalf("Handle(%q): %v", in, err)
				}
			}
			if len(seen) != 2 || !reflect.DeepEqual(seen[0], seen[1]) {
				t.Fatalf("JSON and binary decode differently:\n json   %+v\n binary %+v", seen[0], seen[1])
			}
			if tc.name == "full" && (seen[1].Labels["pii"] != "PHONE" || seen[1].Message.Anger != 0.75 || seen[1].Message.IntentConfidence != 0.82 || !seen[1].Message.At.Equal(tc.env.Message.At)) {
				t.Fatalf("binary lost fields: %+v", seen[1])
			}
		})
	}
}

// TestBinaryEnvelopeNaN: an anger of NaN cannot travel as JSON (Run fails
// before any plugin runs), but the binary format carries it.
func TestBinaryEnvelopeNaN(t *testing.T) {
	env := envelope("x")
	env.Message.Anger = math.NaN()
	var got float64
	pdk.OnInbound(func(env *pdk.Envelope) pdk.Result { got = env.Message.Anger; return pdk.Pass() })
	defer pdk.OnInbound(nil)
	if _, err := pdk.Handle(pdk.HookInbound, appendBinaryEnvelope(nil, &env)); err != nil || !math.IsNaN(got) {
		t.Fatalf("anger %v, err %v", got, err)
	}
}
