package pdk

import (
	"encoding/binary"
	"testing"
)

// binEnv builds a binary envelope by hand: v, at, anger, the string fields
// and the labels (key, value, key, value…).
func binEnv(fields []string, labels ...string) []byte {
	b := []byte(binaryMagic)
	b = binary.LittleEndian.AppendUint32(b, 1)
	b = binary.LittleEndian.AppendUint64(b, 1735787045000000000)
	b = binary.LittleEndian.AppendUint64(b, 0)
	str := func(s string) { b = binary.LittleEndian.AppendUint32(b, uint32(len(s))); b = append(b, s...) }
	b = binary.LittleEndian.AppendUint32(b, uint32(len(fields)))
	for _, f := range fields {
		str(f)
	}
	b = binary.LittleEndian.AppendUint32(b, uint32(len(labels)/2))
	for _, l := range labels {
		str(l)
	}
	return b
}

func TestDecodeBinaryEnvelope(t *testing.T) {
	// 14 fields, then one a later minor version added: skipped
	fields := []string{"shop", "eu", "web", "v1", "inbound", "m1", "c1", "shopper", "hello", "", "", "", "en", "", "future"}
	in := binEnv(fields, "sku", "A-1", "pii", "PHONE")
	var env Envelope
	if err := decodeBinaryEnvelope(in, &env); err != nil {
		t.Fatal(err)
	}
	if env.V != 1 || env.Tenant != "shop" || env.Message.Text != "hello" || env.Message.Lang != "en" || env.Labels["pii"] != "PHONE" || env.Message.At.Unix() != 1735787045 {
		t.Fatalf("decoded %+v", env)
	}
	for i := range in { // the strings are views into a private copy
		in[i] = 0
	}
	if env.Tenant != "shop" || env.Labels["sku"] != "A-1" {
		t.Fatalf("envelope changed with its input: %+v", env)
	}
	// bytes after the labels (a later minor version's section): ignored
	env = Envelope{}
	if err := decodeBinaryEnvelope(append(binEnv([]string{"shop"}), 1, 2, 3), &env); err != nil || env.Tenant != "shop" {
		t.Fatalf("trailing bytes: %+v, %v", env, err)
	}
	// the numbers trailer (intent confidence), and a later one's extra number: ignored
	for _, n := range []int{1, 2} {
		env = Envelope{}
		b := binary.LittleEndian.AppendUint32(binEnv([]string{"shop"}), uint32(n))
		for i := 0; i < n; i++ {
			b = binary.LittleEndian.AppendUint64(b, 0x3fe8000000000000) // 0.75
		}
		if err := decodeBinaryEnvelope(b, &env); err != nil || env.Message.IntentConfidence != 0.75 {
			t.Fatalf("numbers trailer of %d: %+v, %v", n, env, err)
		}
	}
	// fewer fields than this PDK knows: the rest stay empty
	env = Envelope{}
	if err := decodeBinaryEnvelope(binEnv([]string{"shop"}), &env); err != nil || env.Tenant != "shop" || env.Message.Text != "" {
		t.Fatalf("short: %+v, %v", env, err)
	}
	full := binEnv(fields, "k", "v")
	manyLabels := binEnv(nil)
	binary.LittleEndian.PutUint32(manyLabels[len(manyLabels)-4:], 0xffffffff)
	for _, bad := range [][]byte{nil, []byte("kev"), []byte(`{"v":1}`), full[:len(full)-1], full[:30], manyLabels} {
		var e Envelope
		if err := decodeBinaryEnvelope(bad, &e); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// FuzzDecodeBinaryEnvelope: no input makes the decoder panic or read past
// its buffer.
func FuzzDecodeBinaryEnvelope(f *testing.F) {
	f.Add(binEnv([]string{"shop", "eu"}, "k", "v"))
	f.Add(binEnv(nil))
	f.Add([]byte(binaryMagic))
	f.Fuzz(func(t *testing.T, b []byte) {
		var env Envelope
		_ = decodeBinaryEnvelope(b, &env)
	})
}

// TestDeclineOnAnOlderHost: a decline reaches an ABI 1.1 host (its binary
// envelope has the numbers trailer) as decline, and an ABI 1.0 host (no
// trailer), which would refuse the verdict, as pass.
func TestDeclineOnAnOlderHost(t *testing.T) {
	OnInbound(func(env *Envelope) Result { return Decline("not tracking") })
	defer OnInbound(nil)
	old := binEnv([]string{"shop"})
	v11 := binary.LittleEndian.AppendUint64(binary.LittleEndian.AppendUint32(binEnv([]string{"shop"}), 1), 0)
	for _, tc := range []struct {
		name string
		in   []byte
		want string
	}{
		{"ABI 1.1 binary", v11, `{"verdict":"decline","reason":"not tracking"}`},
		{"ABI 1.0 binary", old, ``},
		{"JSON", []byte(`{"v":1,"tenant":"shop","message":{"id":"m","text":"x"}}`), `{"verdict":"decline","reason":"not tracking"}`},
	} {
		out, err := Handle(HookInbound, tc.in)
		if err != nil || string(out) != tc.want {
			t.Errorf("%s: %s, %v; want %s", tc.name, out, err, tc.want)
		}
	}
}
