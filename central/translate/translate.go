// Package translate turns text from one language into another through a
// machine-translation provider, speaking each provider's real HTTP API:
//
//   - LibreTranslate: POST {url}/translate with JSON
//     {"q", "source", "target", "format":"text", "api_key"} answering
//     {"translatedText", "detectedLanguage":{"language","confidence"}};
//     errors are {"error": "..."} with a 4xx/5xx status.
//   - DeepL API v2: POST {url}/v2/translate with header
//     "Authorization: DeepL-Auth-Key KEY" and JSON
//     {"text":[...], "target_lang":"EN-US", "source_lang":"DE"} answering
//     {"translations":[{"detected_source_language":"DE","text":"..."}]};
//     errors are {"message": "..."} (403 bad key, 456 quota exceeded).
//
// Languages are BCP-47 subtags as Kefu uses them (en, zh, de, pt-BR…).
// DeepL wants upper-case codes and a regional English or Portuguese as a
// target; deeplLang maps them.
//
// A Translator never blocks a message for long: every call carries a
// context, and callers give it a few seconds (central delivers the text
// untranslated, marked, when a call fails). package translatetest serves
// both wire formats for tests.
package translate

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// Provider names (the tenant setting translate.provider).
const (
	LibreTranslate = "libretranslate"
	DeepL          = "deepl"
)

// Sentinel errors callers branch on.
var (
	// ErrProvider is a provider that answered with an error (bad key,
	// quota, unsupported language…); the message says which.
	ErrProvider = errors.New("translate: provider error")
	// ErrConfig is an unusable configuration (unknown provider, no URL).
	ErrConfig = errors.New("translate: bad configuration")
)

// Result is a translation.
type Result struct {
	Text string
	// Source is the language the provider detected or was told.
	Source string
}

// Translator translates text. Implementations are safe for concurrent use.
type Translator interface {
	// Translate translates text from source ("" = let the provider detect
	// it) into target.
	Translate(ctx context.Context, text, source, target string) (Result, error)
}

// Config selects and reaches a provider.
type Config struct {
	Provider string
	// URL is the API's base URL ("https://libretranslate.example",
	// "https://api-free.deepl.com").
	URL string
	// Key is the API key ("" is allowed by self-hosted LibreTranslate).
	Key string
	// Client is the HTTP client. Default: one with a 10 s timeout.
	Client *http.Client
}

// New returns the Translator of cfg.
func New(cfg Config) (Translator, error) {
	if cfg.URL == "" {
		return nil, fmt.Errorf("%w: no URL for %q", ErrConfig, cfg.Provider)
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: 10 * time.Second}
	}
	base := strings.TrimRight(cfg.URL, "/")
	switch cfg.Provider {
	case LibreTranslate:
		return &libre{base: base, key: cfg.Key, c: cfg.Client}, nil
	case DeepL:
		return &deepl{base: base, key: cfg.Key, c: cfg.Client}, nil
	}
	return nil, fmt.Errorf("%w: unknown provider %q (want libretranslate or deepl)", ErrConfig, cfg.Provider)
}

// maxBody bounds a provider's answer.
const maxBody = 1 << 20

func post(ctx context.Context, c *http.Client, url string, header http.Header, body any) ([]byte, int, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return nil, 0, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(b))
	if err != nil {
		return nil, 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	return data, resp.StatusCode, err
}

// base is the primary subtag ("pt-BR" → "pt").
func base(lang string) string {
	l, _, _ := strings.Cut(strings.ToLower(lang), "-")
	return l
}

type libre struct {
	base, key string
	c         *http.Client
}

// LibreRequest and LibreResponse are LibreTranslate's /translate body and answer.
type LibreRequest struct {
	Q      string `json:"q"`
	Source string `json:"source"`
	Target string `json:"target"`
	Format string `json:"format,omitempty"`
	APIKey string `json:"api_key,omitempty"`
}

// LibreResponse is LibreTranslate's answer ({"error"} on failure).
type LibreResponse struct {
	TranslatedText   string `json:"translatedText"`
	DetectedLanguage *struct {
		Language   string  `json:"language"`
		Confidence float64 `json:"confidence"`
	} `json:"detectedLanguage,omitempty"`
	Error string `json:"error,omitempty"`
}

func (l *libre) Translate(ctx context.Context, text, source, target string) (Result, error) {
	src := base(source)
	if src == "" {
		src = "auto"
	}
	data, status, err := post(ctx, l.c, l.base+"/translate", nil, LibreRequest{Q: text, Source: src, Target: base(target), Format: "text", APIKey: l.key})
	if err != nil {
		return Result{}, fmt.Errorf("translate: libretranslate: %w", err)
	}
	var r LibreResponse
	if jerr := json.Unmarshal(data, &r); jerr != nil {
		return Result{}, fmt.Errorf("%w: libretranslate: HTTP %d, undecodable answer: %v", ErrProvider, status, jerr)
	}
	if status != http.StatusOK || r.Error != "" {
		return Result{}, fmt.Errorf("%w: libretranslate: HTTP %d: %s", ErrProvider, status, r.Error)
	}
	res := Result{Text: r.TranslatedText, Source: src}
	if r.DetectedLanguage != nil && r.DetectedLanguage.Language != "" {
		res.Source = r.DetectedLanguage.Language
	}
	if res.Source == "auto" {
		res.Source = ""
	}
	return res, nil
}

type deepl struct {
	base, key string
	c         *http.Client
}

// DeepLRequest and DeepLResponse are DeepL's /v2/translate body and answer.
type DeepLRequest struct {
	Text       []string `json:"text"`
	TargetLang string   `json:"target_lang"`
	SourceLang string   `json:"source_lang,omitempty"`
}

// DeepLResponse is DeepL's answer ({"message"} on failure).
type DeepLResponse struct {
	Translations []struct {
		DetectedSourceLanguage string `json:"detected_source_language"`
		Text                   string `json:"text"`
	} `json:"translations"`
	Message string `json:"message,omitempty"`
}

// deeplLang maps a Kefu language to DeepL's code; a target English or
// Portuguese needs a region.
func deeplLang(lang string, target bool) string {
	l := strings.ToUpper(lang)
	if !target {
		return strings.ToUpper(base(lang))
	}
	switch l {
	case "EN":
		return "EN-US"
	case "PT":
		return "PT-BR"
	case "ZH-TW", "ZH-HANT":
		return "ZH-HANT"
	}
	return l
}

func (d *deepl) Translate(ctx context.Context, text, source, target string) (Result, error) {
	req := DeepLRequest{Text: []string{text}, TargetLang: deeplLang(target, true)}
	if source != "" {
		req.SourceLang = deeplLang(source, false)
	}
	h := http.Header{"Authorization": {"DeepL-Auth-Key " + d.key}}
	data, status, err := post(ctx, d.c, d.base+"/v2/translate", h, req)
	if err != nil {
		return Result{}, fmt.Errorf("translate: deepl: %w", err)
	}
	var r DeepLResponse
	jerr := json.Unmarshal(data, &r)
	if status != http.StatusOK {
		msg := r.Message
		if jerr != nil || msg == "" {
			msg = http.StatusText(status)
		}
		return Result{}, fmt.Errorf("%w: deepl: HTTP %d: %s", ErrProvider, status, msg)
	}
	if jerr != nil || len(r.Translations) != 1 {
		return Result{}, fmt.Errorf("%w: deepl: undecodable answer", ErrProvider)
	}
	return Result{Text: r.Translations[0].Text, Source: strings.ToLower(r.Translations[0].DetectedSourceLanguage)}, nil
}
