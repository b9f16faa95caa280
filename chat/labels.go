package chat

// Envelope labels that carry a meaning between edge and central
// (docs/CONTRACTS.md). Edge and central both use these names; neither keeps
// its own copy. LabelPIITokens is in pii.go.
const (
	// LabelVIP marks a shopper the merchant's backend vouched for as VIP
	// ("1"); central raises the conversation's queue priority.
	LabelVIP = "vip"
	// LabelEscalate asks central to hand the conversation to a human; the
	// value is the reason (set by an edge plugin's escalate verdict).
	LabelEscalate = "escalate"
	// LabelErasure ("1") marks a shopper's request to erase their data
	// (GDPR Art. 17), set by the gdpr-residency plugin.
	LabelErasure = "erasure"
	// LabelEdgeAnswerID is the id of the answer a region plugin gave at the
	// edge; with it central stores the answer after the shopper's message
	// and neither routes nor answers it again. Only the edge sets the
	// edge_answer_* labels: a client's or plugin's copies are removed.
	LabelEdgeAnswerID = "edge_answer_id"
	// LabelEdgeAnswerText is that answer's text, as the shopper got it.
	LabelEdgeAnswerText = "edge_answer_text"
	// LabelEdgeAnswerPlugin is the plugin that answered (the answer's author).
	LabelEdgeAnswerPlugin = "edge_answer_plugin"
)

// EdgeAnswerLabels lists the labels only the edge may set.
var EdgeAnswerLabels = [...]string{LabelEdgeAnswerID, LabelEdgeAnswerText, LabelEdgeAnswerPlugin}

// SubjectAuthVerify is the core NATS request/reply subject on which central
// answers "whose bearer token is this?" for the edges: an edge route an
// agent calls with the token central's POST /v1/login issued (edge POST
// /v1/reveal) checks it here, so that tokens and agents stay in central.
// Request AuthVerifyRequest, reply AuthVerifyReply; central answers in
// queue group "central" so one replica replies.
const SubjectAuthVerify = "kefu.auth.verify"

// AuthVerifyVersion is the V of AuthVerifyRequest and AuthVerifyReply.
const AuthVerifyVersion = 1

// AuthVerifyRequest is the request on SubjectAuthVerify.
type AuthVerifyRequest struct {
	V     int    `json:"v"`
	Token string `json:"token"`
}

// AuthVerifyReply answers an AuthVerifyRequest: the agent the token belongs
// to, or Error ("unauthorized" for a missing, unknown or expired token,
// "bad_request" for a malformed request, "internal") and nothing else.
type AuthVerifyReply struct {
	V      int    `json:"v"`
	Tenant string `json:"tenant,omitempty"`
	Agent  string `json:"agent,omitempty"` // agent id
	Email  string `json:"email,omitempty"` // the agent's login
	Error  string `json:"error,omitempty"`
}

// OK reports whether the reply names an agent of a tenant.
func (r AuthVerifyReply) OK() bool {
	return r.Error == "" && r.Tenant != "" && (r.Agent != "" || r.Email != "")
}
