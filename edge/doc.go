// Package edge is a regional edge node: the HTTP and WebSocket front door
// shoppers' widgets (and native apps) talk to, the place where a region's
// plugins run, and the forwarder to central over NATS.
//
// # What it serves
//
// Register adds the widget files (/kefu.js, /kefu.css, /kefu.wasm served as
// precompressed brotli when the client accepts it, /wasm_exec.js), the
// widget routes under /w/ (config, models, hits), the WebSocket /ws and the
// storefront demo under /demo/. Every /w/ route and /ws need ?site=<key> of
// a configured Site; an unknown key or a refused Origin gets 403.
//
// # The life of a message
//
// A `message` frame is decoded and checked (DecodeFrame), rate limited, made
// into a chat.Envelope, run through the inbound plugin pipeline (Drop →
// error "dropped"; Escalate → label escalate=<reason>; Modify → the
// modified text goes on; Answer → see below), then published to the
// JetStream stream KEFU_INBOUND with Nats-Msg-Id = message id. Only after
// the PubAck does the client get `accepted`; if JetStream cannot take it the
// client gets error "unavailable" and retries with the same id, which
// JetStream's duplicate window stores once.
//
// With Config.Leaf the NATS connection goes to the edge's own nats-server,
// a leaf node of central's: the envelope goes to the region's stream
// KEFU_REGION instead, so `accepted` comes from the region even while
// central is down, and central's KEFU_INBOUND sources that stream when the
// link is up (see Leaf and docs/CONTRACTS.md).
//
// When a plugin answers, the shopper gets the answer at once (a bot message
// with source "edge", author = the plugin, id EdgeAnswerID(tenant, message
// id)), and the message is published as above with the answer in the labels
// LabelEdgeAnswerID, LabelEdgeAnswerText and LabelEdgeAnswerPlugin, so that
// central keeps one history (it stores both and answers nothing). A retry
// gets the same answer id, which a connection never sends twice. Only the
// edge sets those labels: it removes them from client context and plugin
// output.
//
// Replies come from central on chat.OutboundSubject(region, tenant) (core
// NATS), run through the outbound pipeline and go to every open socket of
// the conversation. A client that reconnects sends hello with
// conversation_id and resume_after; the edge attaches the socket first,
// then asks central for the history after that id (chat.SubjectHistory),
// replays it and then flushes replies that arrived meanwhile, skipping ids
// it already sent: nothing lost, nothing doubled.
//
// docs/PROTOCOL.md is the normative description of the wire protocol.
//
// # Local-answer hits
//
// POST /w/hits forwards the widget's batch as a HitsRecord on core NATS
// subject "kefu.hits.<tenant>" (SubjectHitsPrefix), at most once: it feeds
// analytics, not conversations.
//
// # Failure isolation
//
// A Plugins implementation that returns an error or panics refuses that one
// message with code "unavailable"; the connection and the node stay up. A
// slow client whose send queue fills is disconnected and resumes.
package edge
