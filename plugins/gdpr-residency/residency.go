package main

import (
	"slices"
	"strings"
	"sync"

	"github.com/kefu-io/kefu/plugins/pdk"
	"github.com/kefu-io/kefu/plugins/phrase"
	"github.com/kefu-io/kefu/plugins/pii"
)

// rules are one region's residency settings.
type rules struct {
	resident    []pii.Type // types that must not leave in clear
	stripLabels []string
	escalate    bool // erasure requests escalate (else: label only)
}

func rulesFromConfig(get func(string) (string, bool)) rules {
	r := rules{resident: pii.AllTypes, stripLabels: []string{"ip", "geo", "email", "phone", "address"}, escalate: true}
	if v, ok := get("resident"); ok {
		r.resident = nil
		for _, t := range list(v) {
			if tt := pii.Type(strings.ToUpper(t)); slices.Contains(pii.AllTypes, tt) {
				r.resident = append(r.resident, tt)
			}
		}
	}
	if v, ok := get("strip_labels"); ok {
		r.stripLabels = list(v)
	}
	if v, ok := get("erasure"); ok && strings.TrimSpace(v) == "label" {
		r.escalate = false
	}
	return r
}

func list(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' })
}

// erasurePhrases are requests to delete one's data, lower case. Latin
// phrases match on the message folded to lower case with runs of spaces
// collapsed.
var erasurePhrases = []string{
	// zh
	"删除我的数据", "删除我的个人信息", "删除我的信息", "删掉我的数据", "注销我的账号", "注销账户", "刪除我的資料", "刪除我的個人資料", "删除个人数据",
	// en
	"delete my data", "delete my personal data", "delete my account", "delete all my data", "erase my data", "remove my data", "remove my personal data",
	"forget me", "right to be forgotten", "right to erasure", "delete my information", "delete my personal information",
	// de
	"daten löschen", "meine daten löschen", "löschen sie meine daten", "löscht meine daten", "konto löschen", "recht auf vergessenwerden", "recht auf löschung",
	// fr
	"supprimer mes données", "supprimez mes données", "effacer mes données", "effacez mes données", "supprimer mon compte", "droit à l'oubli", "droit à l’oubli",
	// es
	"borrar mis datos", "borren mis datos", "eliminar mis datos", "eliminen mis datos", "derecho al olvido", "suprimir mis datos",
	// it, pt, nl, pl
	"cancellare i miei dati", "cancellate i miei dati", "eliminare i miei dati", "diritto all'oblio",
	"apagar meus dados", "excluir meus dados", "apaguem meus dados", "excluam meus dados",
	"verwijder mijn gegevens", "mijn gegevens verwijderen", "usuń moje dane", "usunąć moje dane",
	// ja, ko, ru, ar
	"個人情報を削除", "データを削除して", "アカウントを削除", "개인정보 삭제", "내 정보 삭제", "탈퇴", "удалите мои данные", "удалить мои данные", "احذف بياناتي", "حذف بياناتي",
}

// erasureSet finds erasurePhrases in one pass over a folded text.
var erasureSet = phrase.New(erasurePhrases)

// foldBuf is reused by isErasure: an instance runs one call at a time.
var (
	foldMu  sync.Mutex
	foldBuf []byte
)

// isErasure reports whether text asks to delete the shopper's data: one of
// erasurePhrases occurs in text lower-cased with runs of white space
// collapsed (phrase.AppendFold).
func isErasure(text string) bool {
	foldMu.Lock()
	defer foldMu.Unlock()
	foldBuf = phrase.AppendFold(foldBuf[:0], text)
	return erasureSet.Contains(foldBuf)
}

// inbound applies the residency rules and spots erasure requests. An
// erasure request escalates; when the text also had to be masked the
// verdict must stay modify (the ABI carries text only with modify), so the
// escalation travels as the label escalate=gdpr-erasure, which is what the
// edge forwards for an escalate verdict too.
func inbound(env *pdk.Envelope, r rules) pdk.Result {
	res := pdk.Pass()
	// A pii-redact earlier in the pipeline that scanned every locale for
	// all resident types leaves nothing in clear for a second scan.
	if len(r.resident) > 0 && !pii.Checked(env.Label(pii.LabelChecked), r.resident) {
		red := pii.Redact(env.Message.Text, pii.Options{Types: r.resident})
		if len(red.Spans) > 0 {
			ts := list(env.Label("pii"))
			for _, s := range red.Spans {
				ts = append(ts, string(s.Type))
			}
			slices.Sort(ts)
			res = pdk.ModifyText(red.Text).WithLabel("pii", strings.Join(slices.Compact(ts), ","))
		}
	}
	for _, k := range r.stripLabels {
		if _, ok := env.Labels[k]; ok {
			res = res.WithLabel(k, "")
		}
	}
	res = res.WithLabel("residency", env.Region)
	if isErasure(env.Message.Text) {
		res = res.WithLabel("erasure", "1")
		if r.escalate {
			if res.Verdict == pdk.VerdictModify {
				return res.WithLabel("escalate", erasureReason)
			}
			esc := pdk.Escalate(erasureReason)
			esc.Labels = res.Labels
			return esc
		}
	}
	return res
}

// erasureReason is the escalation reason of an erasure request.
const erasureReason = "gdpr-erasure"

// event handles conversation events: on erasure, drop the plugin's own
// state for the visitor.
func event(env *pdk.Envelope) pdk.Result {
	if env.Event() != "conversation.erasure" {
		return pdk.Pass()
	}
	if env.Visitor != "" {
		if err := pdk.KVSet("consent:"+env.Visitor, nil, 0); err != nil {
			pdk.Logf(pdk.LevelWarn, "gdpr-residency: erasing visitor state: %v", err)
		}
	}
	pdk.Logf(pdk.LevelInfo, "gdpr-residency: erasure of conversation %s handled at the edge", env.Message.ConversationID)
	return pdk.Pass().WithLabel("erasure_edge", "done")
}

// standing is what inbound returns for r on a text without an erasure
// phrase (isErasure false) that needs no scan (pii_checked lists every
// resident type): the stripped labels, then residency = the envelope's
// region, which wins over a strip of the same key as in inbound.
func standing(r rules) *pdk.Standing {
	s := &pdk.Standing{Fold: true} // isErasure matches the folded text
	if len(r.resident) > 0 {
		items := make([]string, len(r.resident))
		for i, t := range r.resident {
			items[i] = string(t)
		}
		s.Require(pii.LabelChecked, items...)
	}
	seen := map[string]bool{"residency": true}
	for _, k := range r.stripLabels {
		if !seen[k] {
			seen[k] = true
			s.Strip(k)
		}
	}
	return s.SetField("residency", "region")
}
