package main

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/kefu-io/kefu/plugins/pdk"
)

// Campaign is one promotion of the merchant's config.
type Campaign struct {
	ID        string            `json:"id"`
	Regions   []string          `json:"regions"`
	Countries []string          `json:"countries"`
	Tenants   []string          `json:"tenants"`
	Start     time.Time         `json:"start"`
	End       time.Time         `json:"end"`
	Text      map[string]string `json:"text"`
}

// parseCampaigns decodes and checks the "campaigns" config value.
func parseCampaigns(s string) ([]Campaign, error) {
	var cs []Campaign
	if err := json.Unmarshal([]byte(s), &cs); err != nil {
		return nil, fmt.Errorf("geo-campaign: campaigns config: %w", err)
	}
	for i, c := range cs {
		if c.ID == "" || len(c.Text) == 0 {
			return nil, fmt.Errorf("geo-campaign: campaign %d: id and text are required", i)
		}
		if !c.End.IsZero() && !c.Start.IsZero() && !c.End.After(c.Start) {
			return nil, fmt.Errorf("geo-campaign: campaign %q: end before start", c.ID)
		}
	}
	return cs, nil
}

func in(list []string, v string) bool {
	return len(list) == 0 || slices.ContainsFunc(list, func(x string) bool { return strings.EqualFold(x, v) })
}

// applies reports whether c targets env at now.
func (c *Campaign) applies(env *pdk.Envelope, now time.Time) bool {
	return in(c.Regions, env.Region) && in(c.Countries, env.Label("country")) && in(c.Tenants, env.Tenant) &&
		(c.Start.IsZero() || !now.Before(c.Start)) && (c.End.IsZero() || now.Before(c.End))
}

// text picks the campaign text for lang.
func (c *Campaign) text(lang string) string {
	lang = strings.ToLower(lang)
	if t, ok := c.Text[lang]; ok {
		return t
	}
	if i := strings.IndexAny(lang, "-_"); i > 0 {
		if t, ok := c.Text[lang[:i]]; ok {
			return t
		}
	}
	if t, ok := c.Text["en"]; ok {
		return t
	}
	keys := make([]string, 0, len(c.Text))
	for k := range c.Text {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return c.Text[keys[0]]
}

// shown remembers campaigns shown per conversation without the kv grant.
var shown = map[string]bool{}

// firstTime records that campaign id is shown in conversation conv and
// reports whether it was the first time.
func firstTime(id, conv string) bool {
	key := "shown:" + id + ":" + conv
	if _, err := pdk.KVGet(key); err == nil {
		return false
	}
	if shown[key] {
		return false
	}
	if err := pdk.KVSet(key, []byte("1"), 30*24*time.Hour); err != nil && len(shown) > 10000 {
		clear(shown)
	}
	shown[key] = true
	return true
}

// cache keeps the parsed config while its text is unchanged.
var cache struct {
	raw string
	cs  []Campaign
	err error
}

func outbound(env *pdk.Envelope, get func(string) (string, bool), now time.Time) pdk.Result {
	role := env.Message.Role
	if role != "bot" && role != "agent" {
		return pdk.Pass()
	}
	raw, ok := get("campaigns")
	if !ok || raw == "" {
		return pdk.Pass()
	}
	if raw != cache.raw || (cache.cs == nil && cache.err == nil) {
		cache.raw = raw
		cache.cs, cache.err = parseCampaigns(raw)
		if cache.err != nil {
			pdk.Logf(pdk.LevelError, "%v", cache.err)
		}
	}
	if cache.err != nil {
		return pdk.Pass().WithLabel("campaign_error", "config")
	}
	conv := env.Message.ConversationID
	if conv == "" {
		conv = "v:" + env.Visitor
	}
	if env.Label("promotion") == "1" {
		// A proactive promotion notice from central: the region's campaign
		// is its text; where none runs, the notice is withheld.
		for i := range cache.cs {
			c := &cache.cs[i]
			if c.applies(env, now) {
				firstTime(c.ID, env.Tenant+":"+conv)
				return pdk.ModifyText(c.text(env.Message.Lang)).WithLabel("campaign", c.ID)
			}
		}
		return pdk.Drop("no promotion runs here")
	}
	for i := range cache.cs {
		c := &cache.cs[i]
		if !c.applies(env, now) {
			continue
		}
		if !firstTime(c.ID, env.Tenant+":"+conv) {
			return pdk.Pass()
		}
		return pdk.ModifyText(env.Message.Text+"\n\n"+c.text(env.Message.Lang)).WithLabel("campaign", c.ID)
	}
	return pdk.Pass()
}
