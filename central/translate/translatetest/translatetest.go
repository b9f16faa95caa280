// Package translatetest serves LibreTranslate's and DeepL's HTTP APIs
// locally, for tests: the same paths, bodies, headers and error shapes as
// the real services (package translate describes them). Translations come
// from a dictionary (source text → target language → text); text without
// an entry comes back as "[target] text". A key other than the server's
// is refused the way each service refuses it, and Fail makes every call
// fail with a 5xx/456, to test that failures never block a message.
package translatetest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/kefu-io/kefu/central/translate"
)

// Server is a running stand-in. Close it when done.
type Server struct {
	*httptest.Server
	// Key is the API key the server accepts ("" accepts any for LibreTranslate).
	Key string

	mu    sync.Mutex
	dict  map[string]map[string]string
	fail  atomic.Bool
	calls atomic.Int64
	// Langs maps a known source text to its language (for detection).
	langs map[string]string
}

// Add teaches the server that text (in lang) is translation in target.
func (s *Server) Add(text, lang, target, translation string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dict[text] == nil {
		s.dict[text] = map[string]string{}
	}
	s.dict[text][strings.ToLower(target)] = translation
	s.langs[text] = lang
}

// Fail makes every following call fail (true) or work again (false).
func (s *Server) Fail(on bool) { s.fail.Store(on) }

// Calls counts the translation requests served.
func (s *Server) Calls() int64 { return s.calls.Load() }

func (s *Server) lookup(text, target string) (string, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t, ok := s.dict[text][strings.ToLower(target)]; ok {
		return t, s.langs[text]
	}
	return "[" + strings.ToLower(target) + "] " + text, s.langs[text]
}

func newServer(key string, h func(*Server) http.Handler) *Server {
	s := &Server{Key: key, dict: map[string]map[string]string{}, langs: map[string]string{}}
	s.Server = httptest.NewServer(h(s))
	return s
}

// NewLibreTranslate starts a LibreTranslate stand-in (POST /translate).
func NewLibreTranslate(key string) *Server {
	return newServer(key, func(s *Server) http.Handler {
		mux := http.NewServeMux()
		mux.HandleFunc("POST /translate", func(w http.ResponseWriter, r *http.Request) {
			s.calls.Add(1)
			reply := func(code int, v any) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(code)
				_ = json.NewEncoder(w).Encode(v)
			}
			if s.fail.Load() {
				reply(http.StatusInternalServerError, translate.LibreResponse{Error: "translation engine unavailable"})
				return
			}
			var req translate.LibreRequest
			if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
				reply(http.StatusBadRequest, translate.LibreResponse{Error: "Invalid request: " + err.Error()})
				return
			}
			if s.Key != "" && req.APIKey != s.Key {
				reply(http.StatusForbidden, translate.LibreResponse{Error: "Invalid API key"})
				return
			}
			if req.Q == "" || req.Target == "" || req.Source == "" {
				reply(http.StatusBadRequest, translate.LibreResponse{Error: "Invalid request: missing q, source or target parameter"})
				return
			}
			text, lang := s.lookup(req.Q, req.Target)
			out := translate.LibreResponse{TranslatedText: text}
			if req.Source == "auto" {
				out.DetectedLanguage = &struct {
					Language   string  `json:"language"`
					Confidence float64 `json:"confidence"`
				}{Language: lang, Confidence: 90}
			}
			reply(http.StatusOK, out)
		})
		return mux
	})
}

// NewDeepL starts a DeepL API v2 stand-in (POST /v2/translate).
func NewDeepL(key string) *Server {
	return newServer(key, func(s *Server) http.Handler {
		mux := http.NewServeMux()
		mux.HandleFunc("POST /v2/translate", func(w http.ResponseWriter, r *http.Request) {
			s.calls.Add(1)
			reply := func(code int, v any) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(code)
				_ = json.NewEncoder(w).Encode(v)
			}
			if s.fail.Load() {
				reply(456, translate.DeepLResponse{Message: "Quota exceeded"})
				return
			}
			if r.Header.Get("Authorization") != "DeepL-Auth-Key "+s.Key {
				reply(http.StatusForbidden, translate.DeepLResponse{Message: "Wrong endpoint or authorization"})
				return
			}
			var req translate.DeepLRequest
			if err := json.NewDecoder(r.Body).Decode(&req); err != nil || len(req.Text) == 0 || req.TargetLang == "" {
				reply(http.StatusBadRequest, translate.DeepLResponse{Message: "Value for 'target_lang' not supported or text missing"})
				return
			}
			if req.TargetLang == "EN" || req.TargetLang == "PT" {
				reply(http.StatusBadRequest, translate.DeepLResponse{Message: "Value for 'target_lang' not supported. Please use EN-GB or EN-US instead."})
				return
			}
			var out translate.DeepLResponse
			for _, t := range req.Text {
				target := strings.ToLower(req.TargetLang)
				if i := strings.IndexByte(target, '-'); i > 0 && target != "zh-hant" {
					target = target[:i]
				}
				text, lang := s.lookup(t, target)
				src := strings.ToUpper(lang)
				if req.SourceLang != "" {
					src = req.SourceLang
				}
				out.Translations = append(out.Translations, struct {
					DetectedSourceLanguage string `json:"detected_source_language"`
					Text                   string `json:"text"`
				}{src, text})
			}
			reply(http.StatusOK, out)
		})
		return mux
	})
}
