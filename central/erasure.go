package central

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/kefu-io/kefu/central/store"
	"github.com/kefu-io/kefu/chat"
)

// Erasure (GDPR Art. 17, "right to be forgotten").
//
// The edge's gdpr-residency plugin labels a shopper message that asks to
// delete their data with erasure=1 (and escalates it). Central then, once
// per request (a redelivery records nothing twice):
//
//   - records an erasure request for (tenant, visitor) in the store (status
//     requested; one open request per visitor, a second ask joins it);
//   - answers the shopper in their language that the request is recorded and
//     will be completed within one month (Art. 12(3));
//   - publishes chat.EventErasure (Reason "requested", Visitor set) on
//     chat.EventsSubject(tenant), so the edges clear plugin state;
//   - hands the conversation to a human with reason ReasonErasure, unless
//     the tenant erases automatically (Config.AutoErase).
//
// An agent carries it out with POST /v1/conversations/:id/erase (any
// agent of the tenant; the request row keeps who and when), or the Service
// does at once for tenants in Config.AutoErase (agent "auto"). Erasure
// replaces every message text of the visitor's conversations by
// store.ErasedText, replaces the visitor id by a random pseudonym
// ("erased-" + a new id), closes the conversations, marks the request
// completed with the counts, and publishes chat.EventErasure with Reason
// "completed" and the original visitor id (the event is not stored; the
// edge needs the id to find the visitor's state). The shopper gets a last
// note that their data is erased, sent just before the texts are wiped.

// ReasonErasure is the handoff reason of an erasure request, the
// escalation reason of the gdpr-residency plugin.
const ReasonErasure = "gdpr-erasure"

// Reasons of chat.EventErasure.
const (
	ErasureEventRequested = "requested"
	ErasureEventCompleted = "completed"
)

// erasedVisitorPrefix starts the pseudonym that replaces an erased visitor id.
const erasedVisitorPrefix = "erased-"

// agentAuto is the agent recorded for erasures the tenant policy carried out.
const agentAuto = "auto"

// autoErase reports whether tenant's erasure requests run without an agent.
func (s *Service) autoErase(tenant string) bool {
	return slices.Contains(s.cfg.AutoErase, tenant) || slices.Contains(s.cfg.AutoErase, "*")
}

// erasureRequested handles an inbound message labelled erasure=1, after it
// was stored (stored=false on a redelivery). It neither routes the message
// nor lets the bot answer it.
func (s *Service) erasureRequested(ctx context.Context, env chat.Envelope, conv store.Conversation, msg chat.Message, stored bool) error {
	reqID := derivedID("g", env.Tenant, msg.ID)
	req, created, err := s.st.RequestErasure(ctx, store.ErasureRequest{ID: reqID, Tenant: env.Tenant, Visitor: env.Visitor,
		ConversationID: conv.ID, MessageID: msg.ID, RequestedAt: msg.At})
	if err != nil {
		return err
	}
	ours := req.ID == reqID
	if created {
		s.m.erasureRequests.WithLabelValues(ErasureEventRequested).Inc()
		s.log.Info("gdpr: erasure requested", "tenant", env.Tenant, "request", req.ID, "conversation", conv.ID, "message", msg.ID)
	}
	if created || (!stored && ours && req.Status == store.ErasureRequested) {
		s.emit(chat.Event{Type: chat.EventErasure, Tenant: env.Tenant, ConversationID: conv.ID, Visitor: env.Visitor, Reason: ErasureEventRequested})
	}
	if ours && req.Status == store.ErasureCompleted {
		// A redelivery after the erasure: say so again (the edge clears
		// idempotently); the texts are gone already.
		s.emit(chat.Event{Type: chat.EventErasure, Tenant: env.Tenant, ConversationID: conv.ID, Visitor: env.Visitor,
			Agent: req.Agent, Reason: ErasureEventCompleted})
		return nil
	}

	note := chat.Message{ID: derivedID("e", env.Tenant, msg.ID), ConversationID: conv.ID, Role: chat.RoleSystem, Source: chat.SourceCentral,
		ReplyTo: msg.ID, Author: "gdpr", Lang: msg.Lang, Text: erasureRequestedText(msg.Lang), At: time.Now()}
	_, noted, err := s.st.SaveReply(ctx, env.Tenant, note, false)
	if err != nil {
		return err
	}
	if noted {
		s.m.messagesStored.WithLabelValues(string(chat.RoleSystem)).Inc()
		s.emit(chat.Event{Type: chat.EventMessage, Tenant: conv.Tenant, ConversationID: conv.ID, Visitor: conv.Visitor, Message: &note})
	} else if got, err := s.st.Message(ctx, env.Tenant, note.ID); err == nil {
		note = got
	}
	s.publishReply(ctx, env, note)

	if s.autoErase(env.Tenant) {
		if req.Status == store.ErasureRequested {
			_, err := s.executeErasure(ctx, env.Tenant, req.ID, agentAuto, conv.ID)
			return err
		}
		return nil
	}
	if conv.Status != store.StatusBot {
		return nil // already with the humans
	}
	prio := s.rt.Priority(max(msg.Anger, conv.Anger), conv.VIP || env.Label(chat.LabelVIP) == "1", 0, s.sla(ctx, conv.Tenant))
	c, changed, err := s.st.Handoff(ctx, env.Tenant, conv.ID, prio, ReasonErasure, time.Now())
	if errors.Is(err, store.ErrClosed) {
		return nil
	}
	if err != nil {
		return err
	}
	if changed {
		s.m.handoffs.WithLabelValues(ReasonErasure).Inc()
		s.emit(chat.Event{Type: chat.EventHandoff, Tenant: c.Tenant, ConversationID: c.ID, Visitor: c.Visitor, Reason: ReasonErasure, Priority: c.Priority})
		s.updateQueueDepth(ctx)
	}
	return nil
}

// executeErasure carries out request id of tenant on behalf of agent (an
// agent id, or agentAuto). conv is the conversation the event names when
// the request has none. A request completed before is returned as is.
func (s *Service) executeErasure(ctx context.Context, tenant, id, agent, conv string) (store.ErasureRequest, error) {
	req, err := s.st.Erasure(ctx, tenant, id)
	if err != nil {
		return store.ErasureRequest{}, err
	}
	if req.Status == store.ErasureCompleted {
		return req, nil
	}
	visitor := req.Visitor
	if req.ConversationID != "" {
		conv = req.ConversationID
	}
	// A last note to the shopper, while the conversation still is theirs.
	if c, err := s.st.Conversation(ctx, tenant, conv); err == nil && c.Visitor == visitor {
		note := chat.Message{ID: derivedID("x", tenant, req.ID), ConversationID: c.ID, Role: chat.RoleSystem, Source: chat.SourceCentral,
			Author: "gdpr", Lang: c.Lang, Text: erasureDoneText(c.Lang), At: time.Now()}
		if _, _, err := s.st.SaveReply(ctx, tenant, note, false); err != nil {
			return store.ErasureRequest{}, err
		}
		s.publishReply(ctx, chat.Envelope{Tenant: tenant, Region: c.Region, Channel: c.Channel, Visitor: visitor}, note)
	}
	// Noted before the texts are replaced and the edges hear of it: a
	// message of the visitor written until now that central handles later
	// (a leaf edge's buffer, another replica) is dropped (erased.go).
	at := time.Now()
	if err := s.noteErased(ctx, tenant, visitor, at); err != nil {
		return store.ErasureRequest{}, err
	}
	// Every replica's view of the bucket has the note once erasedViewLag
	// has passed, or that replica asks the bucket (erasedview.go).
	select {
	case <-time.After(erasedViewLag):
	case <-ctx.Done():
		return store.ErasureRequest{}, fmt.Errorf("central: erasure waiting for the replicas' views: %w", ctx.Err())
	}
	done, changed, err := s.st.Erase(ctx, tenant, req.ID, agent, erasedVisitorPrefix+chat.NewID(), at)
	if err != nil {
		return store.ErasureRequest{}, err
	}
	if changed {
		s.m.erasureRequests.WithLabelValues(ErasureEventCompleted).Inc()
		// The audit trail: the store row, and this log line.
		s.log.Info("gdpr: erasure completed", "tenant", tenant, "request", done.ID, "agent", agent,
			"conversations", done.Conversations, "messages", done.Messages, "at", done.CompletedAt)
		ev := chat.Event{Type: chat.EventErasure, Tenant: tenant, ConversationID: conv, Visitor: visitor, Agent: agent,
			Reason: ErasureEventCompleted, At: done.CompletedAt}
		s.emit(ev)
		s.publishErasure(ctx, done.ID, ev)
		s.purgeVisitorStreams(ctx, tenant, visitor)
		s.wakeVacuum()
		s.updateQueueDepth(ctx)
	}
	return done, nil
}

// ErasureView is an erasure request as the REST API shows it. Agent is the
// id of the agent who carried it out ("auto" for the tenant policy).
type ErasureView struct {
	ID             string              `json:"id"`
	Status         store.ErasureStatus `json:"status"`
	ConversationID string              `json:"conversation_id,omitempty"`
	MessageID      string              `json:"message_id,omitempty"`
	Agent          string              `json:"agent,omitempty"`
	RequestedAt    time.Time           `json:"requested_at"`
	CompletedAt    *time.Time          `json:"completed_at,omitempty"`
	Conversations  int                 `json:"conversations"`
	Messages       int                 `json:"messages"`
}

func erasureView(r store.ErasureRequest) *ErasureView {
	v := &ErasureView{ID: r.ID, Status: r.Status, ConversationID: r.ConversationID, MessageID: r.MessageID, Agent: r.Agent,
		RequestedAt: r.RequestedAt, Conversations: r.Conversations, Messages: r.Messages}
	if !r.CompletedAt.IsZero() {
		t := r.CompletedAt
		v.CompletedAt = &t
	}
	return v
}

// erasuresByVisitor maps the visitor ids (or pseudonyms) of tenant's
// recent erasure requests to them, for the conversation views.
func (s *Service) erasuresByVisitor(ctx context.Context, tenant string) map[string]store.ErasureRequest {
	list, err := s.st.Erasures(ctx, tenant, "", 0)
	if err != nil {
		s.log.Warn("gdpr: list erasures", "tenant", tenant, "err", err)
		return nil
	}
	out := make(map[string]store.ErasureRequest, len(list))
	for _, r := range slices.Backward(list) { // newest wins
		out[r.Visitor] = r
	}
	return out
}

// erase handles POST /v1/conversations/:id/erase: it carries out the
// visitor's open erasure request, or records one on the agent's behalf
// (a request that reached the merchant another way) and carries it out.
func (s *Service) erase(c *fiber.Ctx) error {
	conv, ok, err := s.conversation(c)
	if !ok {
		return err
	}
	if strings.HasPrefix(conv.Visitor, erasedVisitorPrefix) {
		return apiError(c, fiber.StatusConflict, CodeErased, "this conversation's data is already erased")
	}
	ctx, p := c.UserContext(), who(c)
	req, err := s.st.OpenErasure(ctx, conv.Tenant, conv.Visitor)
	if errors.Is(err, store.ErrNotFound) {
		var created bool
		req, created, err = s.st.RequestErasure(ctx, store.ErasureRequest{ID: chat.NewID(), Tenant: conv.Tenant, Visitor: conv.Visitor,
			ConversationID: conv.ID, RequestedAt: time.Now()})
		if err == nil && created {
			s.m.erasureRequests.WithLabelValues(ErasureEventRequested).Inc()
		}
	}
	if err != nil {
		return storeError(c, err)
	}
	done, err := s.executeErasure(ctx, conv.Tenant, req.ID, p.agent.ID, conv.ID)
	if err != nil {
		return storeError(c, err)
	}
	return c.JSON(erasureView(done))
}

// listErasures handles GET /v1/erasures?status=requested|completed: the
// tenant's audit trail, newest first.
func (s *Service) listErasures(c *fiber.Ctx) error {
	st := store.ErasureStatus(c.Query("status"))
	if st != "" && st != store.ErasureRequested && st != store.ErasureCompleted {
		return apiError(c, fiber.StatusBadRequest, CodeBadRequest, "status must be requested or completed")
	}
	list, err := s.st.Erasures(c.UserContext(), who(c).agent.Tenant, st, c.QueryInt("limit", 0))
	if err != nil {
		return storeError(c, err)
	}
	out := make([]*ErasureView, len(list))
	for i, r := range list {
		out[i] = erasureView(r)
	}
	return c.JSON(out)
}

// erasureRequestedNotes acknowledge an erasure request (GDPR Art. 12(3):
// act on it without undue delay, within one month).
var erasureRequestedNotes = map[string]string{
	"en": "We have recorded your request to delete your personal data. It will be completed within 30 days, as the GDPR (Art. 12) requires; a member of our team will confirm it here.",
	"zh": "我们已记录您删除个人数据的请求，将按照《通用数据保护条例》（GDPR 第12条）的要求在30天内完成，客服人员会在此与您确认。",
	"ja": "個人データ削除のご依頼を受け付けました。GDPR（第12条）に従い、30日以内に対応いたします。担当者がこちらでご連絡します。",
	"ko": "개인정보 삭제 요청이 접수되었습니다. GDPR(제12조)에 따라 30일 이내에 처리되며, 담당자가 이곳에서 확인해 드립니다.",
	"de": "Wir haben Ihren Antrag auf Löschung Ihrer personenbezogenen Daten erfasst. Er wird gemäß DSGVO (Art. 12) innerhalb von 30 Tagen erledigt; ein Mitarbeiter bestätigt ihn hier.",
	"fr": "Nous avons enregistré votre demande de suppression de vos données personnelles. Elle sera traitée sous 30 jours, comme le prévoit le RGPD (art. 12) ; un membre de notre équipe vous la confirmera ici.",
	"es": "Hemos registrado su solicitud de supresión de sus datos personales. Se completará en un plazo de 30 días, como exige el RGPD (art. 12); un miembro de nuestro equipo se la confirmará aquí.",
	"it": "Abbiamo registrato la sua richiesta di cancellazione dei dati personali. Sarà completata entro 30 giorni, come previsto dal GDPR (art. 12); un membro del nostro team gliela confermerà qui.",
	"pt": "Registámos o seu pedido de eliminação dos seus dados pessoais. Será concluído no prazo de 30 dias, como exige o RGPD (art. 12.º); um membro da nossa equipa irá confirmá-lo aqui.",
	"nl": "We hebben uw verzoek om uw persoonsgegevens te verwijderen geregistreerd. Het wordt binnen 30 dagen afgehandeld, zoals de AVG (art. 12) vereist; een medewerker bevestigt het hier.",
	"pl": "Zarejestrowaliśmy Twoje żądanie usunięcia danych osobowych. Zostanie zrealizowane w ciągu 30 dni, zgodnie z RODO (art. 12); nasz pracownik potwierdzi je tutaj.",
	"ru": "Мы зарегистрировали ваш запрос на удаление персональных данных. Он будет выполнен в течение 30 дней, как того требует GDPR (ст. 12); сотрудник подтвердит это здесь.",
	"ar": "لقد سجّلنا طلبك بحذف بياناتك الشخصية. سيتم تنفيذه خلال 30 يومًا وفقًا للائحة العامة لحماية البيانات (المادة 12)، وسيؤكده لك أحد أعضاء فريقنا هنا.",
}

// erasureDoneNotes tell the shopper their data is erased.
var erasureDoneNotes = map[string]string{
	"en": "Your personal data in this chat has now been deleted. Thank you for your patience.",
	"zh": "您在本次对话中的个人数据已被删除。感谢您的耐心等待。",
	"ja": "このチャットでのお客様の個人データは削除されました。ご協力ありがとうございました。",
	"ko": "이 채팅의 개인정보가 삭제되었습니다. 기다려 주셔서 감사합니다.",
	"de": "Ihre personenbezogenen Daten in diesem Chat wurden gelöscht. Vielen Dank für Ihre Geduld.",
	"fr": "Vos données personnelles de cette conversation ont été supprimées. Merci de votre patience.",
	"es": "Sus datos personales de esta conversación han sido eliminados. Gracias por su paciencia.",
	"it": "I suoi dati personali di questa chat sono stati cancellati. Grazie per la pazienza.",
	"pt": "Os seus dados pessoais desta conversa foram eliminados. Obrigado pela sua paciência.",
	"nl": "Uw persoonsgegevens in deze chat zijn verwijderd. Bedankt voor uw geduld.",
	"pl": "Twoje dane osobowe z tego czatu zostały usunięte. Dziękujemy za cierpliwość.",
	"ru": "Ваши персональные данные в этом чате удалены. Спасибо за терпение.",
	"ar": "تم حذف بياناتك الشخصية في هذه المحادثة. شكرًا لصبرك.",
}

func erasureRequestedText(lang string) string { return noteIn(erasureRequestedNotes, lang) }

func erasureDoneText(lang string) string { return noteIn(erasureDoneNotes, lang) }

func noteIn(notes map[string]string, lang string) string {
	if t, ok := notes[primaryLang(lang)]; ok {
		return t
	}
	return notes["en"]
}

// publishErasure puts a completed erasure into chat.StreamErasure, from
// which every region's edges take it through their durable consumer, also
// those that were not listening when it happened (chat/erasure.go). The
// core NATS event (emit) reaches the connected edges at once; this is the
// delivery that survives an edge's absence. It retries a few times; a
// failure is logged and counted (kefu_central_erasures_total
// {stage="stream_failed"}).
func (s *Service) publishErasure(ctx context.Context, id string, ev chat.Event) {
	ev.V = chat.ProtocolVersion
	data, err := json.Marshal(ev)
	if err != nil {
		return
	}
	for attempt := 1; ; attempt++ {
		pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		msg := nats.NewMsg(chat.ErasureSubject(ev.Tenant))
		msg.Data = data
		_, err = s.js.PublishMsg(pctx, msg, jetstream.WithMsgID(chat.ErasureMsgID(id)))
		cancel()
		if err == nil || attempt == 3 {
			break
		}
		time.Sleep(time.Duration(attempt) * 200 * time.Millisecond)
	}
	if err != nil {
		s.m.erasureRequests.WithLabelValues("stream_failed").Inc()
		s.log.Error("gdpr: erasure not put on the erasure stream; edges that are away will not forget the visitor's sealed values",
			"tenant", ev.Tenant, "request", id, "err", err)
	}
}

// purgeVisitorStreams removes the erased visitor's messages from the
// streams that may still hold them: KEFU_INBOUND (envelopes not yet
// processed, or kept for the replay window) and KEFU_CHANNEL_OUT (replies
// not yet delivered), by their subjects' visitor token
// (chat.InboundVisitorSubject, chat.ChannelOutVisitorSubject); a leaf
// edge's envelopes reach KEFU_INBOUND under the same subject (the source
// maps chat.RegionSubject there), and the edge purges what its regional
// stream still holds when it applies the erasure. A failure is logged and
// counted (stage purge_failed).
func (s *Service) purgeVisitorStreams(ctx context.Context, tenant, visitor string) {
	if s.js == nil || visitor == "" {
		return
	}
	vt := chat.VisitorToken(tenant, visitor)
	for _, p := range []struct{ stream, subject string }{
		{chat.StreamInbound, chat.InboundVisitorSubject(tenant, visitor)},
		{chat.StreamChannelOut, chat.SubjectChannelOutPrefix + "*." + chat.SubjectToken(tenant) + "." + vt},
	} {
		pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		st, err := s.js.Stream(pctx, p.stream)
		if err == nil {
			err = st.Purge(pctx, jetstream.WithPurgeSubject(p.subject))
		}
		cancel()
		if err != nil && !errors.Is(err, jetstream.ErrStreamNotFound) {
			s.m.erasureRequests.WithLabelValues("purge_failed").Inc()
			s.log.Error("gdpr: erased visitor's messages not purged from the stream; they leave with its max_age",
				"tenant", tenant, "stream", p.stream, "err", err)
		}
	}
}
