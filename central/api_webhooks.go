package central

import (
	"crypto/rand"
	"encoding/hex"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/kefu-io/kefu/central/settings"
	"github.com/kefu-io/kefu/central/store"
	"github.com/kefu-io/kefu/central/webhook"
	"github.com/kefu-io/kefu/internal/egress"
)

// The webhook API: POST/GET /v1/webhooks, GET/DELETE /v1/webhooks/:id,
// GET /v1/webhooks/:id/deliveries (the delivery log), GET
// /v1/webhook-events (the event names one may subscribe to). Scopes
// webhooks:read and webhooks:write (owners).

// WebhookRequest is the body of POST /v1/webhooks. Without a secret one is
// made and returned once.
type WebhookRequest struct {
	URL    string   `json:"url"`
	Events []string `json:"events"`
	Secret string   `json:"secret"`
}

// WebhookView is a webhook as the API shows it; Secret only in the answer
// to its creation.
type WebhookView struct {
	ID        string    `json:"id"`
	URL       string    `json:"url"`
	Events    []string  `json:"events"`
	Secret    string    `json:"secret,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// WebhookDeliveryView is one entry of a webhook's delivery log.
type WebhookDeliveryView struct {
	ID          string     `json:"id"`
	Event       string     `json:"event"`
	Status      string     `json:"status"`
	Attempts    int        `json:"attempts"`
	CreatedAt   time.Time  `json:"created_at"`
	NextAt      *time.Time `json:"next_attempt_at,omitempty"`
	DeliveredAt *time.Time `json:"delivered_at,omitempty"`
	LastStatus  int        `json:"last_status,omitempty"`
	LastError   string     `json:"last_error,omitempty"`
	LatencyMS   int64      `json:"latency_ms,omitempty"`
}

func (s *Service) registerWebhooks(auth fiber.Router) {
	auth.Post("/webhooks", s.createWebhook)
	auth.Get("/webhooks", s.listWebhooks)
	auth.Get("/webhooks/:id", s.getWebhook)
	auth.Delete("/webhooks/:id", s.deleteWebhook)
	auth.Get("/webhooks/:id/deliveries", s.webhookDeliveries)
	auth.Get("/webhook-events", func(c *fiber.Ctx) error { return c.JSON(webhook.Events) })
}

func webhookView(w store.Webhook) WebhookView {
	return WebhookView{ID: w.ID, URL: w.URL, Events: w.Events, CreatedAt: w.CreatedAt}
}

func (s *Service) createWebhook(c *fiber.Ctx) error {
	var req WebhookRequest
	if err := decodeBody(c, &req); err != nil {
		return apiError(c, fiber.StatusBadRequest, CodeBadRequest, err.Error())
	}
	req.URL = strings.TrimSpace(req.URL)
	if err := settings.HTTPSURL(req.URL); err != nil || len(req.URL) > 2000 {
		return apiError(c, fiber.StatusBadRequest, CodeBadRequest, "url: want an absolute https URL (http only for localhost)")
	}
	if err := egress.CheckURL(c.UserContext(), req.URL, s.cfg.AllowPrivateURLs); err != nil {
		return apiError(c, fiber.StatusBadRequest, CodeBadRequest, "url: "+err.Error())
	}
	if err := webhook.CheckEvents(req.Events); err != nil {
		return apiError(c, fiber.StatusBadRequest, CodeBadRequest, err.Error())
	}
	if req.Secret == "" {
		b := make([]byte, 24)
		_, _ = rand.Read(b)
		req.Secret = "whsec_" + hex.EncodeToString(b)
	} else if len(req.Secret) < 16 || len(req.Secret) > 256 {
		return apiError(c, fiber.StatusBadRequest, CodeBadRequest, "secret: want 16 to 256 characters (or none: one is made)")
	}
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	p := who(c)
	w := store.Webhook{ID: "wh_" + hex.EncodeToString(b), Tenant: p.agent.Tenant, URL: req.URL, Events: req.Events, Secret: req.Secret, CreatedAt: time.Now()}
	ctx := c.UserContext()
	if err := s.st.CreateWebhook(ctx, w); err != nil {
		return storeError(c, err)
	}
	if err := s.st.AppendAudit(ctx, store.AuditEntry{Tenant: w.Tenant, Actor: string(actor(p)), Action: "webhook.create", Target: w.ID,
		Detail: map[string]string{"url": w.URL, "events": strings.Join(w.Events, ",")}}); err != nil {
		return storeError(c, err)
	}
	v := webhookView(w)
	v.Secret = w.Secret
	return c.Status(fiber.StatusCreated).JSON(v)
}

func (s *Service) listWebhooks(c *fiber.Ctx) error {
	list, err := s.st.Webhooks(c.UserContext(), who(c).agent.Tenant)
	if err != nil {
		return storeError(c, err)
	}
	out := make([]WebhookView, len(list))
	for i, w := range list {
		out[i] = webhookView(w)
	}
	return c.JSON(out)
}

func (s *Service) getWebhook(c *fiber.Ctx) error {
	w, err := s.st.Webhook(c.UserContext(), who(c).agent.Tenant, c.Params("id"))
	if err != nil {
		return adminError(c, err)
	}
	return c.JSON(webhookView(w))
}

func (s *Service) deleteWebhook(c *fiber.Ctx) error {
	p := who(c)
	ctx := c.UserContext()
	if err := s.st.DeleteWebhook(ctx, p.agent.Tenant, c.Params("id")); err != nil {
		return adminError(c, err)
	}
	if err := s.st.AppendAudit(ctx, store.AuditEntry{Tenant: p.agent.Tenant, Actor: string(actor(p)), Action: "webhook.delete", Target: c.Params("id")}); err != nil {
		return storeError(c, err)
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Service) webhookDeliveries(c *fiber.Ctx) error {
	ctx := c.UserContext()
	w, err := s.st.Webhook(ctx, who(c).agent.Tenant, c.Params("id"))
	if err != nil {
		return adminError(c, err)
	}
	list, err := s.st.WebhookDeliveries(ctx, w.Tenant, w.ID, c.QueryInt("limit", 100))
	if err != nil {
		return storeError(c, err)
	}
	out := make([]WebhookDeliveryView, len(list))
	for i, d := range list {
		v := WebhookDeliveryView{ID: d.ID, Event: d.Event, Status: d.Status, Attempts: d.Attempts, CreatedAt: d.CreatedAt,
			LastStatus: d.LastStatus, LastError: d.LastError, LatencyMS: d.LatencyMS}
		if d.Status == store.DeliveryPending {
			t := d.NextAt
			v.NextAt = &t
		}
		if !d.DeliveredAt.IsZero() {
			t := d.DeliveredAt
			v.DeliveredAt = &t
		}
		out[i] = v
	}
	return c.JSON(out)
}
