package edge

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kefu-io/kefu/internal/egress"
)

// TestChannelCallsCannotReachPrivateAddresses (SSRF): the platform API
// calls and a merchant's webhook channel go through a client that refuses
// loopback, private and link-local destinations unless AllowPrivateURLs.
func TestChannelCallsCannotReachPrivateAddresses(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { hits.Add(1); w.WriteHeader(200) }))
	defer srv.Close()
	o := ChannelOptions{}.withDefaults(nil, time.Second)
	if _, err := o.HTTPClient.Post(srv.URL+"/merchant-hook", "application/json", nil); !errors.Is(err, egress.ErrPrivateAddress) {
		t.Fatalf("POST to a loopback merchant URL: %v, want refused", err)
	}
	if hits.Load() != 0 {
		t.Fatal("the loopback service was reached")
	}
	o = ChannelOptions{AllowPrivateURLs: true}.withDefaults(nil, time.Second)
	res, err := o.HTTPClient.Post(srv.URL+"/merchant-hook", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if hits.Load() != 1 {
		t.Fatalf("allowed: %d hits", hits.Load())
	}
}
