package natsembed

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// composeDir holds the compose example's NATS configuration.
var composeDir = filepath.Join("..", "..", "deploy", "compose")

// TestComposeNATSConfRestrictsLeafLinks (issue 8, SECURITY.md "Not yet"
// until now): the external NATS of deploy/compose gives each region's leaf
// link the permissions of the embedded NATS. Its users file is what
// `kefu nats-users --leaf-region eu,us` generates (UsersConf: the
// permissions of auth.go), and a nats-server started from nats.conf (the
// host's ports, store and routes swapped for the test's) refuses a leaf
// of eu presenting us's token and gives eu's leaf its region's rights and
// nothing more (checkLeafLinkOfEU, as TestLeafLinkHasOnlyItsRegionsPermissions).
func TestComposeNATSConfRestrictsLeafLinks(t *testing.T) {
	want, err := UsersConf("central", nil, []string{"eu", "us"})
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(composeDir, "nats-users.conf"))
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Fatal("deploy/compose/nats-users.conf is not what `kefu nats-users --leaf-region eu,us` prints: regenerate it")
	}
	if _, err := UsersConf("central", []string{"a.b"}, nil); err == nil {
		t.Error("a region with a dot was accepted")
	}

	dir := t.TempDir()
	for _, f := range []string{"nats.conf", "nats-users.conf"} {
		b, err := os.ReadFile(filepath.Join(composeDir, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	tokens := map[string]string{"eu": "token-of-eu", "us": "token-of-us"}
	t.Setenv("NATS_NAME", "nats1")
	t.Setenv("NATS_CENTRAL_PASSWORD", "central-password")
	t.Setenv(PasswordVar(LeafUserOf("eu")), tokens["eu"])
	t.Setenv(PasswordVar(LeafUserOf("us")), tokens["us"])
	opts, err := server.ProcessConfigFile(filepath.Join(dir, "nats.conf"))
	if err != nil {
		t.Fatalf("deploy/compose/nats.conf: %v", err)
	}
	if opts.JetStreamDomain != "central" || opts.LeafNode.Port != 7422 || len(opts.Users) != 3 ||
		opts.LeafNode.Username != "" || opts.LeafNode.Nkey != "" || len(opts.LeafNode.Users) != 0 {
		t.Fatalf("deploy/compose/nats.conf: domain %q, leaf port %d, %d users, leaf authorization %q/%q/%d",
			opts.JetStreamDomain, opts.LeafNode.Port, len(opts.Users), opts.LeafNode.Username, opts.LeafNode.Nkey, len(opts.LeafNode.Users))
	}
	// One machine, one node: test ports, no routes, a temporary store.
	opts.Host, opts.Port, opts.HTTPPort = "127.0.0.1", -1, 0
	opts.Cluster, opts.Routes = server.ClusterOpts{}, nil
	opts.LeafNode.Host, opts.LeafNode.Port = "127.0.0.1", freePort(t)
	opts.StoreDir = filepath.Join(dir, "js")
	opts.NoLog, opts.NoSigs = true, true
	srv, err := server.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	go srv.Start()
	defer func() { srv.Shutdown(); srv.WaitForShutdown() }()
	if !srv.ReadyForConnections(30 * time.Second) {
		t.Fatal("nats-server from deploy/compose/nats.conf did not start")
	}
	if nc, err := nats.Connect(srv.ClientURL(), nats.NoReconnect()); err == nil {
		nc.Close()
		t.Fatal("anonymous client connected")
	}
	leafURL := "nats://127.0.0.1:" + strconv.Itoa(opts.LeafNode.Port)
	for name, o := range map[string]Options{
		"us's token for eu":  {LeafRemoteRegion: "eu", LeafRemoteToken: tokens["us"]},
		"no token":           {LeafRemoteRegion: "eu"},
		"central's password": {LeafRemoteRegion: "eu", LeafRemoteToken: "central-password"},
	} {
		o.NoListen, o.LeafRemote = true, leafURL
		if s, err := Start(o); !errors.Is(err, ErrLeafRefused) {
			if err == nil {
				s.Shutdown()
			}
			t.Errorf("%s: Start = %v, want ErrLeafRefused", name, err)
		}
	}
	leaf, err := Start(Options{NoListen: true, StoreDir: t.TempDir(), Domain: "edge-eu", LeafRemote: leafURL,
		LeafRemoteRegion: "eu", LeafRemoteToken: tokens["eu"]})
	if err != nil {
		t.Fatal(err)
	}
	defer leaf.Shutdown()
	cen, err := nats.Connect(srv.ClientURL(), nats.UserInfo(CentralUser, "central-password"))
	if err != nil {
		t.Fatal(err)
	}
	defer cen.Close()
	checkLeafLinkOfEU(t, cen, leaf)
}
