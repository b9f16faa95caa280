package chat

import "fmt"

// Direction says which way an Envelope travels.
type Direction string

// Directions of an Envelope.
const (
	Inbound  Direction = "inbound"  // shopper → central
	Outbound Direction = "outbound" // central → shopper
)

// Envelope carries one Message between edge and central, with everything a
// hop needs to route it. It is the unit plugins see (plugins/ABI.md) and the
// body of every NATS message on the inbound and outbound subjects (JSON).
type Envelope struct {
	// V is the protocol version (ProtocolVersion).
	V int `json:"v"`
	// Tenant is the merchant site key ("demo").
	Tenant string `json:"tenant"`
	// Region is the edge region that owns the shopper's connection ("eu", "cn", "local").
	Region string `json:"region"`
	// Channel is how the shopper reached the merchant.
	Channel Channel `json:"channel"`
	// Visitor is the shopper's stable id on that channel (a browser id, an openid).
	Visitor string `json:"visitor"`
	// Direction is Inbound or Outbound.
	Direction Direction `json:"direction"`
	// Message is the payload.
	Message Message `json:"message"`
	// Labels are facts hops add for later hops: plugin results ("pii" →
	// "PHONE,EMAIL"), the VIP flag ("vip" → "1"), the page URL, the SKU the
	// shopper is looking at ("sku"). Keys are lower-case ASCII.
	Labels map[string]string `json:"labels,omitempty"`
}

// Check verifies the fields every hop relies on.
func (e *Envelope) Check(maxBytes int) error {
	if e.V > ProtocolVersion || e.V < 1 {
		return fmt.Errorf("%w: %d", ErrVersion, e.V)
	}
	if e.Tenant == "" {
		return ErrNoTenant
	}
	if e.Message.ConversationID != "" && !ValidID(e.Message.ConversationID) {
		return fmt.Errorf("%w: conversation %q", ErrBadID, e.Message.ConversationID)
	}
	return e.Message.Validate(maxBytes)
}

// Label returns the label k, or "".
func (e *Envelope) Label(k string) string { return e.Labels[k] }

// SetLabel sets label k to v, allocating the map if needed.
func (e *Envelope) SetLabel(k, v string) {
	if e.Labels == nil {
		e.Labels = make(map[string]string, 4)
	}
	e.Labels[k] = v
}
