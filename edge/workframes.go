package edge

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/edge/pluginhost"
)

// Frames of the human queue and the workspace (docs/PROTOCOL.md §2.8–2.10):
//
//   - typing (client → edge): the shopper is typing. Forwarded at most once
//     a second per connection on core NATS (chat.TypingSubject) to central,
//     which shows it in the console. It may be lost; no answer.
//   - csat (client → edge): {id, rating 1–5, text = optional comment}. The
//     comment is untrusted text: it passes the region's inbound plugins
//     like a message (so PII is masked), travels on JetStream with label
//     csat = rating, and is answered with accepted. It is never stored as a
//     message of the conversation.
//   - message with "answer": the widget answered the question in the
//     browser. The question passes the plugins as usual and is forwarded
//     with the answer in labels local_answer_*, so central records both;
//     a plugin's own answer to it is ignored (the shopper has one).

// typingEvery is the least time between two forwarded typing notices.
const typingEvery = time.Second

// maxComment bounds a CSAT comment.
const maxComment = 1000

func checkCSAT(f *chat.Frame) error {
	if f.ID == "" || !chat.ValidID(f.ID) {
		return badFrame("", "csat needs an id of 1-64 characters of [0-9A-Za-z_-]")
	}
	if f.Rating == 0 {
		f.Rating = f.Score
	}
	if f.Rating < 1 || f.Rating > 5 {
		return badFrame(f.ID, "csat rating %d is not 1-5", f.Rating)
	}
	if len(f.Text) > maxComment {
		return &FrameError{Code: chat.CodeTooLarge, ID: f.ID, MaxText: maxComment, Reason: "comment over 1000 bytes"}
	}
	return nil
}

func (s *session) onWork(f chat.Frame) {
	conv := s.conversation()
	switch f.Type {
	case chat.FrameTyping:
		now := time.Now()
		if conv == "" || now.Sub(s.typingAt) < typingEvery {
			return
		}
		s.typingAt = now
		ev := chat.Event{V: chat.ProtocolVersion, Type: chat.EventTyping, Tenant: s.site.Tenant, ConversationID: conv,
			Visitor: s.visitor, Reason: "shopper", At: now.UTC()}
		if b, err := json.Marshal(ev); err == nil {
			_ = s.n.nc.Publish(chat.TypingSubject(s.site.Tenant), b)
		}
	case chat.FrameCSAT:
		if !s.msgBucket.allow(time.Now()) {
			s.sendError(chat.CodeRateLimited, f.ID, "too many messages; retry with the same id", 0)
			return
		}
		if conv == "" {
			s.sendError(chat.CodeBadFrame, f.ID, "csat needs a conversation", 0)
			return
		}
		text := strings.TrimSpace(f.Text)
		if text == "" {
			text = "-"
		}
		env := chat.Envelope{V: chat.ProtocolVersion, Tenant: s.site.Tenant, Region: s.n.cfg.Region, Channel: s.channel,
			Visitor: s.visitor, Direction: chat.Inbound,
			Message: chat.Message{ID: f.ID, ConversationID: conv, Role: chat.RoleShopper, Text: text, At: time.Now().UTC()}}
		env.SetLabel("site", s.siteKey)
		out, err := s.n.runPlugins(s.n.ctx, pluginhost.HookInbound, env)
		if err != nil {
			s.sendError(chat.CodeUnavailable, f.ID, "a plugin failed; retry later with the same id", 0)
			return
		}
		if out.Verdict == pluginhost.Drop {
			s.sendError(chat.CodeDropped, f.ID, "comment refused: "+out.Reason, 0)
			return
		}
		out.Envelope.Labels = map[string]string{"site": s.siteKey, chat.LabelPIITokens: out.Envelope.Label(chat.LabelPIITokens),
			chat.LabelCSAT: strconv.Itoa(f.Rating)}
		if s.valid(out.Envelope) {
			s.forward(s.n.ctx, out.Envelope)
		}
	}
}

// localAnswered sets the local-answer labels of a message frame that
// carries the widget's answer (and drops any a client or plugin set);
// it reports whether the frame had one.
func localAnswered(out *pluginhost.Outcome, f chat.Frame) bool {
	for _, k := range [...]string{chat.LabelLocalAnswerID, chat.LabelLocalAnswerText, chat.LabelLocalAnswerFAQ, chat.LabelLocalAnswerScore} {
		delete(out.Envelope.Labels, k)
	}
	if f.Answer == nil || out.Verdict == pluginhost.Drop {
		return false
	}
	out.Envelope.SetLabel(chat.LabelLocalAnswerID, f.Answer.ID)
	out.Envelope.SetLabel(chat.LabelLocalAnswerText, f.Answer.Text)
	if f.Answer.FAQID != "" {
		out.Envelope.SetLabel(chat.LabelLocalAnswerFAQ, f.Answer.FAQID)
	}
	delete(out.Envelope.Labels, "escalate") // answered: nothing to escalate
	return true
}

// checkLocalReport checks the local-answer fields of a hit: all or none.
func checkLocalReport(h Hit, visitor string) error {
	if h.Question == "" && h.Answer == "" && h.ID == "" && h.AnswerID == "" {
		return nil
	}
	switch {
	case visitor == "" || h.ConversationID == "":
		return errors.New("a reported answer needs the visitor and conversation_id")
	case !chat.ValidID(h.ID) || !chat.ValidID(h.AnswerID) || h.ID == h.AnswerID:
		return errors.New("id and answer_id must be two different ids")
	case chat.ValidateText(h.Question, chat.MaxTextBytes) != nil || chat.ValidateText(h.Answer, chat.MaxTextBytes) != nil:
		return fmt.Errorf("question and answer must be 1-%d bytes of UTF-8", chat.MaxTextBytes)
	}
	return nil
}

// reportLocal forwards the reported local answers of a hits batch to
// central like messages: the question passes the region's inbound plugins
// (a refused one is skipped), then goes on JetStream with the answer in the
// local_answer_* labels (Nats-Msg-Id = the question's id, so a repeated
// report is stored once).
func (n *Node) reportLocal(ctx context.Context, ref siteRef, visitor string, hits []Hit) error {
	for _, h := range hits {
		if h.Question == "" {
			continue
		}
		at := time.Now().UTC()
		if h.At > 0 && time.Since(time.UnixMilli(h.At)).Abs() < 24*time.Hour {
			at = time.UnixMilli(h.At).UTC()
		}
		env := chat.Envelope{V: chat.ProtocolVersion, Tenant: ref.site.Tenant, Region: n.cfg.Region, Channel: chat.ChannelWeb,
			Visitor: visitor, Direction: chat.Inbound,
			Message: chat.Message{ID: h.ID, ConversationID: h.ConversationID, Role: chat.RoleShopper, Text: h.Question, Lang: hintLang(h.Lang), At: at}}
		env.SetLabel("site", ref.key)
		out, err := n.runPlugins(ctx, pluginhost.HookInbound, env)
		if err != nil {
			return err
		}
		if out.Verdict == pluginhost.Drop {
			continue
		}
		for _, k := range chat.EdgeAnswerLabels {
			delete(out.Envelope.Labels, k)
		}
		delete(out.Envelope.Labels, "escalate")
		out.Envelope.SetLabel(chat.LabelLocalAnswerID, h.AnswerID)
		out.Envelope.SetLabel(chat.LabelLocalAnswerText, h.Answer)
		if h.FAQID != "" {
			out.Envelope.SetLabel(chat.LabelLocalAnswerFAQ, h.FAQID)
		}
		delete(out.Envelope.Labels, chat.LabelLocalAnswerScore)
		if h.Score > 0 && h.Score <= 1 {
			out.Envelope.SetLabel(chat.LabelLocalAnswerScore, strconv.FormatFloat(h.Score, 'f', 3, 64))
		}
		if err := out.Envelope.Check(n.cfg.MaxText); err != nil {
			continue // a plugin left it unusable: the answer stays unreported
		}
		if err := n.publish(ctx, &out.Envelope); err != nil {
			return err
		}
	}
	return nil
}
