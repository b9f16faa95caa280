package central

import (
	"context"
	"strings"

	"github.com/kefu-io/kefu/central/settings"
	"github.com/kefu-io/kefu/chat"
)

// Tenant settings of the bot's persona and of knowledge answers (issue 9's
// registry; `kefu admin tenant set --tenant T persona.name=Mia`).
const (
	SettingPersonaName     = "persona.name"
	SettingPersonaEmoji    = "persona.emoji"
	SettingPersonaFormalZH = "persona.formality.zh"
	SettingPersonaSignoff  = "persona.signoff"
	SettingCiteSources     = "knowledge.cite_sources"
)

func init() {
	for _, k := range []settings.Key{
		{Name: SettingPersonaName, Doc: "name the bot signs its messages with (empty: bot)", Default: "", Validate: settings.MaxLen(40)},
		{Name: SettingPersonaEmoji, Doc: "whether the bot ends knowledge answers with a friendly emoji", Default: "false", Validate: settings.Bool},
		{Name: SettingPersonaFormalZH, Doc: "how the bot addresses Chinese-speaking shoppers: formal (您) or casual (你)", Default: "formal",
			Validate: settings.OneOf("formal", "casual")},
		{Name: SettingPersonaSignoff, Doc: "a line the bot adds under knowledge answers, e.g. a seasonal note (empty: none)", Default: "", Validate: settings.MaxLen(200)},
		{Name: SettingCiteSources, Doc: "whether shoppers see the source document's title under a knowledge answer (agents always do)", Default: "false",
			Validate: settings.Bool},
	} {
		settings.Register(k)
	}
}

// persona is a tenant's bot voice.
type persona struct {
	name, formalZH, signoff string
	emoji, cite             bool
}

func (s *Service) persona(ctx context.Context, tenant string) persona {
	set, err := s.st.TenantSettings(ctx, tenant)
	if err != nil {
		set = nil // the defaults
	}
	return persona{
		name:     settings.Value(set, SettingPersonaName),
		formalZH: settings.Value(set, SettingPersonaFormalZH),
		signoff:  settings.Value(set, SettingPersonaSignoff),
		emoji:    settings.Value(set, SettingPersonaEmoji) == "true",
		cite:     settings.Value(set, SettingCiteSources) == "true",
	}
}

// apply gives a bot message the persona's name and voice; knowledge says
// the text is a knowledge answer (emoji, sign-off and source apply).
func (p persona) apply(m *chat.Message, knowledge bool) {
	if p.name != "" {
		m.Author = p.name
	}
	if strings.HasPrefix(m.Lang, "zh") {
		if p.formalZH == "casual" {
			m.Text = strings.ReplaceAll(m.Text, "您", "你")
		} else {
			m.Text = formalZH(m.Text)
		}
	}
	if !knowledge {
		return
	}
	if p.emoji {
		m.Text += " 🙂"
	}
	if p.signoff != "" {
		m.Text += "\n\n" + p.signoff
	}
	if p.cite && len(m.Sources) > 0 && m.Sources[0].Title != "" {
		label := "Source: "
		if strings.HasPrefix(m.Lang, "zh") {
			label = "来源："
		}
		m.Text += "\n\n" + label + m.Sources[0].Title
	}
}

// formalZH addresses the shopper as 您 (你们, plural, stays).
func formalZH(s string) string {
	if !strings.Contains(s, "你") {
		return s
	}
	r := []rune(s)
	for i := range r {
		if r[i] == '你' && (i+1 >= len(r) || r[i+1] != '们') {
			r[i] = '您'
		}
	}
	return string(r)
}
