package ingest

import (
	"bytes"
	"fmt"
	"strings"

	"golang.org/x/net/html"
)

// ParseHTML reads an HTML page with golang.org/x/net/html's tokenizer:
// <title>, h1–h6 start sections, p/li/dd/dt/blockquote and div text are
// paragraphs, tables become tables; script, style, nav, header, footer,
// noscript and template are skipped.
func ParseHTML(data []byte) (Document, error) {
	z := html.NewTokenizer(bytes.NewReader(data))
	d := Document{Kind: KindHTML}
	cur := &Section{}
	var secs []Section
	var buf strings.Builder
	skip := 0
	inTitle := false
	var tbl *Table
	var row []string
	inCell := false
	var cell strings.Builder
	flush := func() {
		if p := cleanText(buf.String()); p != "" {
			cur.Paragraphs = append(cur.Paragraphs, p)
		}
		buf.Reset()
	}
	for n := 0; ; n++ {
		if n > 2_000_000 {
			return Document{}, fmt.Errorf("%w: too many HTML tokens", ErrMalformed)
		}
		tt := z.Next()
		if tt == html.ErrorToken {
			break
		}
		tn, _ := z.TagName()
		tag := string(tn)
		switch tt {
		case html.StartTagToken, html.SelfClosingTagToken:
			switch tag {
			case "script", "style", "nav", "header", "footer", "noscript", "template", "svg":
				if tt == html.StartTagToken {
					skip++
				}
			case "title":
				inTitle = true
			case "h1", "h2", "h3", "h4", "h5", "h6":
				flush()
				if cur.Heading != "" || len(cur.Paragraphs) > 0 || len(cur.Tables) > 0 {
					secs = append(secs, *cur)
				}
				cur = &Section{}
			case "table":
				flush()
				tbl = &Table{}
			case "tr":
				row = nil
			case "td", "th":
				inCell = true
				cell.Reset()
			case "br":
				buf.WriteByte(' ')
			case "p", "li", "dd", "dt", "div", "blockquote", "section", "article":
				flush()
			}
		case html.EndTagToken:
			switch tag {
			case "script", "style", "nav", "header", "footer", "noscript", "template", "svg":
				if skip > 0 {
					skip--
				}
			case "title":
				inTitle = false
			case "h1", "h2", "h3", "h4", "h5", "h6":
				cur.Heading = cleanText(buf.String())
				buf.Reset()
				if d.Title == "" {
					d.Title = cur.Heading
				}
			case "td", "th":
				if inCell {
					row = append(row, cleanText(cell.String()))
				}
				inCell = false
			case "tr":
				if tbl != nil && len(row) > 0 {
					if tbl.Header == nil {
						tbl.Header = row
					} else {
						tbl.Rows = append(tbl.Rows, row)
					}
				}
				row = nil
			case "table":
				if tbl != nil && (len(tbl.Header) > 0 || len(tbl.Rows) > 0) {
					cur.Tables = append(cur.Tables, *tbl)
				}
				tbl = nil
			case "p", "li", "dd", "dt", "div", "blockquote", "section", "article":
				flush()
			}
		case html.TextToken:
			if skip > 0 {
				continue
			}
			t := string(z.Text())
			switch {
			case inTitle:
				d.Title = cleanText(t)
			case inCell:
				cell.WriteString(t)
				cell.WriteByte(' ')
			case tbl != nil:
			default:
				buf.WriteString(t)
			}
		}
	}
	flush()
	secs = append(secs, *cur)
	for i := range secs {
		d.FAQ = append(d.FAQ, extractQA(&secs[i], "")...)
		if secs[i].Heading != "" || len(secs[i].Paragraphs) > 0 || len(secs[i].Tables) > 0 {
			d.Sections = append(d.Sections, secs[i])
		}
	}
	return d, nil
}
