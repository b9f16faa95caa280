package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kefu-io/kefu/internal/natsembed"
)

// edgeCredentials writes the NATS credentials of region's edges for the
// central of data folder data (kefu nats-credentials) and returns the file.
func edgeCredentials(t *testing.T, data, region string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "nats-"+region+".json")
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"nats-credentials", "--data", data, "--region", region, "--out", path}, nil, &out, &errb); code != 0 {
		t.Fatalf("kefu nats-credentials: exit %d: %s", code, errb.String())
	}
	return path
}

// TestSplitEdgeNeedsNATSCredentials (issue 8 item 8): `kefu central
// --embed-nats` keeps its NATS secret 0600 in its data folder; an edge
// process without credentials is refused by that NATS and exits with an
// authorization error; `kefu nats-credentials` writes an edge's
// credentials 0600, and with them the edge starts; credentials of one
// region are not a key to another role (bad flag combinations are refused).
func TestSplitEdgeNeedsNATSCredentials(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	data := t.TempDir()
	natsPort := freePort(t)
	centralAddr := "127.0.0.1:" + strconv.Itoa(freePort(t))
	startKefu(t, "central", "--embed-nats", strconv.Itoa(natsPort), "--data", data, "--addr", centralAddr)
	waitHealthy(t, centralAddr)
	natsURL := fmt.Sprintf("nats://127.0.0.1:%d", natsPort)

	fi, err := os.Stat(filepath.Join(data, natsembed.SecretFile))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("secret: %v, mode %v; want 0600", err, fi.Mode())
	}

	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "edge", "--nats", natsURL, "--addr", "127.0.0.1:"+strconv.Itoa(freePort(t)), "--data", t.TempDir())
	cmd.Env = append(os.Environ(), "KEFU_TEST_MAIN=1", "KEFU_NATS_CREDENTIALS=")
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(strings.ToLower(string(out)), "authorization") {
		t.Fatalf("edge without credentials: err %v, output %s; want it refused with an authorization error", err, out)
	}

	creds := edgeCredentials(t, data, "eu")
	fi, err = os.Stat(creds)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("credentials file: %v, mode %v; want 0600", err, fi.Mode())
	}
	c, err := natsembed.ReadCredentials(creds)
	if err != nil || c.User != natsembed.EdgeUser("eu") {
		t.Fatalf("credentials %+v, %v", c, err)
	}
	edgeAddr := "127.0.0.1:" + strconv.Itoa(freePort(t))
	startKefu(t, "edge", "--region", "eu", "--nats", natsURL, "--addr", edgeAddr, "--data", t.TempDir(), "--nats-credentials", creds)
	waitHealthy(t, edgeAddr)

	for _, args := range [][]string{
		{"nats-credentials", "--data", data},
		{"nats-credentials", "--data", data, "--region", "eu", "--central"},
		{"nats-credentials", "--data", data, "--leaf"}, // a leaf token is a region's
	} {
		var o, e bytes.Buffer
		if code := run(t.Context(), args, nil, &o, &e); code == 0 || !strings.Contains(e.String(), "exactly one") {
			t.Errorf("%v: exit %d, stderr %q", args, code, e.String())
		}
	}
	var o, e bytes.Buffer
	if code := run(t.Context(), []string{"nats-credentials", "--data", data, "--central"}, nil, &o, &e); code != 0 {
		t.Fatal(e.String())
	}
	var cen natsembed.Credentials
	if err := json.Unmarshal(o.Bytes(), &cen); err != nil || cen.User != natsembed.CentralUser || cen.Password == c.Password {
		t.Fatalf("central credentials %+v, %v", cen, err)
	}
}
