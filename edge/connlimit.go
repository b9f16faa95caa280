package edge

import (
	"strings"
	"sync"

	"github.com/fasthttp/websocket"
	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	"github.com/kefu-io/kefu/chat"
)

// localConnIP is the Fiber local under which the connection guard hands the
// admitted client address to the WebSocket handler, which releases it.
const localConnIP = "kefu.connip"

// connLimiter counts open WebSocket connections, in all and per client IP,
// so one address (a script, a scraper) cannot take every socket of the
// edge. Shoppers behind one NAT share an address: the per-IP cap is set
// high by default and is configurable.
type connLimiter struct {
	mu    sync.Mutex
	total int
	perIP map[string]int
	max   int // 0: unlimited
	maxIP int // 0: unlimited
}

func newConnLimiter(max, maxIP int) *connLimiter {
	return &connLimiter{perIP: make(map[string]int), max: max, maxIP: maxIP}
}

// acquire admits one more connection from ip, or says which cap refused it.
func (l *connLimiter) acquire(ip string) (ok bool, code, reason string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.max > 0 && l.total >= l.max {
		return false, "edge_full", "this edge is at its connection limit; retry later or another edge"
	}
	if l.maxIP > 0 && l.perIP[ip] >= l.maxIP {
		return false, "too_many_connections", "too many open connections from this address"
	}
	l.total++
	l.perIP[ip]++
	return true, "", ""
}

// release gives back a connection admitted for ip.
func (l *connLimiter) release(ip string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.total--
	if l.perIP[ip] <= 1 {
		delete(l.perIP, ip)
		return
	}
	l.perIP[ip]--
}

// admitConn is the route guard of /ws that applies the connection caps
// before the upgrade: 503 when the edge is full, 429 for one address over
// its cap, each with a Retry-After and a JSON reason.
func (n *Node) admitConn(c *fiber.Ctx) error {
	ip := c.IP()
	if n.heap != nil && n.heap.over.Load() {
		n.m.errors.WithLabelValues("edge_full_memory").Inc()
		c.Set(fiber.HeaderRetryAfter, "5")
		return jsonError(c, fiber.StatusServiceUnavailable, "edge_full", "this edge is at its memory limit; retry later or another edge")
	}
	ok, code, reason := n.limits.acquire(ip)
	if !ok {
		n.m.errors.WithLabelValues(code).Inc()
		c.Set(fiber.HeaderRetryAfter, "5")
		status := fiber.StatusTooManyRequests
		if code == "edge_full" {
			status = fiber.StatusServiceUnavailable
		}
		return jsonError(c, status, code, reason)
	}
	c.Locals(localConnIP, ip)
	err := c.Next()
	if c.Response().StatusCode() != fiber.StatusSwitchingProtocols {
		n.limits.release(ip) // the upgrade failed: no handler will release it
	}
	return err
}

// wsUpgrader upgrades the admitted /ws requests. The site guard checked
// Origin already. Write buffers come from a pool for the length of a write
// only, so an idle connection holds none.
var wsUpgrader = websocket.FastHTTPUpgrader{
	ReadBufferSize:  4096,
	WriteBufferSize: 4096,
	WriteBufferPool: writeBuffers,
	CheckOrigin:     func(*fasthttp.RequestCtx) bool { return true },
}

// upgradeWS upgrades an admitted request and serves the socket on a
// goroutine of its own. The HTTP server keeps hijacked connections
// (Register), so its worker returns at once and gives back the request's
// context (parsed headers, query, buffers) and its own deep stack: a
// connection held them for its whole life before, with a copy of every
// header, query argument, cookie and local in maps, ~60 objects the GC
// marked on each cycle (issue 14, goal 4). What the connection needs is
// copied out of the request first, whose memory the server reuses.
func (n *Node) upgradeWS(c *fiber.Ctx) error {
	ref, _ := c.Locals(localSite).(siteRef)
	ref.key = strings.Clone(ref.key)
	ch := chat.ChannelWeb
	if q := c.Query("channel"); q != "" {
		ch = chat.Channel(strings.Clone(q)) // validated by the route guard
	}
	ip, admitted := c.Locals(localConnIP).(string)
	ip = strings.Clone(ip)
	err := wsUpgrader.Upgrade(c.Context(), func(conn *websocket.Conn) {
		go n.serveLimited(conn, ref, ch, ip, admitted)
	})
	if err != nil { // the upgrader answered with the handshake's error
		return fiber.ErrUpgradeRequired
	}
	return nil
}

// serveLimited serves one admitted WebSocket connection, gives its slot
// back when it ends and closes it.
func (n *Node) serveLimited(c *websocket.Conn, ref siteRef, ch chat.Channel, ip string, admitted bool) {
	defer c.Close()
	if admitted {
		defer n.limits.release(ip)
	}
	defer func() {
		if r := recover(); r != nil {
			n.m.errors.WithLabelValues("panic").Inc()
			n.log.Error("edge: websocket handler panicked", "panic", r)
		}
	}()
	n.serveWS(c, ref, ch)
}
