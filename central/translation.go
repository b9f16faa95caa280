package central

import (
	"context"
	"sync"
	"time"

	"github.com/kefu-io/kefu/central/store"
	"github.com/kefu-io/kefu/central/translate"
	"github.com/kefu-io/kefu/chat"
)

// Two-way translation between shoppers and agents.
//
// With translate.provider set (libretranslate or deepl, translate.url,
// translate.key), a shopper message whose language differs from the
// agent's carries Translation {text, lang} in the agent's views (REST
// message objects, console events): it is translated after it is stored,
// into the assigned agent's language or, while nobody holds the
// conversation, the language most of the tenant's agents read; an agent
// who reads another language gets it translated when they list the
// messages. An agent reply is delivered in the shopper's language (the
// conversation's) with Original {text, lang} = what the agent wrote, on
// the message frame and in history.
//
// Failures never block: a call has TranslateTimeout; on failure the
// shopper message shows untranslated with Translation {lang, error}, and
// the agent reply goes out as written with Translation {lang, error}
// (agents see the mark; shoppers get the plain text).

// Translator translates text (package translate; Config.Translator replaces
// the providers of the settings in tests).
type Translator = translate.Translator

// TranslateTimeout bounds one translation call.
const TranslateTimeout = 3 * time.Second

type translators struct {
	mu sync.Mutex
	m  map[translate.Config]Translator
}

var providerCache = &translators{m: map[translate.Config]Translator{}}

// translator returns tenant's Translator, or nil when none is configured.
func (s *Service) translator(ctx context.Context, tenant string) Translator {
	if s.cfg.Translator != nil {
		return s.cfg.Translator
	}
	set := s.tenantSettings(ctx, tenant)
	cfg := translate.Config{Provider: settingValue(set, SettingTranslateProvider), URL: settingValue(set, SettingTranslateURL),
		Key: settingValue(set, SettingTranslateKey)}
	if cfg.Provider == "" {
		return nil
	}
	providerCache.mu.Lock()
	defer providerCache.mu.Unlock()
	if t, ok := providerCache.m[cfg]; ok {
		return t
	}
	t, err := translate.New(cfg)
	if err != nil {
		s.log.Warn("translation provider not usable", "tenant", tenant, "err", err)
		return nil
	}
	providerCache.m[cfg] = t
	return t
}

// agentLang returns the language an agent reads ("" = unknown).
func (s *Service) agentLang(ctx context.Context, tenant, agent string) string {
	if agent == "" {
		return ""
	}
	if p, err := s.st.AgentProfile(ctx, tenant, agent); err == nil && p.Lang != "" {
		return p.Lang
	}
	if a, err := s.st.Agent(ctx, tenant, agent); err == nil {
		return a.Lang // kefu admin agent add --lang
	}
	return ""
}

// teamLang is the language most of tenant's agents read.
func (s *Service) teamLang(ctx context.Context, tenant string) string {
	profs, err := s.st.AgentProfiles(ctx, tenant)
	if err != nil {
		return ""
	}
	n := map[string]int{}
	best := ""
	for _, p := range profs {
		lang := p.Lang
		if lang == "" {
			lang = s.agentLang(ctx, tenant, p.Agent)
		}
		if lang == "" {
			continue
		}
		n[lang]++
		if best == "" || n[lang] > n[best] {
			best = lang
		}
	}
	return best
}

// differ reports whether two languages are known and different.
func differ(a, b string) bool { return a != "" && b != "" && base(a) != base(b) }

// translateText translates with the timeout; the Text has Error on failure.
func (s *Service) translateText(ctx context.Context, tr Translator, text, from, to string) chat.Text {
	ctx, cancel := context.WithTimeout(ctx, TranslateTimeout)
	defer cancel()
	r, err := tr.Translate(ctx, text, from, to)
	if err != nil {
		s.m.translations.WithLabelValues("failed").Inc()
		return chat.Text{Lang: to, Error: err.Error()}
	}
	s.m.translations.WithLabelValues("ok").Inc()
	return chat.Text{Text: r.Text, Lang: to}
}

// translateInbound translates a stored shopper message for the agents, in
// the background, and emits the message again with its translation.
func (s *Service) translateInbound(tenant string, conv store.Conversation, msg chat.Message) {
	if msg.Lang == "" || s.isClosed() {
		return
	}
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 2*TranslateTimeout)
		defer cancel()
		tr := s.translator(ctx, tenant)
		if tr == nil {
			return
		}
		target := s.agentLang(ctx, tenant, conv.Agent)
		if target == "" {
			target = s.teamLang(ctx, tenant)
		}
		if !differ(msg.Lang, target) {
			return
		}
		t := s.translateText(ctx, tr, msg.Text, msg.Lang, target)
		if err := s.st.PutMessageText(ctx, tenant, msg.ID, &t, nil); err != nil {
			s.log.Warn("store translation", "id", msg.ID, "err", err)
			return
		}
		m := msg
		m.Translation = &t
		s.emit(chat.Event{Type: chat.EventMessage, Tenant: tenant, ConversationID: conv.ID, Visitor: conv.Visitor, Message: &m})
	}()
}

// translateReply turns an agent's reply into the shopper's language before
// it is stored and sent; m.Original keeps what the agent wrote.
func (s *Service) translateReply(ctx context.Context, conv store.Conversation, agent store.Agent, m *chat.Message) {
	from := s.agentLang(ctx, conv.Tenant, agent.ID)
	if !differ(from, conv.Lang) {
		return
	}
	tr := s.translator(ctx, conv.Tenant)
	if tr == nil {
		return
	}
	t := s.translateText(ctx, tr, m.Text, from, conv.Lang)
	if t.Error != "" || chat.ValidateText(t.Text, chat.MaxTextBytes) != nil {
		if t.Error == "" {
			t.Error = "translation is not a valid message text"
		}
		m.Lang, m.Translation = from, &chat.Text{Lang: conv.Lang, Error: t.Error}
		return
	}
	m.Original = &chat.Text{Text: m.Text, Lang: from}
	m.Text, m.Lang = t.Text, conv.Lang
}

// withTexts adds the stored translations and originals to msgs. For a
// reader (agent language readerLang != ""), shopper messages without a
// translation into that language are translated now (at most 20 per call).
func (s *Service) withTexts(ctx context.Context, tenant, conv string, msgs []chat.Message, readerLang string, agents bool) {
	texts, err := s.st.MessageTexts(ctx, tenant, conv)
	if err != nil {
		s.log.Warn("message texts", "conversation", conv, "err", err)
		return
	}
	var tr Translator
	budget := 20
	for i := range msgs {
		mt, ok := texts[msgs[i].ID]
		if ok {
			msgs[i].Original = mt.Original
			if agents {
				msgs[i].Translation, msgs[i].Shown = mt.Translation, mt.Shown
			}
		}
		if !agents || msgs[i].Role != chat.RoleShopper || !differ(msgs[i].Lang, readerLang) {
			continue
		}
		if t := msgs[i].Translation; t != nil && base(t.Lang) == base(readerLang) && t.Error == "" {
			continue
		}
		if budget == 0 {
			continue
		}
		if tr == nil {
			if tr = s.translator(ctx, tenant); tr == nil {
				return
			}
		}
		budget--
		t := s.translateText(ctx, tr, msgs[i].Text, msgs[i].Lang, readerLang)
		msgs[i].Translation = &t
		if t.Error == "" {
			_ = s.st.PutMessageText(ctx, tenant, msgs[i].ID, &t, nil)
		}
	}
}
