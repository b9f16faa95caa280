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

	"github.com/kefu-io/kefu/central/store"
	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/edge/channels"
)

// kefu admin channel …: platform channels (edge/channels). This file wraps
// whatever `admin` command is registered before it (files init in name
// order: admin.go first) and handles the "channel" subcommands itself, so
// it needs no change in the other admin code.
func init() {
	prev, had := commands["admin"]
	help := "administer tenants and their channels (on the store of --data or --postgres)"
	if had {
		help = prev.help
	}
	register("admin", help, func(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
		if isChannelCommand(args) || !had {
			return runAdminChannel(ctx, args, stdout, stderr)
		}
		return prev.run(ctx, args, stdin, stdout, stderr)
	})
}

const channelUsage = `usage: kefu admin [--data DIR | --postgres DSN] channel <command> [flags]

  channel add --tenant T --kind KIND [options]   → {"channel","endpoint","kind","tenant",…}
  channel list --tenant T

kinds and their options:
  wechat    --token TOKEN --app-id APPID [--app-secret S] [--aes-key KEY]
  wecom     --token TOKEN --aes-key KEY --corp-id ID --corp-secret S   (微信客服 callbacks)
  telegram  --bot-token TOKEN --secret SECRET_TOKEN
  whatsapp  --verify-token T --app-secret S --access-token T --phone-number-id ID
  webhook   --outbound-url URL --secret S
  douyin    --client-secret S --access-token T --open-id ID   (enterprise private messages)
  email     --address support@shop.example   (inbound: kefu edge/dev --smtp-addr; replies: --smtp-relay)
every kind: [--id ID] (default: a new id) [--api-base URL] (the platform API, for a local stand-in)
`

// isChannelCommand reports whether args (after the leading store flags)
// start with "channel".
func isChannelCommand(args []string) bool {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "channel":
			return true
		case a == "--data" || a == "-data" || a == "--postgres" || a == "-postgres":
			i++
		case strings.HasPrefix(a, "-"):
		default:
			return false
		}
	}
	return false
}

func runAdminChannel(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fail := func(code int, err error) int {
		b, _ := json.Marshal(map[string]string{"error": err.Error()})
		fmt.Fprintln(stdout, string(b))
		fmt.Fprintln(stderr, "kefu admin:", err)
		return code
	}
	fs := flag.NewFlagSet("kefu admin", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	data := fs.String("data", "./data", "data folder of kefu dev / kefu central (its SQLite kefu.db)")
	pg := fs.String("postgres", os.Getenv("KEFU_POSTGRES"), "PostgreSQL DSN (default $KEFU_POSTGRES; empty: SQLite of --data)")
	if err := fs.Parse(args); err != nil {
		return fail(2, err)
	}
	rest := fs.Args()
	if len(rest) < 2 || rest[0] != "channel" {
		fmt.Fprint(stderr, channelUsage)
		return 2
	}
	sub, rest := rest[1], rest[2:]
	cf := flag.NewFlagSet("kefu admin channel "+sub, flag.ContinueOnError)
	cf.SetOutput(io.Discard)
	cf.StringVar(data, "data", *data, "data folder")
	cf.StringVar(pg, "postgres", *pg, "PostgreSQL DSN")
	var c channels.Config
	cf.StringVar(&c.Tenant, "tenant", "", "tenant id")
	cf.StringVar(&c.Kind, "kind", "", "wechat, wecom, douyin, telegram, whatsapp, webhook or email")
	cf.StringVar(&c.ID, "id", "", "channel id (default: a new one)")
	cf.StringVar(&c.Token, "token", "", "WeChat server token")
	cf.StringVar(&c.AppID, "app-id", "", "WeChat AppID")
	cf.StringVar(&c.AppSecret, "app-secret", "", "WeChat AppSecret / Meta app secret")
	cf.StringVar(&c.AESKey, "aes-key", "", "WeChat EncodingAESKey (safe mode)")
	cf.StringVar(&c.Secret, "secret", "", "webhook HMAC secret / Telegram secret_token")
	cf.StringVar(&c.OutboundURL, "outbound-url", "", "webhook: where replies are POSTed")
	cf.StringVar(&c.BotToken, "bot-token", "", "Telegram bot token")
	cf.StringVar(&c.VerifyToken, "verify-token", "", "WhatsApp hub.verify_token")
	cf.StringVar(&c.AccessToken, "access-token", "", "WhatsApp Cloud API access token")
	cf.StringVar(&c.PhoneNumberID, "phone-number-id", "", "WhatsApp phone number id")
	cf.StringVar(&c.ClientSecret, "client-secret", "", "Douyin open-platform client secret")
	cf.StringVar(&c.OpenID, "open-id", "", "Douyin enterprise account open_id")
	cf.StringVar(&c.CorpID, "corp-id", "", "WeCom corp id")
	cf.StringVar(&c.CorpSecret, "corp-secret", "", "WeCom 微信客服 secret")
	cf.StringVar(&c.APIBase, "api-base", "", "platform API base URL (default: the platform's)")
	cf.StringVar(&c.Address, "address", "", "e-mail address (kind email)")
	if err := cf.Parse(rest); err != nil {
		return fail(2, err)
	}
	if cf.NArg() > 0 {
		return fail(2, fmt.Errorf("unexpected arguments %q", cf.Args()))
	}
	if c.Tenant == "" {
		return fail(2, errors.New("--tenant is required"))
	}
	var st store.Store
	var err error
	if *pg != "" {
		st, err = store.OpenPostgres(ctx, *pg)
	} else {
		st, err = store.OpenSQLite(ctx, filepath.Join(*data, "kefu.db"))
	}
	if err != nil {
		return fail(1, err)
	}
	defer st.Close()
	if _, err := st.Tenant(ctx, c.Tenant); err != nil {
		return fail(1, fmt.Errorf("tenant %q: %w", c.Tenant, err))
	}
	switch sub {
	case "add":
		switch c.Kind {
		}
		if c.ID == "" {
			c.ID = chat.NewID()
		}
		if !chat.ValidID(c.ID) {
			return fail(2, fmt.Errorf("--id %q must be 1-64 characters of [0-9A-Za-z_-]", c.ID))
		}
		if err := c.Validate(); err != nil {
			return fail(2, err)
		}
		cfgJSON, _ := json.Marshal(c)
		if old, err := st.Channel(ctx, c.ID); err == nil && old.Tenant != c.Tenant {
			return fail(1, fmt.Errorf("channel id %q belongs to another tenant", c.ID))
		}
		if err := st.PutChannel(ctx, store.Channel{ID: c.ID, Tenant: c.Tenant, Kind: c.Kind, Config: cfgJSON}); err != nil {
			return fail(1, err)
		}
		out := channelInfo(c)
		b, _ := json.Marshal(out)
		fmt.Fprintln(stdout, string(b))
		return 0
	case "list":
		list, err := st.Channels(ctx, c.Tenant)
		if err != nil {
			return fail(1, err)
		}
		outs := []map[string]any{}
		for _, ch := range list {
			var cfg channels.Config
			_ = json.Unmarshal(ch.Config, &cfg)
			cfg.ID, cfg.Kind, cfg.Tenant = ch.ID, ch.Kind, ch.Tenant
			outs = append(outs, channelInfo(cfg))
		}
		b, _ := json.Marshal(map[string]any{"tenant": c.Tenant, "channels": outs})
		fmt.Fprintln(stdout, string(b))
		return 0
	}
	fmt.Fprint(stderr, channelUsage)
	return 2
}

// channelInfo is what add and list print: no secrets.
func channelInfo(c channels.Config) map[string]any {
	endpoint := "/channels/" + c.Kind + "/" + c.ID
	out := map[string]any{"channel": c.ID, "endpoint": endpoint, "kind": c.Kind, "tenant": c.Tenant}
	switch c.Kind {
	case channels.KindWeChat:
		out["app_id"] = c.AppID
		out["safe_mode"] = c.AESKey != ""
		out["customer_service_api"] = c.AppSecret != ""
	case channels.KindWeCom:
		out["corp_id"] = c.CorpID
	case channels.KindEmail:
		out["address"] = c.Address
	case channels.KindWebhook:
		out["outbound_url"] = c.OutboundURL
	case channels.KindWhatsApp:
		out["phone_number_id"] = c.PhoneNumberID
	}
	if c.APIBase != "" {
		out["api_base"] = c.APIBase
	}
	return out
}
