package ingest

import "strings"

// ParseText reads plain text: blank lines separate paragraphs; a short
// first line is the title; "Q:/A:" pairs become FAQ pairs.
func ParseText(data []byte) (Document, error) {
	text := strings.ReplaceAll(string(trimBOM(data)), "\r\n", "\n")
	d := Document{Kind: KindText}
	sec := Section{}
	for _, block := range strings.Split(text, "\n\n") {
		lines := strings.Split(strings.TrimSpace(block), "\n")
		if d.Title == "" && len(sec.Paragraphs) == 0 && len(lines) == 1 && len([]rune(lines[0])) <= 80 && strings.TrimSpace(lines[0]) != "" {
			d.Title = cleanText(lines[0])
			sec.Heading = d.Title
			continue
		}
		if p := cleanText(block); p != "" {
			sec.Paragraphs = append(sec.Paragraphs, p)
		}
	}
	d.FAQ = extractQA(&sec, "")
	d.Sections = []Section{sec}
	return d, nil
}
