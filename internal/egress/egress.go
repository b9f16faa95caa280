// Package egress guards outbound HTTP requests to URLs that merchants and
// operators configure (webhooks, channel APIs, staff alert robots) against
// server-side request forgery: unless allowed explicitly, they may not
// reach loopback, private, link-local (cloud metadata at 169.254.169.254),
// carrier-grade NAT, unspecified or multicast addresses. The check runs on
// every address the dialer is about to connect to, after DNS resolution,
// so a public name that resolves to a private address (or rebinds to one
// later) is refused too; CheckURL refuses literal private hosts early,
// when the URL is registered.
//
// Tests and `kefu dev` run their stand-ins on loopback and allow private
// addresses (central.Config.AllowPrivateURLs, `--allow-private-urls`).
package egress

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// ErrPrivateAddress is returned for a destination that is loopback,
// private, link-local or otherwise not a public unicast address.
var ErrPrivateAddress = errors.New("egress: destination is a private, loopback or link-local address (refused; allow private URLs explicitly for local setups)")

var extraPrivate = []netip.Prefix{
	netip.MustParsePrefix("100.64.0.0/10"), // carrier-grade NAT
	netip.MustParsePrefix("0.0.0.0/8"),     // "this network"
	netip.MustParsePrefix("192.0.0.0/24"),  // IETF protocol assignments
	netip.MustParsePrefix("198.18.0.0/15"), // benchmarking
	netip.MustParsePrefix("64:ff9b::/96"),  // NAT64 (embeds an IPv4 address)
}

// Private reports whether ip is not a public unicast address.
func Private(ip netip.Addr) bool {
	ip = ip.Unmap()
	if !ip.IsValid() || ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsInterfaceLocalMulticast() || ip.IsMulticast() || ip.IsUnspecified() {
		return true
	}
	for _, p := range extraPrivate {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// control is a net.Dialer Control refusing private addresses.
func control(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("egress: dial %s: %w", address, err)
	}
	if Private(ap.Addr()) {
		return fmt.Errorf("%w: %s", ErrPrivateAddress, ap.Addr())
	}
	return nil
}

// Client returns an HTTP client with timeout whose connections may reach
// only public addresses, unless allowPrivate. checkRedirect may be nil.
func Client(timeout time.Duration, allowPrivate bool, checkRedirect func(*http.Request, []*http.Request) error) *http.Client {
	return &http.Client{Timeout: timeout, Transport: Transport(allowPrivate), CheckRedirect: checkRedirect}
}

// Transport returns http.DefaultTransport's settings with a dialer that
// refuses private addresses, unless allowPrivate (then a plain clone). It
// uses no proxy: a proxy would make the dialer's check see only the proxy.
func Transport(allowPrivate bool) *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	if allowPrivate {
		return t
	}
	d := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second, Control: control}
	t.Proxy = nil
	t.DialContext = d.DialContext
	return t
}

// CheckURL refuses a URL whose host is a private address written out, or
// a name that always means this host ("localhost", "*.localhost"), unless
// allowPrivate. Names are not resolved here (the dialer checks them on
// every connection).
func CheckURL(_ context.Context, raw string, allowPrivate bool) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return fmt.Errorf("egress: %q: not an absolute URL", raw)
	}
	if allowPrivate {
		return nil
	}
	host := strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return fmt.Errorf("%w: %s", ErrPrivateAddress, host)
	}
	if ip, err := netip.ParseAddr(host); err == nil && Private(ip) {
		return fmt.Errorf("%w: %s", ErrPrivateAddress, host)
	}
	// Legacy IPv4 forms (decimal 2130706433, octal 0177.0.0.1) that some
	// resolvers accept: refuse an all-numeric-and-dots host that is not a
	// plain dotted quad.
	if strings.Trim(host, "0123456789.x") == "" {
		if _, err := netip.ParseAddr(host); err != nil {
			return fmt.Errorf("%w: %s (numeric host)", ErrPrivateAddress, host)
		}
	}
	return nil
}
