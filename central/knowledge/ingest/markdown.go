package ingest

import (
	"regexp"
	"strings"
)

var (
	mdLink   = regexp.MustCompile(`!?\[([^\]]*)\]\([^)]*\)`)
	mdEmph   = regexp.MustCompile("(\\*\\*|__|\\*|`|~~)")
	mdList   = regexp.MustCompile(`^\s*([-*+]|\d+[.)])\s+`)
	mdTblSep = regexp.MustCompile(`^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$`)
)

// ParseMarkdown reads Markdown: optional front matter (key: value lines
// between --- lines), ATX headings (#…######) starting sections,
// paragraphs (list items are one paragraph each), pipe tables, and
// "Q:/A:" pairs. Inline markup is dropped, link texts kept.
func ParseMarkdown(data []byte) (Document, error) {
	text := strings.ReplaceAll(string(trimBOM(data)), "\r\n", "\n")
	d := Document{Kind: KindMarkdown, Meta: map[string]string{}}
	lines := strings.Split(text, "\n")
	if len(lines) > 0 && strings.TrimSpace(lines[0]) == "---" {
		for i := 1; i < len(lines); i++ {
			l := strings.TrimSpace(lines[i])
			if l == "---" {
				lines = lines[i+1:]
				break
			}
			if k, v, ok := strings.Cut(l, ":"); ok {
				d.Meta[strings.ToLower(strings.TrimSpace(k))] = strings.Trim(strings.TrimSpace(v), `"'`)
			}
			if i == len(lines)-1 { // no closing ---: not front matter
				d.Meta = map[string]string{}
			}
		}
	}
	d.Title = d.Meta["title"]
	cur := &Section{}
	var para []string
	var tbl *Table
	inCode := false
	flushPara := func() {
		if len(para) > 0 {
			if p := cleanText(strings.Join(para, " ")); p != "" {
				cur.Paragraphs = append(cur.Paragraphs, p)
			}
			para = nil
		}
	}
	flushTable := func() {
		if tbl != nil {
			if len(tbl.Rows) > 0 || len(tbl.Header) > 0 {
				cur.Tables = append(cur.Tables, *tbl)
			}
			tbl = nil
		}
	}
	var secs []Section
	for _, raw := range lines {
		l := strings.TrimRight(raw, " \t")
		trim := strings.TrimSpace(l)
		if strings.HasPrefix(trim, "```") || strings.HasPrefix(trim, "~~~") {
			inCode = !inCode
			continue
		}
		if inCode {
			continue
		}
		if strings.HasPrefix(trim, "|") {
			flushPara()
			if mdTblSep.MatchString(trim) {
				continue
			}
			cells := splitRow(trim)
			if tbl == nil {
				tbl = &Table{Header: cells}
			} else {
				tbl.Rows = append(tbl.Rows, cells)
			}
			continue
		}
		flushTable()
		if h, ok := heading(trim); ok {
			flushPara()
			if cur.Heading != "" || len(cur.Paragraphs) > 0 || len(cur.Tables) > 0 {
				secs = append(secs, *cur)
			}
			cur = &Section{Heading: h}
			if d.Title == "" {
				d.Title = h
			}
			continue
		}
		if trim == "" || trim == "---" || trim == "***" {
			flushPara()
			continue
		}
		if mdList.MatchString(l) {
			flushPara()
			trim = mdList.ReplaceAllString(l, "")
		}
		if strings.HasPrefix(trim, ">") {
			trim = strings.TrimSpace(strings.TrimLeft(trim, ">"))
		}
		para = append(para, inline(trim))
	}
	flushPara()
	flushTable()
	secs = append(secs, *cur)
	for i := range secs {
		d.FAQ = append(d.FAQ, extractQA(&secs[i], d.Meta["topic"])...)
		if secs[i].Heading != "" || len(secs[i].Paragraphs) > 0 || len(secs[i].Tables) > 0 {
			d.Sections = append(d.Sections, secs[i])
		}
	}
	return d, nil
}

func heading(l string) (string, bool) {
	n := 0
	for n < len(l) && n < 7 && l[n] == '#' {
		n++
	}
	if n == 0 || n > 6 || (len(l) > n && l[n] != ' ') {
		return "", false
	}
	return cleanText(inline(strings.TrimRight(strings.TrimSpace(l[n:]), "#"))), true
}

func inline(s string) string {
	s = mdLink.ReplaceAllString(s, "$1")
	return mdEmph.ReplaceAllString(s, "")
}

func splitRow(l string) []string {
	l = strings.TrimSpace(l)
	l = strings.TrimPrefix(l, "|")
	l = strings.TrimSuffix(l, "|")
	parts := strings.Split(l, "|")
	out := make([]string, len(parts))
	for i, p := range parts {
		out[i] = cleanText(inline(p))
	}
	return out
}
