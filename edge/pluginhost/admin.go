package pluginhost

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
)

// MaxBundleBytes bounds a bundle uploaded through the admin API.
const MaxBundleBytes = 32 << 20

// AdminHandler serves the plugin admin API of an edge, for regional ops:
//
//	GET /admin/plugins          → {"plugins": {"name": "version", …},
//	                               "releases": {"name": "1.4.0", …}}
//	PUT /admin/plugins/{name}   body: the .wasm bundle (at most MaxBundleBytes);
//	                            header X-Kefu-Signature: the bundle's signature
//	                            file (one line of JSON from `kefu plugin sign`:
//	                            name, version and SHA-256 signed together);
//	                            ?force=1 installs an older signed version
//	                            (a deliberate rollback)
//
// Every request needs "Authorization: Bearer <token>"; an empty token
// disables the API (every request gets 404). An accepted bundle is swapped
// in atomically (see Install) and answers 200 with the new version; a
// refused one answers 422 with the reason and the running version stays.
// Errors are JSON: {"error": "…"}.
func (h *Host) AdminHandler(token string) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /admin/plugins", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"plugins": h.Versions(), "releases": h.Releases()})
	})
	mux.HandleFunc("PUT /admin/plugins/{name}", func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("name")
		wasm, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBundleBytes))
		if err != nil {
			writeJSON(w, http.StatusRequestEntityTooLarge, map[string]string{"error": "bundle over the limit or unreadable: " + err.Error()})
			return
		}
		var sig []byte
		if s := r.Header.Get("X-Kefu-Signature"); s != "" {
			sig = []byte(s)
		}
		force := r.URL.Query().Get("force")
		if err := h.InstallWith(r.Context(), name, wasm, sig, InstallOptions{Force: force == "1" || force == "true"}); err != nil {
			status := http.StatusInternalServerError
			if errors.Is(err, ErrRefused) {
				status = http.StatusUnprocessableEntity
			}
			writeJSON(w, status, map[string]string{"error": err.Error()})
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"plugin": name, "version": h.Versions()[name]})
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if token == "" {
			http.NotFound(w, r)
			return
		}
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(token)) != 1 {
			writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "admin token required"})
			return
		}
		mux.ServeHTTP(w, r)
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
