package central

import (
	"strings"
	"unicode"

	"github.com/abadojack/whatlanggo"
)

// detectLang guesses the language of a message the widget did not label:
// the script decides for Chinese, Japanese and Korean, then the language-id
// model (when given and sure), then whatlanggo when reliable; "en" otherwise.
func detectLang(text string, model Classifier) string {
	var han, kana, hangul, letters int
	for _, r := range text {
		switch {
		case unicode.In(r, unicode.Hiragana, unicode.Katakana):
			kana++
		case unicode.Is(unicode.Han, r):
			han++
		case unicode.Is(unicode.Hangul, r):
			hangul++
		case unicode.IsLetter(r):
			letters++
		}
	}
	switch {
	case kana > 0:
		return "ja"
	case hangul > 0 && hangul >= han:
		return "ko"
	case han > 0 && han*2 >= letters/3:
		return "zh"
	}
	if model != nil {
		if l, score := model.Predict(text); score >= 0.6 && len(l) >= 2 {
			return primaryLang(l)
		}
	}
	info := whatlanggo.Detect(text)
	if code := info.Lang.Iso6391(); code != "" && info.IsReliable() {
		return code
	}
	return "en"
}

// primaryLang reduces a BCP-47 tag to its lower-case primary subtag.
func primaryLang(tag string) string {
	tag = strings.ToLower(strings.TrimSpace(tag))
	if i := strings.IndexAny(tag, "-_"); i > 0 {
		tag = tag[:i]
	}
	return tag
}

// fallbacks is what the bot says when it has no good answer: an apology and
// the offer of a human, in the shopper's language.
var fallbacks = map[string]string{
	"en": "Sorry, I'm not sure I understood. Could you rephrase your question? If you prefer, type \"human\" and I will connect you with a member of our team.",
	"zh": "抱歉，我没有完全理解您的问题。可以换个说法再问一次吗？如需人工服务，请回复“转人工”。",
	"ja": "申し訳ありません、ご質問をうまく理解できませんでした。言い換えていただけますか？担当者をご希望の場合は「オペレーター」と入力してください。",
	"ko": "죄송합니다. 질문을 정확히 이해하지 못했습니다. 다시 말씀해 주시겠어요? 상담원 연결을 원하시면 \"상담원\"이라고 입력해 주세요.",
	"de": "Entschuldigung, das habe ich nicht ganz verstanden. Können Sie Ihre Frage anders formulieren? Wenn Sie möchten, schreiben Sie „Mitarbeiter“ und ich verbinde Sie mit unserem Team.",
	"fr": "Désolé, je n'ai pas bien compris. Pouvez-vous reformuler votre question ? Si vous préférez, écrivez « conseiller » et je vous mets en relation avec notre équipe.",
	"es": "Lo siento, no he entendido bien. ¿Puede reformular su pregunta? Si lo prefiere, escriba «agente» y le pondré en contacto con nuestro equipo.",
	"it": "Mi dispiace, non ho capito bene. Può riformulare la domanda? Se preferisce, scriva «operatore» e la metto in contatto con il nostro team.",
	"pt": "Desculpe, não entendi bem. Pode reformular a pergunta? Se preferir, escreva \"atendente\" e eu ligo você à nossa equipa.",
	"ru": "Извините, я не совсем понял вопрос. Не могли бы вы переформулировать? Если хотите, напишите «оператор», и я соединю вас с сотрудником.",
	"ar": "عذرًا، لم أفهم سؤالك تمامًا. هل يمكنك إعادة صياغته؟ إذا كنت تفضل، اكتب \"agent\" وسأوصلك بأحد أعضاء فريقنا.",
	"nl": "Sorry, ik begreep uw vraag niet helemaal. Kunt u die anders formuleren? Typ \"medewerker\" als u liever met iemand van ons team spreekt.",
}

// handoffs is the note sent when a conversation moves to the human queue.
var handoffNotes = map[string]string{
	"en": "I'm connecting you with a member of our team. Please stay here, someone will reply shortly.",
	"zh": "正在为您转接人工客服，请稍候，客服人员马上回复您。",
	"ja": "担当者におつなぎします。まもなく返信いたしますので、少々お待ちください。",
	"ko": "상담원에게 연결해 드리고 있습니다. 잠시만 기다려 주세요.",
	"de": "Ich verbinde Sie mit einem Mitarbeiter. Bitte bleiben Sie hier, Sie erhalten in Kürze eine Antwort.",
	"fr": "Je vous mets en relation avec un membre de notre équipe. Merci de patienter, quelqu'un va vous répondre.",
	"es": "Le estoy poniendo en contacto con un miembro de nuestro equipo. Espere un momento, le responderán en breve.",
	"it": "La sto mettendo in contatto con un membro del nostro team. Attenda, le risponderanno a breve.",
	"pt": "Estou a ligar você a um membro da nossa equipa. Aguarde, alguém responderá em breve.",
	"ru": "Соединяю вас с сотрудником. Пожалуйста, подождите, вам скоро ответят.",
	"ar": "جارٍ تحويلك إلى أحد أعضاء فريقنا. يرجى الانتظار، سيتم الرد عليك قريبًا.",
	"nl": "Ik verbind u met een medewerker. Een moment geduld, u krijgt zo antwoord.",
}

func fallbackText(lang string) string {
	if t, ok := fallbacks[primaryLang(lang)]; ok {
		return t
	}
	return fallbacks["en"]
}

func handoffText(lang string) string {
	if t, ok := handoffNotes[primaryLang(lang)]; ok {
		return t
	}
	return handoffNotes["en"]
}
