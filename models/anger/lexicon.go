package anger

// profanity lists insults and swear words, lower case, by language. Entries
// in spaced scripts match at the start of a word ("scam" matches "scammers").
var profanity = []string{
	// en
	"fuck", "shit", "bullshit", "damn", "crap", "idiot", "stupid", "moron", "wtf", "asshole", "bastard", "bloody hell",
	// zh (Simplified and Traditional)
	"他妈", "他媽", "妈的", "媽的", "操你", "傻逼", "傻屄", "sb客服", "垃圾", "狗屎", "混蛋", "王八蛋", "滚", "滾", "去死", "脑残", "腦殘", "坑爹", "尼玛", "尼瑪",
	// de
	"scheiß", "scheiss", "verdammt", "arschloch", "idiot", "blöd", "verarsch",
	// fr
	"merde", "putain", "connard", "bordel", "foutu", "nul ", "débile",
	// es
	"mierda", "joder", "cabrón", "cabron", "idiota", "estúpido", "coño", "maldit",
	// ja
	"ふざけんな", "ふざけるな", "くそ", "クソ", "最悪", "バカ", "ばか", "死ね", "むかつく", "ムカつく",
	// ko
	"씨발", "시발", "개새끼", "병신", "빡치", "짜증", "미친",
	// ar
	"تبا", "لعنة", "غبي", "حقير", "زفت", "كلب",
	// ru
	"блять", "блядь", "бля", "хрен", "херня", "дерьмо", "сука", "идиот", "тупые", "достали",
	// pt
	"merda", "porra", "caralho", "droga", "idiota", "palhaçada",
	// it
	"cazzo", "merda", "vaffanculo", "stronz", "schifo", "idiota",
}

// complaint lists phrases of customers who are fed up: threats to complain,
// demands, fraud accusations, "worst ever", "still not", by language.
var complaint = []string{
	// en
	"worst", "terrible", "horrible", "awful", "ridiculous", "unacceptable", "scam", "fraud", "rip off", "ripoff",
	"still not", "still haven", "never again", "complain", "lawyer", "sue you", "report you", "disgusting", "furious",
	"angry", "fed up", "sick of", "useless", "refund now", "money back", "waste of",
	// zh
	"投诉", "投訴", "差评", "差評", "骗子", "騙子", "欺诈", "欺詐", "退钱", "退錢", "太差", "恶心", "噁心", "气死", "氣死",
	"还没到", "還沒到", "到底", "什么破", "什麼破", "消协", "消協", "工商", "12315", "举报", "舉報", "忍无可忍", "忍無可忍", "坑人", "不给退", "不給退",
	// de
	"beschwerde", "unverschämt", "frechheit", "betrug", "betrüg", "katastrophe", "nie wieder", "immer noch nicht", "sofort", "anwalt", "schlecht",
	// fr
	"plainte", "inadmissible", "arnaque", "escroquer", "honteux", "inacceptable", "toujours pas", "jamais plus", "remboursez", "scandaleux", "avocat",
	// es
	"queja", "reclamación", "reclamacion", "estafa", "vergüenza", "inaceptable", "todavía no", "todavia no", "nunca más", "fatal", "denuncia", "abogado",
	// ja
	"クレーム", "詐欺", "返金しろ", "いい加減", "ひどい", "酷い", "まだ届かない", "二度と", "訴え", "責任者",
	// ko
	"환불해", "사기", "최악", "어이없", "불만", "신고", "아직도", "고소",
	// ar
	"شكوى", "احتيال", "نصب", "سيء", "أسوأ", "غير مقبول", "حتى الآن لم", "محامي",
	// ru
	"жалоб", "мошенн", "обман", "ужасн", "отвратительн", "безобраз", "до сих пор не", "верните деньги", "суд",
	// pt
	"reclamação", "reclamacao", "golpe", "fraude", "absurdo", "inaceitável", "ainda não", "nunca mais", "péssimo", "pessimo", "advogado",
	// it
	"reclamo", "truffa", "vergogna", "inaccettabile", "ancora non", "mai più", "pessimo", "assurdo", "avvocato", "denuncia",
}
