package chat

import "testing"

func TestChannelVisitor(t *testing.T) {
	v := ChannelVisitor("01M8Y51BTYPKNERBMWT06AEB4D", "wkKEFU|wm:1")
	id, user, ok := SplitChannelVisitor(v)
	if !ok || id != "01M8Y51BTYPKNERBMWT06AEB4D" || user != "wkKEFU|wm:1" || !PlatformChannel(v) {
		t.Fatalf("split %q: %q %q %v", v, id, user, ok)
	}
	for _, w := range []string{"01HV7Z8K3M2Q4R5S6T7V8W9X0Y", ":x", "x:", "a b:c", ""} {
		if PlatformChannel(w) {
			t.Errorf("%q taken for a channel visitor", w)
		}
	}
}
