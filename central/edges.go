package central

import (
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/kefu-io/kefu/chat"
)

// ConsoleConfig answers GET /v1/console/config: what the console needs to
// know beyond the conversations. Edges maps a region to the base URL of the
// edge that serves it ("https://eu.edge.shop.example"); the console sends
// POST /v1/reveal for a value kept in region R to Edges[R], or to its own
// origin when R has no entry (kefu dev: edge and console share one origin).
type ConsoleConfig struct {
	Edges map[string]string `json:"edges"`
}

// checkEdgeURLs validates Config.EdgeURLs and returns them without a
// trailing slash.
func checkEdgeURLs(in map[string]string) (map[string]string, error) {
	out := make(map[string]string, len(in))
	for region, raw := range in {
		if region == "" || chat.SubjectToken(region) != region {
			return nil, fmt.Errorf("central: edge URL: region %q must be [0-9A-Za-z_-]+", region)
		}
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
			u.RawQuery != "" || u.Fragment != "" || strings.Trim(u.Path, "/") != "" {
			return nil, fmt.Errorf("central: edge URL of region %q: %q is not an http(s) origin like https://eu.edge.example", region, raw)
		}
		out[region] = u.Scheme + "://" + u.Host
	}
	return out, nil
}

// consoleConnectSrc is the CSP connect-src of the console page: its own
// origin, WebSockets, and the configured edges (reveal requests).
// consoleConnectSrc is the console page's CSP connect-src: its own origin
// (REST and, spelled out for browsers whose 'self' does not cover them, the
// ws:/wss: URLs of host) and the edges it sends reveals to; no other host.
func (s *Service) consoleConnectSrc(host string) string {
	src := []string{"'self'"}
	if host != "" && !strings.ContainsAny(host, " ;'\"") {
		src = append(src, "ws://"+host, "wss://"+host)
	}
	var edges []string
	for _, u := range s.cfg.EdgeURLs {
		edges = append(edges, u)
	}
	slices.Sort(edges)
	return strings.Join(append(src, slices.Compact(edges)...), " ")
}

func (s *Service) consoleConfig(c *fiber.Ctx) error {
	edges := s.cfg.EdgeURLs
	if edges == nil {
		edges = map[string]string{}
	}
	return c.JSON(ConsoleConfig{Edges: edges})
}
