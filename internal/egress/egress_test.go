package egress

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"
)

func TestPrivate(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1": true, "::1": true, "10.1.2.3": true, "172.16.0.1": true, "192.168.1.1": true,
		"169.254.169.254": true, "fe80::1": true, "fc00::1": true, "100.64.0.1": true, "0.0.0.0": true, "::": true,
		"224.0.0.1": true, "::ffff:127.0.0.1": true, "::ffff:10.0.0.1": true, "64:ff9b::a00:1": true,
		"93.184.216.34": false, "8.8.8.8": false, "2606:4700:4700::1111": false, "::ffff:8.8.8.8": false,
	} {
		if got := Private(netip.MustParseAddr(addr)); got != want {
			t.Errorf("Private(%s) = %v, want %v", addr, got, want)
		}
	}
}

func TestCheckURL(t *testing.T) {
	ctx := context.Background()
	for raw, refused := range map[string]bool{
		"https://127.0.0.1/hook": true, "https://localhost:8443/x": true, "https://api.localhost/x": true,
		"https://[::1]/x": true, "https://10.0.0.5/x": true, "https://169.254.169.254/latest/meta-data": true,
		"https://2130706433/x": true, "https://0177.0.0.1/x": true, "https://[::ffff:192.168.0.1]/x": true,
		"https://hooks.example.com/x": false, "https://93.184.216.34/x": false,
	} {
		err := CheckURL(ctx, raw, false)
		if refused != errors.Is(err, ErrPrivateAddress) {
			t.Errorf("CheckURL(%s) = %v, want refused %v", raw, err, refused)
		}
		if err := CheckURL(ctx, raw, true); err != nil {
			t.Errorf("CheckURL(%s, allowPrivate) = %v", raw, err)
		}
	}
	if err := CheckURL(ctx, "not a url", true); err == nil {
		t.Error("a relative URL passed")
	}
}

// TestClientRefusesPrivateAfterResolution: a name that resolves to
// loopback ("localhost") is refused at dial time; with the explicit allow
// the same request reaches the server.
func TestClientRefusesPrivateAfterResolution(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(204) }))
	defer srv.Close()
	for _, u := range []string{srv.URL, "http://localhost:" + srv.Listener.Addr().(interface{ String() string }).String()[len("127.0.0.1:"):]} {
		_, err := Client(5*time.Second, false, nil).Get(u)
		if !errors.Is(err, ErrPrivateAddress) {
			t.Errorf("GET %s: %v, want ErrPrivateAddress", u, err)
		}
		res, err := Client(5*time.Second, true, nil).Get(u)
		if err != nil {
			t.Fatalf("allowed GET %s: %v", u, err)
		}
		res.Body.Close()
		if res.StatusCode != 204 {
			t.Errorf("allowed GET %s: %d", u, res.StatusCode)
		}
	}
}
