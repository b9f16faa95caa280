// Package testserver is a stand-in for a merchant's order API, speaking the
// JSON format documented in plugins/order-status/README.md. Tests of the
// order-status plugin (native and in the real host) run against it.
package testserver

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
)

// Order is the body of GET /v1/orders/{id} (README.md, "Order API").
type Order struct {
	ID          string  `json:"id"`
	Status      string  `json:"status"` // pending|paid|processing|shipped|in_transit|out_for_delivery|delivered|cancelled|returned
	Carrier     string  `json:"carrier,omitempty"`
	Tracking    string  `json:"tracking,omitempty"`
	TrackingURL string  `json:"tracking_url,omitempty"`
	ETA         string  `json:"eta,omitempty"`        // YYYY-MM-DD
	UpdatedAt   string  `json:"updated_at,omitempty"` // RFC 3339
	LastEvent   string  `json:"last_event,omitempty"` // carrier's last scan, free text
	Total       float64 `json:"total,omitempty"`
	Currency    string  `json:"currency,omitempty"`
	Email       string  `json:"email,omitempty"` // the second factors (order-status README)
	Postcode    string  `json:"postcode,omitempty"`
	Customer    string  `json:"customer,omitempty"` // the merchant's customer id
}

// Server serves the orders of one merchant.
type Server struct {
	*httptest.Server
	// Token, when set, is the bearer token every request must carry.
	Token string
	// Requests counts requests received.
	Requests atomic.Int64

	mu     sync.Mutex
	orders map[string]Order
}

// New starts a server on a loopback port holding orders. Close it when done.
func New(orders ...Order) *Server {
	s := &Server{orders: map[string]Order{}}
	for _, o := range orders {
		s.orders[o.ID] = o
	}
	s.Server = httptest.NewServer(s)
	return s
}

// Put adds or replaces an order.
func (s *Server) Put(o Order) {
	s.mu.Lock()
	s.orders[o.ID] = o
	s.mu.Unlock()
}

// ServeHTTP implements the order API: GET /v1/orders/{id}.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.Requests.Add(1)
	w.Header().Set("Content-Type", "application/json")
	writeErr := func(code int, msg string) {
		w.WriteHeader(code)
		json.NewEncoder(w).Encode(map[string]string{"error": msg})
	}
	if s.Token != "" && r.Header.Get("Authorization") != "Bearer "+s.Token {
		writeErr(http.StatusUnauthorized, "bad token")
		return
	}
	id, ok := strings.CutPrefix(r.URL.Path, "/v1/orders/")
	if !ok || id == "" || strings.Contains(id, "/") {
		writeErr(http.StatusNotFound, "no such route")
		return
	}
	if r.Method != http.MethodGet {
		writeErr(http.StatusMethodNotAllowed, "GET only")
		return
	}
	s.mu.Lock()
	o, ok := s.orders[id]
	s.mu.Unlock()
	if !ok {
		writeErr(http.StatusNotFound, "order not found")
		return
	}
	json.NewEncoder(w).Encode(o)
}
