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
