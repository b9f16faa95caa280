package stack

import (
	"bufio"
	"encoding/json"
	"errors"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/internal/natsembed"
)

// TestEmbeddedNATSRefusesStrangersAndForgedReplies (issue 8 item 8): the
// NATS server of `kefu dev` refuses an anonymous client (a raw `SUB kefu.>`
// gets an authorization error), a wrong password and a made-up role; its
// credentials derive from a secret kept 0600 in the data folder; and a
// client with the edge's own credentials can neither read the inbound
// stream's subjects nor publish a reply to a shopper, so a forged "agent"
// message with a phishing link never reaches the widget, while the same
// envelope published by central does.
func TestEmbeddedNATSRefusesStrangersAndForgedReplies(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s, err := Start(t.Context(), Options{Addr: "127.0.0.1:0", DataDir: dir, PluginCache: testPluginCache(), Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })

	fi, err := os.Stat(filepath.Join(dir, natsembed.SecretFile))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("%s mode %v, want 0600", natsembed.SecretFile, fi.Mode().Perm())
	}

	u, err := url.Parse(s.nats.URL())
	if err != nil || u.Host == "" {
		t.Fatalf("nats URL %q", s.nats.URL())
	}
	t.Run("anonymous SUB kefu.>", func(t *testing.T) {
		c, err := net.DialTimeout("tcp", u.Host, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := c.Write([]byte("CONNECT {\"verbose\":false}\r\nSUB kefu.> 1\r\nPING\r\n")); err != nil {
			t.Fatal(err)
		}
		r := bufio.NewReader(c)
		var lines []string
		for {
			line, err := r.ReadString('\n')
			if line != "" {
				lines = append(lines, strings.TrimSpace(line))
			}
			if err != nil || strings.HasPrefix(line, "-ERR") || strings.HasPrefix(line, "PONG") {
				break
			}
		}
		last := lines[len(lines)-1]
		if !strings.Contains(last, "-ERR 'Authorization Violation'") {
			t.Fatalf("anonymous client got %q, want an authorization violation", lines)
		}
	})
	for _, tc := range []struct{ name, user, password string }{
		{"no credentials", "", ""},
		{"central with a wrong password", natsembed.CentralUser, "guess"},
		{"edge with central's password", natsembed.EdgeUser(EdgeRegion), natsembed.Password(mustSecret(t, dir), natsembed.CentralUser)},
		{"a role that does not exist", "admin", natsembed.Password(mustSecret(t, dir), "admin")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := []nats.Option{nats.NoReconnect()}
			if tc.user != "" {
				opts = append(opts, nats.UserInfo(tc.user, tc.password))
			}
			nc, err := nats.Connect(s.nats.URL(), opts...)
			if err == nil {
				nc.Close()
				t.Fatal("connected")
			}
			if !errors.Is(err, nats.ErrAuthorization) && !strings.Contains(strings.ToLower(err.Error()), "authorization") {
				t.Fatalf("err %v, want an authorization error", err)
			}
		})
	}

	// A client holding the edge's credentials (a local user who read the
	// edge's configuration, or a compromised edge).
	perm := make(chan error, 8)
	cred := natsembed.CredentialsFor(mustSecret(t, dir), natsembed.EdgeUser(EdgeRegion))
	evil, err := nats.Connect(s.nats.URL(), nats.UserInfo(cred.User, cred.Password), nats.NoReconnect(),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) { perm <- err }))
	if err != nil {
		t.Fatalf("edge credentials refused: %v", err)
	}
	defer evil.Close()
	expectViolation := func(what string) {
		t.Helper()
		select {
		case err := <-perm:
			if !errors.Is(err, nats.ErrPermissionViolation) && !strings.Contains(err.Error(), "Permissions Violation") {
				t.Fatalf("%s: %v, want a permissions violation", what, err)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: no permissions violation", what)
		}
	}
	for _, subj := range []string{chat.SubjectInboundPrefix + ">", chat.OutboundWildcard("eu"), chat.SubjectStaffPrefix + ">", "kefu.>"} {
		if _, err := evil.SubscribeSync(subj); err != nil {
			t.Fatal(err)
		}
		must(t, evil.Flush())
		expectViolation("SUB " + subj)
	}

	ws, welcome := dialShopper(t, s, chat.Frame{})
	conv := welcome.ConversationID
	if conv == "" {
		t.Fatalf("welcome %+v has no conversation", welcome)
	}
	reply := func(text string) []byte {
		b, _ := json.Marshal(chat.Envelope{V: chat.ProtocolVersion, Tenant: DemoSite, Region: EdgeRegion, Visitor: welcome.Visitor,
			Direction: chat.Outbound, Message: chat.Message{ID: chat.NewID(), ConversationID: conv, Role: chat.RoleAgent,
				Author: "agent@demo.kefu", Text: text, At: time.Now().UTC()}})
		return b
	}
	const forged = "Your order is on hold, pay here: https://phish.example/pay"
	must(t, evil.Publish(chat.OutboundSubject(EdgeRegion, DemoSite), reply(forged)))
	must(t, evil.Flush())
	expectViolation("PUB " + chat.OutboundSubject(EdgeRegion, DemoSite))
	for _, subj := range []string{chat.EventsSubject(DemoSite), chat.StaffSubject(DemoSite), "$KV." + chat.BucketSites + ".demo"} {
		must(t, evil.Publish(subj, []byte("{}")))
		must(t, evil.Flush())
		expectViolation("PUB " + subj)
	}

	// The same envelope from central reaches the widget: the forged one
	// would have, had the server let it through.
	const genuine = "Hello from the real agent"
	must(t, s.ncCen.Publish(chat.OutboundSubject(EdgeRegion, DemoSite), reply(genuine)))
	f := ws.expectMessage(func(f chat.Frame) bool { return f.Role == chat.RoleAgent })
	if !strings.HasPrefix(f.Text, genuine) || strings.Contains(f.Text, "phish") {
		t.Fatalf("the widget got agent message %q, want only %q", f.Text, genuine)
	}
}

func mustSecret(t *testing.T, dir string) []byte {
	t.Helper()
	b, err := natsembed.LoadOrCreateSecret(filepath.Join(dir, natsembed.SecretFile))
	if err != nil {
		t.Fatal(err)
	}
	return b
}
