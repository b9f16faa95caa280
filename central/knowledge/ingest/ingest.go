// Package ingest turns merchant files into plain structured documents:
// Markdown, HTML, plain text, FAQ sheets (CSV and XLSX with the columns
// question, answer, topic, language) and the text of PDF files.
//
// Every parser is written for untrusted input: sizes are capped
// (MaxFileBytes, and for the zip of an XLSX file the uncompressed bytes
// too), malformed input is a clear error wrapping ErrMalformed, and the
// parsers are fuzzed (FuzzParse). The parsers are pure Go and small; they
// read what a help-centre document needs (headings, paragraphs, lists,
// tables, sheets' cells, PDF text operators) and ignore the rest (images,
// styles, scripts, fonts).
//
// What a document means — passages, FAQ pairs, facts — is derived by
// package knowledge from the Document this package returns.
package ingest

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxFileBytes is the largest file Parse accepts.
const MaxFileBytes = 16 << 20

// Sentinel errors.
var (
	ErrUnsupported = errors.New("ingest: unsupported file type")
	ErrMalformed   = errors.New("ingest: malformed file")
	ErrTooLarge    = errors.New("ingest: file too large")
	ErrEmpty       = errors.New("ingest: no text in file")
)

// Kinds of documents.
const (
	KindMarkdown = "markdown"
	KindHTML     = "html"
	KindText     = "text"
	KindPDF      = "pdf"
	KindFAQ      = "faq"
)

// Document is a parsed file.
type Document struct {
	// Title is the front matter's title, the first heading, the HTML
	// <title>, or the file name.
	Title string
	Kind  string
	// Meta is the Markdown front matter (key: value lines between ---).
	Meta     map[string]string
	Sections []Section
	// FAQ holds the rows of a FAQ sheet and the question/answer pairs
	// written in a document ("Q: … A: …", "问：… 答：…").
	FAQ []FAQPair
}

// Section is a heading with its paragraphs and tables.
type Section struct {
	Heading    string
	Paragraphs []string
	Tables     []Table
}

// Table is a table's header row and body rows (cells trimmed).
type Table struct {
	Header []string
	Rows   [][]string
}

// FAQPair is a question and its answer.
type FAQPair struct {
	Question string
	Answer   string
	Topic    string
	Lang     string
}

// KindOf returns the kind of a file by its name's extension, or "".
func KindOf(name string) string {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".md", ".markdown":
		return KindMarkdown
	case ".html", ".htm":
		return KindHTML
	case ".txt", ".text":
		return KindText
	case ".pdf":
		return KindPDF
	case ".csv", ".xlsx":
		return KindFAQ
	}
	return ""
}

// Parse parses a file by its name's extension.
func Parse(name string, data []byte) (Document, error) {
	if len(data) > MaxFileBytes {
		return Document{}, fmt.Errorf("%w: %s is %d bytes, limit %d", ErrTooLarge, name, len(data), MaxFileBytes)
	}
	var (
		d   Document
		err error
	)
	ext := strings.ToLower(filepath.Ext(name))
	switch ext {
	case ".md", ".markdown":
		d, err = ParseMarkdown(data)
	case ".html", ".htm":
		d, err = ParseHTML(data)
	case ".txt", ".text":
		d, err = ParseText(data)
	case ".pdf":
		d, err = ParsePDF(data)
	case ".csv":
		d, err = ParseFAQCSV(data)
	case ".xlsx":
		d, err = ParseFAQXLSX(data)
	default:
		return Document{}, fmt.Errorf("%w: %q (want .md .html .txt .pdf .csv .xlsx)", ErrUnsupported, ext)
	}
	if err != nil {
		return Document{}, fmt.Errorf("%s: %w", name, err)
	}
	if d.Title == "" {
		base := filepath.Base(name)
		d.Title = strings.TrimSuffix(base, filepath.Ext(base))
	}
	if d.empty() {
		return Document{}, fmt.Errorf("%s: %w", name, ErrEmpty)
	}
	return d, nil
}

func (d *Document) empty() bool {
	if len(d.FAQ) > 0 {
		return false
	}
	for _, s := range d.Sections {
		if len(s.Paragraphs) > 0 || len(s.Tables) > 0 {
			return false
		}
	}
	return true
}

// Text is the document's plain text: headings, paragraphs and table rows.
func (d *Document) Text() string {
	var b strings.Builder
	for _, s := range d.Sections {
		if s.Heading != "" {
			b.WriteString(s.Heading)
			b.WriteString("\n\n")
		}
		for _, p := range s.Paragraphs {
			b.WriteString(p)
			b.WriteString("\n\n")
		}
		for _, t := range s.Tables {
			b.WriteString(strings.Join(t.Header, " | "))
			b.WriteByte('\n')
			for _, r := range t.Rows {
				b.WriteString(strings.Join(r, " | "))
				b.WriteByte('\n')
			}
			b.WriteByte('\n')
		}
	}
	for _, f := range d.FAQ {
		b.WriteString("Q: " + f.Question + "\nA: " + f.Answer + "\n\n")
	}
	return strings.TrimSpace(b.String())
}

// cleanText makes text valid UTF-8 without control characters and with
// single spaces.
func cleanText(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	var b strings.Builder
	space := false
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) || r == '\u00a0' {
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// qaPrefixes start a question or an answer line inside a document.
var (
	qPrefixes = []string{"Q:", "Q：", "问：", "问:", "問：", "Question:"}
	aPrefixes = []string{"A:", "A：", "答：", "答:", "Answer:"}
)

func cutPrefixAny(s string, ps []string) (string, bool) {
	for _, p := range ps {
		if rest, ok := strings.CutPrefix(s, p); ok {
			return strings.TrimSpace(rest), true
		}
	}
	return s, false
}

// extractQA moves "Q: … / A: …" paragraph pairs of a section into pairs.
func extractQA(sec *Section, topic string) []FAQPair {
	var out []FAQPair
	var keep []string
	for i := 0; i < len(sec.Paragraphs); i++ {
		q, isQ := cutPrefixAny(sec.Paragraphs[i], qPrefixes)
		if isQ {
			// "Q: … A: …" on one line.
			for _, ap := range aPrefixes {
				if j := strings.Index(q, " "+ap); j > 0 {
					out = append(out, FAQPair{Question: strings.TrimSpace(q[:j]), Answer: strings.TrimSpace(q[j+1+len(ap):]), Topic: topic})
					isQ = false
					break
				}
			}
			if !isQ {
				keep = append(keep, sec.Paragraphs[i])
				continue
			}
			if i+1 < len(sec.Paragraphs) {
				if a, isA := cutPrefixAny(sec.Paragraphs[i+1], aPrefixes); isA && q != "" && a != "" {
					out = append(out, FAQPair{Question: q, Answer: a, Topic: topic})
					keep = append(keep, q+" "+a)
					i++
					continue
				}
			}
		}
		keep = append(keep, sec.Paragraphs[i])
	}
	sec.Paragraphs = keep
	return out
}

// trimBOM drops a UTF-8 byte order mark.
func trimBOM(b []byte) []byte { return bytes.TrimPrefix(b, []byte("\xef\xbb\xbf")) }
