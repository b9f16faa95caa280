package anger

// The lexicons are lower case and by language. Entries in scripts written
// without spaces (Han, kana) match anywhere; the others match at the start
// of a word ("scam" matches "scammers", "class act" does not match "ass"),
// after normalize, so punctuation inside an entry is written as a space
// ("1 star" matches "1-star"). An entry counts once however often it
// occurs. Words a calm shopper uses too ("refund", "manager", "退款",
// "返品") are not listed alone: only the demanding or accusing forms are.

// profanity lists insults and swear words.
var profanity = []string{
	// en
	"fuck", "f ck", "f cking", "fck", "shit", "bullshit", "damn", "crap", "idiot", "stupid", "moron", "wtf", "asshole", "bastard", "bloody hell",
	"the hell", "hell no", "screw you", "screw this", "pissed", "clowns", "jerks", "scumbag", "dumb", "bs ",
	// zh (Simplified and Traditional)
	"他妈", "他媽", "妈的", "媽的", "操你", "傻逼", "傻屄", "sb客服", "垃圾", "狗屎", "混蛋", "王八蛋", "滚", "滾", "去死", "脑残", "腦殘", "坑爹", "尼玛", "尼瑪",
	"放屁", "老子", "有病", "神经病", "神經病", "死人", "死哪", "白痴", "蠢货", "蠢貨", "废物", "廢物", "什么玩意", "什麼玩意", "搞笑呢", "耍我", "糊弄", "要你们何用", "要你們何用",
	// de
	"scheiß", "scheiss", "verdammt", "arschloch", "idiot", "blöd", "verarsch", "mist", "saftladen", "spinnt ihr", "angepisst", "kotz", "dreck", "schrott", "penner", "gauner", "das letzte",
	// fr
	"merde", "putain", "connard", "bordel", "foutu", "nul ", "débile", "vous foutez", "se fout", "foutez", "abruti", "crétin", "camelote", "ras le bol", "bande d",
	// es
	"mierda", "joder", "cabrón", "cabron", "idiota", "estúpido", "coño", "maldit", "porquería", "porqueria", "cabreado", "cabreadísimo", "hasta las narices", "hostia", "me cago", "sinvergüenza", "vacilando", "tomando el pelo",
	// ja
	"ふざけんな", "ふざけるな", "ふざけて", "くそ", "クソ", "最悪", "最低", "バカ", "ばか", "馬鹿", "死ね", "むかつく", "ムカつく", "なめてる", "なめてんの", "ナメてる", "ゴミ", "使えない", "無能", "泥棒", "腹が立", "頭にくる", "呆れ", "あきれ",
	// ko
	"씨발", "시발", "ㅅㅂ", "개새끼", "병신", "빡치", "짜증", "미친", "개판", "젠장", "열받", "장난해", "장난하", "무능", "쓰레기", "한심", "제정신", "도둑", "어이없", "어이가 없", "기가 막", "개같", "꺼져",
	// ar
	"تبا", "لعنة", "غبي", "حقير", "زفت", "كلب",
	// ru
	"блять", "блядь", "бля", "хрен", "херня", "дерьмо", "сука", "идиот", "тупые", "достали", "чёрт", "черт", "задолбал", "осточертел", "бесит", "жулик", "воры", "ворюг", "барахло", "издеваетесь", "издевательство", "цирк", "кинули",
	// pt
	"merda", "porra", "caralho", "droga", "idiota", "palhaçada",
	// it
	"cazzo", "merda", "vaffanculo", "stronz", "schifo", "idiota",
}

// complaint lists phrases of customers who are fed up: "worst ever",
// "unacceptable", "sick of", demands for money back now.
var complaint = []string{
	// en
	"ruined", "nightmare", "appalling", "shocking", "rude", "enough is enough", "cheated", "robbed", "con artist", "swindl", "deceiv", "misleading", "false advertising", "lost a customer", "take my business", "what is wrong with you",
	"worst", "terrible", "horrible", "awful", "ridiculous", "unacceptable", "rip off", "ripoff", "ripped off",
	"still not", "never again", "complain", "disgusting", "furious", "livid",
	"angry", "fed up", "sick of", "sick and tired", "tired of", "had enough", "last straw", "useless", "refund now", "money back now", "refund me", "give me my money",
	"waste of", "wasted", "pathetic", "outrageous", "disgrace", "shame on", "incompetent", "unbelievable", "insane",
	"garbage", "junk", "trash", "rubbish", "kidding me", "are you serious", "i demand", "immediately", "now or",
	"nobody", "no one ever", "ignoring me", "ignored", "sort it out", "done with", "lied", "lying", "liars",
	"never buy", "never order", "never shop", "avoid this", "beyond frustrat", "so frustrat", "enough with", "excuses", "what a joke", "a joke ", "is a joke",
	// zh
	"凭什么", "憑什麼", "离谱", "離譜", "服了", "差劲", "差勁", "生气", "生氣", "愤怒", "憤怒", "失望透顶", "失望透頂", "气人", "氣人", "人呢", "什么意思", "什麼意思",
	"投诉", "投訴", "差评", "差評", "骗子", "騙子", "骗钱", "騙錢", "骗人", "騙人", "欺诈", "欺詐", "给我退钱", "給我退錢", "赶紧退钱", "趕緊退錢", "马上退钱", "馬上退錢", "快退钱", "快退錢", "太差", "恶心", "噁心", "气死", "氣死", "火大", "火冒",
	"到底", "什么破", "什麼破", "破服务", "破服務", "消协", "消協", "工商", "12315", "举报", "舉報", "忍无可忍", "忍無可忍", "坑人", "不给退", "不給退",
	"受够", "受夠", "受不了", "敷衍", "无语", "無語", "太过分", "太過分", "过分", "過分", "什么态度", "什麼態度", "态度差", "態度差", "态度恶劣", "態度惡劣", "黑店", "黑心", "无良", "無良",
	"欺负", "欺負", "赶紧", "趕緊", "马上给我", "馬上給我", "给个说法", "給個說法", "一个说法", "一個說法", "给我一个解释", "給我一個解釋", "赔偿", "賠償", "假货", "假貨", "虚假", "虛假",
	"踢皮球", "装死", "裝死", "拖到", "一动不动", "一動不動", "再也不", "拉黑", "倒闭", "倒閉", "没完", "沒完", "烂", "爛", "别废话", "別廢話", "搞什么", "搞什麼", "干什么吃", "幹什麼吃", "摆设", "擺設", "想干嘛", "想幹嘛",
	// de
	"sauerei", "schweinerei", "abgezockt", "betrogen", "unzumutbar", "inakzeptabel", "kundenunfreundlich", "nervt", "genervt",
	"beschwerde", "unverschämt", "frechheit", "betrug", "betrüg", "katastrophe", "nie wieder", "sofort ", "schlecht",
	"reicht", "schnauze voll", "lächerlich", "erbärmlich", "unfähig", "nutzlos", "abzocke", "zumutung", "wütend", "stinksauer", "sauer", "ärger", "frust",
	"ausreden", "textbausteine", "jetzt ist schluss", "ein witz", "gelogen", "lügen", "unmöglich",
	// fr
	"dégoûté", "foutage", "moquez", "arnaqué", "catastrophique", "exaspéré", "marre",
	"plainte", "inadmissible", "arnaque", "escroc", "honteux", "honte", "inacceptable", "jamais plus", "plus jamais", "remboursez moi", "remboursez nous", "scandaleux", "scandale",
	"j en ai marre", "en ai assez", "ridicule", "lamentable", "incompétent", "incapable", "furieux", "énervé", "hors de moi", "n importe quoi", "menti", "mentir", "menteur", "excuses", "vol ", "voleur", "volé", "tout de suite", "immédiatement", "exige", "inutile", "blague",
	// es
	"timado", "estafado", "engañ", "cachondeo", "tomadura de pelo", "cabreo", "asco", "asqueroso", "mentiros",
	"queja", "reclamación", "reclamacion", "estafa", "timo", "timador", "vergüenza", "inaceptable", "nunca más", "nunca mas", "fatal", "denuncia", "denunciar",
	"harto", "harta", "ya basta", "basta ya", "ridículo", "ridiculo", "lamentable", "inútil", "inutil", "incompetente", "furioso", "furiosa", "indignante", "indignado", "exijo",
	"ya mismo", "inmediatamente", "ahora mismo", "excusas", "mentir", "mentido", "mentisteis", "ladrones", "robo ", "robado", "pésimo", "pesimo", "peor", "no puede ser", "broma", "no aguanto",
	// ja
	"腹立", "イライラ", "頭に来", "話にならない", "どういうこと", "誠意がない", "責任取", "金返せ", "二度と使わない",
	"クレーム", "詐欺", "返金しろ", "いい加減", "ひどい", "酷い", "二度と", "訴え", "責任者",
	"ありえない", "あり得ない", "信じられない", "うんざり", "我慢の限界", "限界", "許せない", "許せません", "ぼったくり", "騙さ", "だまさ", "嘘", "金を返せ", "返金して", "今すぐ", "すぐに返金",
	"どうなってる", "どうなって", "怒", "激怒", "対応しろ", "出せ", "消費者センター", "生活センター", "法的措置", "誠意", "謝罪はいらない", "役に立たない",
	// ko
	"빡쳐", "어이상실", "황당", "양심", "뭐하자는", "장난치", "실화", "짜증나",
	"환불해", "사기", "최악", "어이없", "불만", "신고", "고소",
	"화나", "화가 나", "화납", "너무하", "말이 돼", "말이 됩", "말도 안", "못 참", "더는", "지겹", "바가지", "거짓말", "당장", "책임자", "엉망", "실망", "민원", "소비자원", "법적", "돈 돌려", "돈이나", "사람 무시", "무시하", "속았", "뭐 하는", "뭐하는", "다신 안", "다시는 안",
	// ar
	"شكوى", "احتيال", "نصب", "سيء", "أسوأ", "غير مقبول", "محامي",
	// ru
	"обнаглел", "наглость", "хамство", "беспредел", "ужас", "отстой", "лохотрон", "обманщик", "позорище",
	"жалоб", "мошенн", "обман", "ужасн", "отвратительн", "безобраз", "верните деньги", "суд",
	"возмутительн", "надоел", "хватит врать", "с меня хватит", "сколько можно", "терпение", "бесполезн", "в ярости", "в бешенстве", "на грани", "позор", "стыд", "наврали", "врать", "враньё", "вранье",
	"немедленно", "сейчас же", "требую", "худш", "кошмар", "развод", "грабёж", "грабеж", "никогда у вас", "больше никогда", "некомпетентн", "убог", "смешно", "отговорк",
	// pt
	"reclamação", "reclamacao", "golpe", "fraude", "absurdo", "inaceitável", "nunca mais", "péssimo", "pessimo", "advogado",
	// it
	"reclamo", "truffa", "vergogna", "inaccettabile", "mai più", "pessimo", "assurdo", "avvocato", "denuncia",
}

// threat lists escalations beyond the chat: lawyers, courts, police,
// consumer agencies, card and payment disputes, fraud accusations, public
// reviews and the press.
var threat = []string{
	// en
	"scam", "fraud", "lawyer", "attorney", "sue you", "sue ", "legal action", "court ", "small claims", "police", "report you", "report this", "reporting you", "reporting this",
	"chargeback", "charge back", "dispute", "reverse the charge", "call my bank", "calling my bank", "contact my bank", "go to my bank", "going to my bank", "ask my bank", "credit card company", "bbb", "better business", "trading standards", "ftc", "consumer protection",
	"trustpilot", "1 star", "one star", "bad review", "reviews everywhere", "review everywhere", "the press", "tell everyone", "thief", "thieves", "stole", "crook", "fake", "counterfeit",
	// zh
	"律师", "律師", "起诉", "起訴", "法院", "报警", "報警", "拒付", "曝光", "黑猫", "黑貓", "市场监管", "市場監管", "平台介入", "诈骗", "詐騙", "所有平台",
	// de
	"anwalt", "anzeige", "gericht", "polizei", "verbraucherzentrale", "zurückbuchen", "zurück buchen", "zurückholen", "käuferschutz", "rückbuchung", "schlechte bewertung", "1 stern", "einen stern", "presse", "trustpilot", "gefälscht", "fälschung", "geklaut", "diebstahl", "betrüger",
	// fr
	"avocat", "tribunal", "justice", "police", "dgccrf", "60 millions", "opposition", "litige", "conteste", "contester", "avis négatif", "avis à une", "une étoile", "journalistes", "presse", "trustpilot", "faux ", "contrefaçon", "porter plainte", "porte plainte", "escroqu",
	// es
	"abogado", "juicio", "juzgado", "tribunal", "policía", "policia", "omic ", "ocu ", "consumo", "contracargo", "retrocesión", "disputa", "mala reseña", "reseñas negativas", "una estrella", "prensa", "trustpilot", "falso", "falsificad", "estafador",
	// ja
	"弁護士", "法的", "裁判", "警察", "通報", "消費者庁", "チャージバック", "異議申し立て", "支払いを取り消", "カード会社", "星1", "マスコミ", "拡散", "晒", "偽物", "詐欺師",
	// ko
	"변호사", "소송", "경찰", "고소", "소비자원", "공정위", "이의 제기", "분쟁", "결제 취소 요청", "카드사", "별점 테러", "별 하나", "언론", "제보", "가품", "짝퉁", "사기꾼",
	// ar
	"محكمة", "الشرطة", "حماية المستهلك",
	// ru
	"юрист", "адвокат", "суд", "полици", "прокуратур", "роспотребнадзор", "чарджбэк", "оспор", "спор в", "гневн", "отзовик", "одной звезд", "сми ", "подделк", "кинул",
	// pt
	"procon", "reclame aqui", "processo", "polícia",
	// it
	"polizia", "tribunale", "chargeback",
}

// delay lists "still not here" phrases. They raise the score a little but
// are no evidence of anger on their own (most shoppers who write them are
// calm), so they are not part of Cues.
var delay = []string{
	// en
	"still not", "still haven", "still no ", "still nothing", "still waiting",
	// zh
	"还没到", "還沒到", "还没收到", "還沒收到", "还没发货", "還沒發貨", "还没退", "還沒退",
	// de
	"immer noch nicht", "immer noch kein", "noch immer nicht", "noch immer kein",
	// fr
	"toujours pas", "toujours rien", "toujours aucun",
	// es
	"todavía no", "todavia no", "aún no", "aun no", "sigo sin", "sigue sin",
	// ja
	"まだ届かない", "まだ届いて", "まだ返金",
	// ko
	"아직도", "아직 안",
	// ar
	"حتى الآن لم", "لم يصل",
	// ru
	"до сих пор не", "всё ещё не", "все еще не", "так и не",
	// pt
	"ainda não", "ainda nao",
	// it
	"ancora non", "non ancora",
}

// reassure lists what a calm shopper says to show they are not angry: "not
// a complaint", "no rush", "no worries". Its input can only lower the score.
var reassure = []string{
	// en
	"not a complaint", "not complaining", "not angry", "not mad", "no rush", "no hurry", "no worries", "no problem", "no stress", "not urgent", "no big deal", "all good", "it s fine", "take your time", "thank", "thx", "love it", "great job",
	// zh
	"不是投诉", "不是投訴", "不是生气", "不是生氣", "不急", "没事", "沒事", "没关系", "沒關係", "不着急", "不著急", "谢谢", "謝謝", "感谢", "感謝", "辛苦", "太棒", "喜欢", "喜歡",
	// de
	"keine beschwerde", "nicht sauer", "kein stress", "keine eile", "nicht schlimm", "kein problem", "alles gut", "nicht dringend", "danke", "super ",
	// fr
	"pas une réclamation", "pas une plainte", "pas fâché", "pas de souci", "pas de soucis", "pas grave", "pas de stress", "rien d urgent", "pas urgent", "merci", "ça va",
	// es
	"no es una queja", "no es queja", "no estoy enfadad", "sin prisa", "no hay prisa", "no pasa nada", "no es urgente", "gracias", "todo bien",
	// ja
	"クレームではな", "怒ってはいません", "怒っていません", "急ぎではな", "急ぎません", "大丈夫", "問題ない", "ありがと", "助かり",
	// ko
	"불만은 아니", "불만이 아니", "화난 건 아니", "급한 건 아니", "급하지 않", "급하진 않", "괜찮아", "괜찮습", "감사", "고마워", "고맙습",
	// ar
	"شكرا", "لا مشكلة",
	// ru
	"не жалоба", "не злюсь", "не спешу", "не срочно", "ничего страшного", "всё нормально", "все нормально", "всё в порядке", "спасибо",
	// pt
	"não é reclamação", "sem pressa", "obrigad", "tudo bem",
	// it
	"non è un reclamo", "nessuna fretta", "grazie", "tutto bene",
}
