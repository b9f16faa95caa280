package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/kefu-io/kefu/edge"
	"github.com/kefu-io/kefu/internal/natsembed"
)

func init() {
	register("nats-credentials", "credentials of an edge (or central) for the NATS that `kefu central --embed-nats` runs", runNATSCredentials)
	register("nats-users", "the authorization block of an external nats-server's configuration: central, edges and leaf links with kefu's permissions", runNATSUsers)
}

// runNATSUsers prints (or writes) the authorization block that gives an
// external NATS system (deploy/compose/nats.conf includes it) the users
// and permissions of kefu's embedded NATS: central, the edges of
// --edge-region and the leaf links of --leaf-region, each restricted to
// its region (natsembed.UsersConf). Passwords are environment variables
// of the nats-server (natsembed.PasswordVar).
func runNATSUsers(_ context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("kefu nats-users", flag.ContinueOnError)
	fs.SetOutput(stderr)
	domain := fs.String("domain", edge.DefaultCentralDomain, "the NATS system's JetStream domain (its jetstream { domain } and kefu edge --central-domain)")
	edges := fs.String("edge-region", "", "comma-separated regions whose edges connect as clients (user edge-REGION, password $NATS_EDGE_REGION_PASSWORD)")
	leaves := fs.String("leaf-region", "", "comma-separated regions whose edges connect as leaf nodes (user kefu-leaf-REGION, password $LEAF_TOKEN_REGION)")
	out := fs.String("out", "", "write to this file instead of standard output")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	split := func(s string) []string {
		var r []string
		for _, v := range strings.Split(s, ",") {
			if v = strings.TrimSpace(v); v != "" {
				r = append(r, v)
			}
		}
		return r
	}
	conf, err := natsembed.UsersConf(*domain, split(*edges), split(*leaves))
	if err != nil {
		return fail(stderr, fmt.Errorf("nats-users: %w", err))
	}
	if *out == "" {
		_, _ = io.WriteString(stdout, conf)
		return 0
	}
	if err := os.WriteFile(*out, []byte(conf), 0o644); err != nil {
		return fail(stderr, fmt.Errorf("nats-users: %w", err))
	}
	return 0
}

// runNATSCredentials prints or writes the credentials a role presents to
// the embedded NATS of `kefu central --embed-nats --data DATA`: they derive
// from the secret DATA/nats-auth.key (made when missing), so they can be
// handed out before or while central runs (SECURITY.md, deploy/README.md).
func runNATSCredentials(_ context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("kefu nats-credentials", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", "./data", "central's data folder (holds "+natsembed.SecretFile+")")
	region := fs.String("region", "", "the edge region the credentials are for (user edge-REGION: publishes inbound, receives only that region's replies)")
	central := fs.Bool("central", false, "central's own credentials (every subject) instead of an edge's")
	leaf := fs.Bool("leaf", false, "with --region: print that region's token for central's leaf port (kefu edge --leaf-token) instead")
	out := fs.String("out", "", "write the credentials to this file (mode 0600) instead of standard output")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *central == (*region != "") || *central && *leaf {
		return fail(stderr, errors.New("nats-credentials: give exactly one of --region REGION (with --leaf: its leaf token), --central"))
	}
	secret, err := natsembed.LoadOrCreateSecret(filepath.Join(*data, natsembed.SecretFile))
	if err != nil {
		return fail(stderr, err)
	}
	var b []byte
	switch {
	case *leaf:
		b = []byte(natsembed.LeafToken(secret, *region) + "\n")
	default:
		user := natsembed.CentralUser
		if !*central {
			user = natsembed.EdgeUser(*region)
		}
		b, _ = json.MarshalIndent(natsembed.CredentialsFor(secret, user), "", "  ")
		b = append(b, '\n')
	}
	if *out == "" {
		_, _ = stdout.Write(b)
		return 0
	}
	if err := writePrivate(*out, b); err != nil {
		return fail(stderr, err)
	}
	return 0
}

// writePrivate writes b to path with mode 0600 (also when path existed).
func writePrivate(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Close()
}
