package pluginhost

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// ABI error codes returned to guests (plugins/ABI.md section 6).
const (
	codeNotFound   = -1
	codeNotGranted = -2
	codeDenied     = -3
	codeQuota      = -4
	codeInvalid    = -5
	codeIO         = -6
	codeTooLarge   = -7
)

// Host-side limits of host calls.
const (
	maxKVKey       = 256
	maxKVValue     = 64 << 10
	maxHTTPBody    = 1 << 20
	maxHTTPRequest = 256 << 10
	maxLogLine     = 4 << 10
	maxLogLines    = 64
	maxAlert       = 8 << 10
)

// callState is what host functions know about the current hook call. One
// lives in each instance and is reset per call.
type callState struct {
	d        *deployment
	active   bool // inside a hook call (not _initialize)
	tenant   string
	conv     string
	visitor  string
	pending  []byte
	logLines int
	hostWait time.Duration // time spent waiting on host HTTP
	piiBytes int           // text scanned by pii_scan in this call
	piiOut   []byte        // pii_scan's answer buffer, reused across calls
	prescan  *prescan      // the host's scan of this call's text (standing answer), or nil
}

type stateKey struct{}

func withState(ctx context.Context, st *callState) context.Context {
	return context.WithValue(ctx, stateKey{}, st)
}

func stateOf(ctx context.Context) *callState {
	st, _ := ctx.Value(stateKey{}).(*callState)
	return st
}

// instantiateHostModule adds module "kefu" to rt.
func (h *Host) instantiateHostModule(ctx context.Context, rt wazero.Runtime) error {
	b := rt.NewHostModuleBuilder("kefu")
	add := func(name string, fn api.GoModuleFunc) {
		sig := knownImports[name]
		b.NewFunctionBuilder().WithGoModuleFunction(fn, sig[0], sig[1]).Export(name)
	}
	add("log", h.hostLog)
	add("now", func(_ context.Context, _ api.Module, s []uint64) { s[0] = uint64(time.Now().UnixNano()) })
	add("config_get", h.hostConfigGet)
	add("take", h.hostTake)
	add("kv_get", h.hostKVGet)
	add("kv_set", h.hostKVSet)
	add("http_request", h.hostHTTP)
	add("alert", h.hostAlert)
	add("vault_put", h.hostVaultPut)
	add("pii_scan", h.hostPIIScan)
	if _, err := b.Instantiate(ctx); err != nil {
		return fmt.Errorf("host module: %w", err)
	}
	return nil
}

func ret(s []uint64, code int32) { s[0] = uint64(uint32(code)) }

// read copies a guest buffer; ok is false when it is outside memory.
func read(m api.Module, ptr, n uint64, limit int) ([]byte, bool) {
	if int(uint32(n)) > limit {
		return nil, false
	}
	b, ok := m.Memory().Read(uint32(ptr), uint32(n))
	if !ok {
		return nil, false
	}
	return bytes.Clone(b), true
}

// deliver writes v to the guest's out buffer if it fits, else keeps it
// pending; it returns len(v) either way (or INVALID).
func deliver(m api.Module, st *callState, s []uint64, v []byte, outPtr, outCap uint64) {
	if len(v) <= int(uint32(outCap)) {
		if len(v) > 0 && !m.Memory().Write(uint32(outPtr), v) {
			ret(s, codeInvalid)
			return
		}
		st.pending = nil
		ret(s, int32(len(v)))
		return
	}
	st.pending = v
	ret(s, int32(len(v)))
}

func (h *Host) hostLog(ctx context.Context, m api.Module, s []uint64) {
	st := stateOf(ctx)
	plugin, region := "unknown", ""
	if st != nil {
		plugin, region = st.d.name, st.d.region
		st.logLines++
		if st.logLines > maxLogLines {
			return
		}
	}
	n := min(uint32(s[2]), maxLogLine)
	b, ok := m.Memory().Read(uint32(s[1]), n)
	if !ok {
		return
	}
	level := slog.LevelInfo
	switch int32(s[0]) {
	case 0:
		level = slog.LevelDebug
	case 2:
		level = slog.LevelWarn
	case 3:
		level = slog.LevelError
	}
	h.log.Log(ctx, level, strings.ToValidUTF8(string(b), "\uFFFD"), "plugin", plugin, "region", region, "source", "plugin")
}

func (h *Host) hostConfigGet(ctx context.Context, m api.Module, s []uint64) {
	st := stateOf(ctx)
	if st == nil || !st.active {
		ret(s, codeInvalid)
		return
	}
	key, ok := read(m, s[0], s[1], maxKVKey)
	if !ok {
		ret(s, codeInvalid)
		return
	}
	v, found := st.d.settings.Config[string(key)]
	if !found {
		ret(s, codeNotFound)
		return
	}
	deliver(m, st, s, []byte(v), s[2], s[3])
}

func (h *Host) hostTake(ctx context.Context, m api.Module, s []uint64) {
	st := stateOf(ctx)
	if st == nil || st.pending == nil || len(st.pending) > int(uint32(s[1])) {
		ret(s, codeInvalid)
		return
	}
	v := st.pending
	st.pending = nil
	if !m.Memory().Write(uint32(s[0]), v) {
		ret(s, codeInvalid)
		return
	}
	ret(s, int32(len(v)))
}

// grant checks an active call and a capability, answering the error code.
func grant(st *callState, c string, s []uint64) bool {
	if st == nil || !st.active {
		ret(s, codeInvalid)
		return false
	}
	if !st.d.settings.granted(c) {
		ret(s, codeNotGranted)
		return false
	}
	return true
}

func kvKey(st *callState, key []byte) string {
	return st.tenant + "\x00" + st.d.name + "\x00" + string(key)
}

func (h *Host) hostKVGet(ctx context.Context, m api.Module, s []uint64) {
	st := stateOf(ctx)
	if !grant(st, CapKV, s) {
		return
	}
	key, ok := read(m, s[0], s[1], maxKVKey)
	if !ok {
		ret(s, codeInvalid)
		return
	}
	v, found := h.kv.Get(kvKey(st, key))
	if !found {
		ret(s, codeNotFound)
		return
	}
	deliver(m, st, s, v, s[2], s[3])
}

func (h *Host) hostKVSet(ctx context.Context, m api.Module, s []uint64) {
	st := stateOf(ctx)
	if !grant(st, CapKV, s) {
		return
	}
	if uint32(s[3]) > maxKVValue {
		ret(s, codeTooLarge)
		return
	}
	key, ok := read(m, s[0], s[1], maxKVKey)
	if !ok || len(key) == 0 {
		ret(s, codeInvalid)
		return
	}
	val, ok := read(m, s[2], s[3], maxKVValue)
	if !ok {
		ret(s, codeInvalid)
		return
	}
	k := kvKey(st, key)
	if len(val) == 0 {
		h.kv.Del(k)
		ret(s, 0)
		return
	}
	ttl := time.Duration(int32(s[4])) * time.Second
	if ttl < 0 {
		ret(s, codeInvalid)
		return
	}
	h.kv.SetWithTTL(k, val, int64(len(k)+len(val)), ttl)
	h.kv.Wait()
	ret(s, 0)
}

type httpReq struct {
	Method  string            `json:"method"`
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers"`
	Body    string            `json:"body"`
}

type httpResp struct {
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers,omitempty"`
	Body    string            `json:"body"`
}

type allowKey struct{}

// allowed reports whether u may be reached under allow.
func allowed(u *url.URL, allow []string) bool {
	if u.Scheme != "http" && u.Scheme != "https" {
		return false
	}
	return slices.Contains(allow, u.Host) || slices.Contains(allow, u.Hostname())
}

func (h *Host) hostHTTP(ctx context.Context, m api.Module, s []uint64) {
	st := stateOf(ctx)
	if !grant(st, CapHTTP, s) {
		return
	}
	raw, ok := read(m, s[0], s[1], maxHTTPRequest)
	if !ok {
		ret(s, codeInvalid)
		return
	}
	var rq httpReq
	if err := json.Unmarshal(raw, &rq); err != nil {
		ret(s, codeInvalid)
		return
	}
	if rq.Method == "" {
		rq.Method = http.MethodGet
	}
	u, err := url.Parse(rq.URL)
	if err != nil {
		ret(s, codeInvalid)
		return
	}
	if !allowed(u, st.d.allow) {
		h.log.Warn("plugin http request denied", "plugin", st.d.name, "region", st.d.region, "host", u.Host)
		ret(s, codeDenied)
		return
	}
	if !h.quotas.takeHTTP(st.tenant) {
		h.metrics.quota.WithLabelValues(st.tenant, "http").Inc()
		ret(s, codeQuota)
		return
	}
	var body io.Reader
	if rq.Body != "" {
		body = strings.NewReader(rq.Body)
	}
	req, err := http.NewRequestWithContext(context.WithValue(ctx, allowKey{}, st.d.allow), rq.Method, rq.URL, body)
	if err != nil {
		ret(s, codeInvalid)
		return
	}
	for k, v := range rq.Headers {
		req.Header.Set(k, v)
	}
	start := time.Now()
	resp, err := h.client.Do(req)
	if err != nil {
		st.hostWait += time.Since(start)
		h.log.Info("plugin http request failed", "plugin", st.d.name, "region", st.d.region, "err", err)
		ret(s, codeIO)
		return
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxHTTPBody+1))
	_ = resp.Body.Close()
	st.hostWait += time.Since(start)
	if err != nil {
		ret(s, codeIO)
		return
	}
	if len(data) > maxHTTPBody {
		ret(s, codeTooLarge)
		return
	}
	out := httpResp{Status: resp.StatusCode, Headers: map[string]string{}, Body: strings.ToValidUTF8(string(data), "\uFFFD")}
	for k := range resp.Header {
		out.Headers[strings.ToLower(k)] = resp.Header.Get(k)
	}
	enc, _ := json.Marshal(out)
	deliver(m, st, s, enc, s[2], s[3])
}

// Alert is what a plugin raised, as delivered to the webhook or AlertSink.
type Alert struct {
	Tenant         string    `json:"tenant"`
	Region         string    `json:"region"`
	Plugin         string    `json:"plugin"`
	ConversationID string    `json:"conversation_id,omitempty"`
	Level          string    `json:"level"`
	Text           string    `json:"text"`
	Link           string    `json:"link,omitempty"`
	At             time.Time `json:"at"`
	webhook        string
}

func (h *Host) hostAlert(ctx context.Context, m api.Module, s []uint64) {
	st := stateOf(ctx)
	if !grant(st, CapAlert, s) {
		return
	}
	raw, ok := read(m, s[0], s[1], maxAlert)
	if !ok || !utf8.Valid(raw) {
		ret(s, codeInvalid)
		return
	}
	var a Alert
	if err := json.Unmarshal(raw, &a); err != nil || a.Text == "" {
		ret(s, codeInvalid)
		return
	}
	a.Tenant, a.Region, a.Plugin, a.ConversationID, a.At = st.tenant, st.d.region, st.d.name, st.conv, time.Now()
	a.webhook = st.d.webhook
	if h.cfg.AlertSink == nil && a.webhook == "" {
		h.log.Warn("plugin alert with no alert_webhook configured", "plugin", a.Plugin, "region", a.Region, "text", a.Text)
		ret(s, 0)
		return
	}
	select {
	case h.alerts <- a:
		ret(s, 0)
	default:
		ret(s, codeQuota)
	}
}

// alertLoop delivers queued alerts until the host closes.
func (h *Host) alertLoop() {
	defer h.wg.Done()
	deliver := func(ctx context.Context, a Alert) {
		if h.cfg.AlertSink != nil {
			h.cfg.AlertSink(ctx, a)
			return
		}
		h.postAlert(ctx, a)
	}
	for {
		select {
		case <-h.ctx.Done():
			// Close: deliver what is queued, each within a short deadline.
			for {
				select {
				case a := <-h.alerts:
					ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
					deliver(ctx, a)
					cancel()
				default:
					return
				}
			}
		case a := <-h.alerts:
			deliver(h.ctx, a)
		}
	}
}

func (h *Host) postAlert(ctx context.Context, a Alert) {
	body, _ := json.Marshal(a)
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.webhook, bytes.NewReader(body))
	if err != nil {
		h.log.Error("alert webhook", "plugin", a.Plugin, "err", err)
		return
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := h.alertClient.Do(req)
	if err != nil {
		h.log.Error("alert webhook", "plugin", a.Plugin, "url", a.webhook, "err", err)
		return
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	if resp.StatusCode >= 300 {
		h.log.Error("alert webhook", "plugin", a.Plugin, "url", a.webhook, "status", resp.StatusCode)
	}
}
