package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/kefu-io/kefu/central/admin"
	"github.com/kefu-io/kefu/central/scope"
	"github.com/kefu-io/kefu/central/settings"
	"github.com/kefu-io/kefu/central/store"
)

func init() {
	register("admin", "administer tenants, sites, agents, API keys and settings (on the store of --data or --postgres)", runAdmin)
}

const adminUsage = `usage: kefu admin [--data DIR | --postgres DSN] <command> [flags]

Works on the same store as kefu central and kefu dev (also while they run).
Every command prints one JSON object on stdout; on bad input it prints
{"error":…} and exits non-zero.

  tenant create NAME [--name "Display name"]       → {"tenant","name","identity_secret"}
  tenant list
  tenant get --tenant T                             settings (effective), sites, identity secret
  tenant set --tenant T KEY=VALUE… [--reset KEY…]   change settings (--reset: back to the default)
  tenant rotate-secret --tenant T                   new identity secret
  settings                                          the known setting keys with doc and default
  site add --tenant T --site KEY --origin https://shop.example [--origin …] [--name N]
  site set --tenant T --site KEY [--origin …] [--add-origin …] [--remove-origin …] [--name N]
  site remove --tenant T --site KEY
  site list [--tenant T]
  agent add --tenant T --email E --name N --role owner|admin|agent [--lang en] [--password-stdin]
  agent list --tenant T
  agent set --tenant T --email E [--role R] [--name N] [--lang L] [--disable|--enable] [--reset-password]
  apikey create --tenant T --scopes conversations:read,… [--name N]   → {"key"} (shown once)
  apikey list --tenant T
  apikey revoke --tenant T --id ID
  audit --tenant T [--limit N]
`

// adminCLI is one run of kefu admin.
type adminCLI struct {
	data, pg string
	stdin    io.Reader
	stdout   io.Writer
	st       store.Store
	svc      *admin.Service
}

// errUsage is a command line that cannot be understood (exit 2).
var errUsage = errors.New("usage")

func runAdmin(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	c := &adminCLI{stdin: stdin, stdout: stdout}
	fs := flag.NewFlagSet("kefu admin", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	c.bindStore(fs)
	if err := fs.Parse(args); err != nil {
		return c.fail(stderr, fmt.Errorf("%w: %v", errUsage, err))
	}
	rest := fs.Args()
	if len(rest) == 0 || rest[0] == "help" {
		fmt.Fprint(stderr, adminUsage)
		if len(rest) == 0 {
			return 2
		}
		return 0
	}
	out, err := c.dispatch(ctx, rest)
	if c.st != nil {
		c.st.Close()
	}
	if err != nil {
		return c.fail(stderr, err)
	}
	b, _ := json.Marshal(out)
	fmt.Fprintln(stdout, string(b))
	return 0
}

func (c *adminCLI) bindStore(fs *flag.FlagSet) {
	fs.StringVar(&c.data, "data", c.dataOr("./data"), "data folder of kefu dev / kefu central (its SQLite kefu.db)")
	fs.StringVar(&c.pg, "postgres", c.pgOr(os.Getenv("KEFU_POSTGRES")), "PostgreSQL DSN (default $KEFU_POSTGRES; empty: SQLite of --data)")
}

func (c *adminCLI) dataOr(d string) string {
	if c.data != "" {
		return c.data
	}
	return d
}

func (c *adminCLI) pgOr(d string) string {
	if c.pg != "" {
		return c.pg
	}
	return d
}

func (c *adminCLI) fail(stderr io.Writer, err error) int {
	code, exit := "invalid", 1
	switch {
	case errors.Is(err, errUsage):
		code, exit = "usage", 2
	case errors.Is(err, store.ErrExists):
		code = "exists"
	case errors.Is(err, store.ErrNotFound):
		code = "not_found"
	case errors.Is(err, admin.ErrInvalid), errors.Is(err, settings.ErrUnknown), errors.Is(err, settings.ErrInvalid):
		code = "invalid"
	case errors.Is(err, admin.ErrLastOwner):
		code = "last_owner"
	default:
		code = "error"
	}
	msg := strings.TrimPrefix(err.Error(), "usage: ")
	b, _ := json.Marshal(map[string]string{"error": msg, "code": code})
	fmt.Fprintln(c.stdout, string(b))
	fmt.Fprintln(stderr, "kefu admin:", msg)
	if exit == 2 {
		fmt.Fprintln(stderr, "run `kefu admin help` for the commands")
	}
	return exit
}

// open opens the store once the command's flags are known.
func (c *adminCLI) open(ctx context.Context) error {
	var err error
	if c.pg != "" {
		c.st, err = store.OpenPostgres(ctx, c.pg)
	} else {
		path := filepath.Join(c.data, "kefu.db")
		if _, serr := os.Stat(c.data); serr != nil {
			return fmt.Errorf("data folder %s: %w (start kefu dev or kefu central with --data first, or give --postgres)", c.data, serr)
		}
		c.st, err = store.OpenSQLite(ctx, path)
	}
	if err != nil {
		return err
	}
	c.svc = admin.New(c.st, 0)
	return nil
}

// parse parses flags and positional arguments in any order.
func (c *adminCLI) parse(fs *flag.FlagSet, args []string) ([]string, error) {
	fs.SetOutput(io.Discard)
	c.bindStore(fs)
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, fmt.Errorf("%w: %s: %v", errUsage, fs.Name(), err)
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

func need(name, v string) error {
	if strings.TrimSpace(v) == "" {
		return fmt.Errorf("%w: --%s is required", errUsage, name)
	}
	return nil
}

func (c *adminCLI) dispatch(ctx context.Context, args []string) (any, error) {
	cmd := args[0]
	if cmd != "settings" && cmd != "audit" {
		if len(args) < 2 {
			return nil, fmt.Errorf("%w: %s needs a subcommand", errUsage, cmd)
		}
		cmd += " " + args[1]
		args = args[2:]
	} else {
		args = args[1:]
	}
	fs := flag.NewFlagSet("kefu admin "+cmd, flag.ContinueOnError)
	tenant := fs.String("tenant", "", "tenant id")
	var (
		pos []string
		err error
	)
	do := func(f func() (any, error)) (any, error) {
		if err != nil {
			return nil, err
		}
		if err := c.open(ctx); err != nil {
			return nil, err
		}
		return f()
	}
	const actor = admin.Actor("cli")
	switch cmd {
	case "tenant create":
		name := fs.String("name", "", "display name (default: the id)")
		pos, err = c.parse(fs, args)
		if err == nil && len(pos) != 1 {
			err = fmt.Errorf("%w: tenant create takes one NAME (the tenant id), got %d", errUsage, len(pos))
		}
		return do(func() (any, error) { return c.svc.CreateTenant(ctx, actor, pos[0], *name) })
	case "tenant list":
		_, err = c.parse(fs, args)
		return do(func() (any, error) {
			list, err := c.st.Tenants(ctx)
			if err != nil {
				return nil, err
			}
			type row struct {
				Tenant  string    `json:"tenant"`
				Name    string    `json:"name"`
				Created time.Time `json:"created_at"`
			}
			out := []row{}
			for _, t := range list {
				out = append(out, row{t.ID, t.Name, t.CreatedAt})
			}
			return map[string]any{"tenants": out}, nil
		})
	case "tenant get":
		pos, err = c.parse(fs, args)
		if err == nil {
			err = need("tenant", *tenant)
		}
		return do(func() (any, error) {
			t, err := c.st.Tenant(ctx, *tenant)
			if err != nil {
				return nil, err
			}
			set, err := c.svc.Settings(ctx, *tenant)
			if err != nil {
				return nil, err
			}
			sites, err := c.st.Sites(ctx, *tenant)
			if err != nil {
				return nil, err
			}
			return map[string]any{"tenant": t.ID, "name": t.Name, "identity_secret": t.IdentitySecret, "settings": set, "sites": siteViews(sites)}, nil
		})
	case "tenant set":
		var unset listFlag
		fs.Var(&unset, "reset", "reset a key to its default (repeat)")
		pos, err = c.parse(fs, args)
		if err == nil {
			err = need("tenant", *tenant)
		}
		if err == nil && len(pos) == 0 && len(unset) == 0 {
			err = fmt.Errorf("%w: tenant set needs KEY=VALUE arguments (kefu admin settings lists the keys)", errUsage)
		}
		return do(func() (any, error) {
			set, err := admin.ParseAssignments(pos)
			if err != nil {
				return nil, err
			}
			eff, err := c.svc.SetSettings(ctx, actor, *tenant, set, unset)
			if err != nil {
				return nil, err
			}
			return map[string]any{"tenant": *tenant, "settings": eff}, nil
		})
	case "tenant rotate-secret":
		_, err = c.parse(fs, args)
		if err == nil {
			err = need("tenant", *tenant)
		}
		return do(func() (any, error) {
			s, err := c.svc.RotateIdentitySecret(ctx, actor, *tenant)
			return map[string]string{"tenant": *tenant, "identity_secret": s}, err
		})
	case "settings":
		_, err = c.parse(fs, args)
		if err != nil {
			return nil, err
		}
		type key struct {
			Key     string `json:"key"`
			Doc     string `json:"doc"`
			Default string `json:"default"`
			Public  bool   `json:"public,omitempty"`
		}
		out := []key{}
		for _, k := range settings.Keys() {
			out = append(out, key{k.Name, k.Doc, k.Default, k.Public})
		}
		sc := []map[string]string{}
		for _, s := range scope.All() {
			sc = append(sc, map[string]string{"scope": s.Name, "doc": s.Doc, "min_role": string(s.MinRole)})
		}
		return map[string]any{"settings": out, "scopes": sc}, nil
	case "site add":
		site := fs.String("site", "", "site key")
		name := fs.String("name", "", "display name")
		var origins listFlag
		fs.Var(&origins, "origin", "allowed page origin https://host[:port] (repeat)")
		_, err = c.parse(fs, args)
		if err == nil {
			err = errors.Join(need("tenant", *tenant), need("site", *site))
		}
		if err == nil && len(origins) == 0 {
			err = fmt.Errorf("%w: at least one --origin is required (the pages allowed to open the widget)", errUsage)
		}
		return do(func() (any, error) {
			s, err := c.svc.AddSite(ctx, actor, *tenant, *site, *name, origins)
			return siteView(s), err
		})
	case "site set":
		site := fs.String("site", "", "site key")
		name := fs.String("name", "", "display name")
		var origins, add, remove listFlag
		fs.Var(&origins, "origin", "replace the origins with these (repeat)")
		fs.Var(&add, "add-origin", "add an origin (repeat)")
		fs.Var(&remove, "remove-origin", "remove an origin (repeat)")
		_, err = c.parse(fs, args)
		if err == nil {
			err = errors.Join(need("tenant", *tenant), need("site", *site))
		}
		return do(func() (any, error) {
			ch := admin.SiteChange{AddOrigins: add, RemoveOrigins: remove}
			if len(origins) > 0 {
				o := []string(origins)
				ch.Origins = &o
			}
			if *name != "" {
				ch.Name = name
			}
			s, err := c.svc.UpdateSite(ctx, actor, *tenant, *site, ch)
			return siteView(s), err
		})
	case "site remove":
		site := fs.String("site", "", "site key")
		_, err = c.parse(fs, args)
		if err == nil {
			err = errors.Join(need("tenant", *tenant), need("site", *site))
		}
		return do(func() (any, error) {
			return map[string]any{"tenant": *tenant, "site": *site, "removed": true}, c.svc.RemoveSite(ctx, actor, *tenant, *site)
		})
	case "site list":
		_, err = c.parse(fs, args)
		return do(func() (any, error) {
			list, err := c.st.Sites(ctx, *tenant)
			return map[string]any{"sites": siteViews(list)}, err
		})
	case "agent add":
		email := fs.String("email", "", "login email")
		name := fs.String("name", "", "name shown to shoppers and colleagues")
		role := fs.String("role", "", "owner, admin or agent")
		lang := fs.String("lang", "", "the agent's language (en, zh…)")
		pwStdin := fs.Bool("password-stdin", false, "read the password from the first line of stdin (else a one-time password is printed)")
		_, err = c.parse(fs, args)
		if err == nil {
			err = errors.Join(need("tenant", *tenant), need("email", *email), need("name", *name), need("role", *role))
		}
		return do(func() (any, error) {
			pw := ""
			if *pwStdin {
				line, rerr := bufio.NewReader(c.stdin).ReadString('\n')
				if rerr != nil && rerr != io.EOF {
					return nil, fmt.Errorf("read password from stdin: %w", rerr)
				}
				if pw = strings.TrimRight(line, "\r\n"); pw == "" {
					return nil, fmt.Errorf("%w: --password-stdin: stdin is empty", admin.ErrInvalid)
				}
			}
			a, oneTime, err := c.svc.AddAgent(ctx, actor, admin.NewAgent{Tenant: *tenant, Email: *email, Name: *name,
				Role: store.Role(*role), Lang: *lang, Password: pw})
			if err != nil {
				return nil, err
			}
			out := map[string]any{"agent": agentJSON(a)}
			if oneTime != "" {
				out["password"] = oneTime
				out["must_change_password"] = true
			}
			return out, nil
		})
	case "agent list":
		_, err = c.parse(fs, args)
		if err == nil {
			err = need("tenant", *tenant)
		}
		return do(func() (any, error) {
			list, err := c.st.Agents(ctx, *tenant)
			out := []map[string]any{}
			for _, a := range list {
				out = append(out, agentJSON(a))
			}
			return map[string]any{"agents": out}, err
		})
	case "agent set":
		email := fs.String("email", "", "the agent's login email")
		name := fs.String("name", "", "new name")
		role := fs.String("role", "", "new role")
		lang := fs.String("lang", "", "new language")
		disable := fs.Bool("disable", false, "disable the agent (ends its sessions)")
		enable := fs.Bool("enable", false, "enable the agent")
		reset := fs.Bool("reset-password", false, "give a new one-time password")
		_, err = c.parse(fs, args)
		if err == nil {
			err = errors.Join(need("tenant", *tenant), need("email", *email))
		}
		if err == nil && *disable && *enable {
			err = fmt.Errorf("%w: --disable and --enable exclude each other", errUsage)
		}
		return do(func() (any, error) {
			a, err := c.st.AgentByEmail(ctx, *tenant, *email)
			if err != nil {
				return nil, fmt.Errorf("agent %s of %q: %w", *email, *tenant, err)
			}
			ch := admin.AgentChange{ResetPassword: *reset}
			if *name != "" {
				ch.Name = name
			}
			if *role != "" {
				r := store.Role(*role)
				ch.Role = &r
			}
			if *lang != "" {
				ch.Lang = lang
			}
			if *disable || *enable {
				d := *disable
				ch.Disabled = &d
			}
			got, oneTime, err := c.svc.UpdateAgent(ctx, actor, *tenant, a.ID, ch)
			if err != nil {
				return nil, err
			}
			out := map[string]any{"agent": agentJSON(got)}
			if oneTime != "" {
				out["password"] = oneTime
				out["must_change_password"] = true
			}
			return out, nil
		})
	case "apikey create":
		scopes := fs.String("scopes", "", "comma-separated scopes (kefu admin settings lists them)")
		name := fs.String("name", "", "what the key is for")
		_, err = c.parse(fs, args)
		if err == nil {
			err = errors.Join(need("tenant", *tenant), need("scopes", *scopes))
		}
		return do(func() (any, error) {
			key, k, err := c.svc.CreateAPIKey(ctx, actor, *tenant, *name, strings.Split(*scopes, ","), nil)
			if err != nil {
				return nil, err
			}
			return map[string]any{"key": key, "id": k.ID, "tenant": k.Tenant, "name": k.Name, "scopes": k.Scopes}, nil
		})
	case "apikey list":
		_, err = c.parse(fs, args)
		if err == nil {
			err = need("tenant", *tenant)
		}
		return do(func() (any, error) {
			list, err := c.st.APIKeys(ctx, *tenant)
			out := []map[string]any{}
			for _, k := range list {
				out = append(out, apiKeyJSON(k))
			}
			return map[string]any{"keys": out}, err
		})
	case "apikey revoke":
		id := fs.String("id", "", "key id (from apikey list)")
		_, err = c.parse(fs, args)
		if err == nil {
			err = errors.Join(need("tenant", *tenant), need("id", *id))
		}
		return do(func() (any, error) {
			k, err := c.svc.RevokeAPIKey(ctx, actor, *tenant, *id)
			return apiKeyJSON(k), err
		})
	case "audit":
		limit := fs.Int("limit", 50, "entries to show (newest first)")
		_, err = c.parse(fs, args)
		if err == nil {
			err = need("tenant", *tenant)
		}
		return do(func() (any, error) {
			list, err := c.st.Audit(ctx, *tenant, time.Time{}, *limit)
			out := []map[string]any{}
			for _, e := range list {
				out = append(out, map[string]any{"at": e.At, "actor": e.Actor, "action": e.Action, "target": e.Target, "detail": e.Detail})
			}
			return map[string]any{"audit": out}, err
		})
	}
	return nil, fmt.Errorf("%w: unknown command %q", errUsage, cmd)
}

func siteView(s store.Site) map[string]any {
	if s.Key == "" {
		return nil
	}
	return map[string]any{"tenant": s.Tenant, "site": s.Key, "name": s.Name, "origins": s.Origins}
}

func siteViews(list []store.Site) []map[string]any {
	out := []map[string]any{}
	for _, s := range list {
		out = append(out, siteView(s))
	}
	return out
}

func agentJSON(a store.Agent) map[string]any {
	return map[string]any{"id": a.ID, "tenant": a.Tenant, "email": a.Email, "name": a.Name, "role": a.Role, "lang": a.Lang,
		"must_change_password": a.MustChangePassword, "disabled": a.Disabled}
}

func apiKeyJSON(k store.APIKey) map[string]any {
	m := map[string]any{"id": k.ID, "tenant": k.Tenant, "name": k.Name, "prefix": k.Prefix, "scopes": k.Scopes,
		"created_by": k.CreatedBy, "created_at": k.CreatedAt}
	if !k.RevokedAt.IsZero() {
		m["revoked_at"] = k.RevokedAt
	}
	return m
}
