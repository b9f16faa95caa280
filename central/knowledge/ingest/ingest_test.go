package ingest

import (
	"archive/zip"
	"bytes"
	"compress/zlib"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestParseMarkdown(t *testing.T) {
	src := "---\ntitle: Returns\ntopics: returns, exchange\n---\n# Returns policy\n\nYou can return **unworn** items within [30 days](https://x).\n\n- tags attached\n- original box\n\n## Fees\n\n| Destination | Fee |\n|---|---|\n| Canary Islands / 加那利群岛 | $6 |\n\nQ: Is return shipping free?\nA: Yes, with the prepaid label.\n\n```\ncode is skipped\n```\n"
	d, err := Parse("returns.md", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if d.Title != "Returns" || d.Meta["topics"] != "returns, exchange" {
		t.Errorf("title/meta: %q %v", d.Title, d.Meta)
	}
	if len(d.Sections) != 2 || d.Sections[0].Paragraphs[0] != "You can return unworn items within 30 days." || len(d.Sections[0].Paragraphs) != 3 {
		t.Errorf("section 0: %+v", d.Sections)
	}
	tb := d.Sections[1].Tables
	if len(tb) != 1 || tb[0].Header[0] != "Destination" || tb[0].Rows[0][0] != "Canary Islands / 加那利群岛" {
		t.Errorf("table: %+v", tb)
	}
	if len(d.FAQ) != 1 || d.FAQ[0].Question != "Is return shipping free?" || d.FAQ[0].Answer != "Yes, with the prepaid label." {
		t.Errorf("faq: %+v", d.FAQ)
	}
	if strings.Contains(d.Text(), "code is skipped") {
		t.Error("code block kept")
	}
}

func TestParseHTML(t *testing.T) {
	src := `<html><head><title>Warranty</title><style>p{}</style><script>var x="<p>no</p>"</script></head><body>
<nav>Home | Shop</nav><h1>Warranty by product line</h1><p>Electronics:<br>2 years.</p>
<table><tr><th>Product line</th><th>Warranty</th></tr><tr><td>Headphones</td><td>2 years</td></tr></table>
<h2>Claims</h2><ul><li>Keep the receipt</li><li>Contact us</li></ul></body></html>`
	d, err := Parse("w.html", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if d.Title != "Warranty" {
		t.Errorf("title %q", d.Title)
	}
	txt := d.Text()
	for _, want := range []string{"Electronics: 2 years.", "Headphones | 2 years", "Keep the receipt", "Claims"} {
		if !strings.Contains(txt, want) {
			t.Errorf("text lacks %q:\n%s", want, txt)
		}
	}
	for _, bad := range []string{"var x", "Home | Shop", "p{}"} {
		if strings.Contains(txt, bad) {
			t.Errorf("text holds %q", bad)
		}
	}
}

func TestParseText(t *testing.T) {
	d, err := Parse("a.txt", []byte("Invoices\n\nWe email a PDF invoice.\nIt is also in My Orders.\n\nQ: VAT invoice?\nA: Yes, add your VAT number."))
	if err != nil {
		t.Fatal(err)
	}
	if d.Title != "Invoices" || len(d.FAQ) != 1 || d.FAQ[0].Answer != "Yes, add your VAT number." {
		t.Errorf("%+v", d)
	}
}

func TestParseFAQSheets(t *testing.T) {
	csv := "\xef\xbb\xbfQuestion,Answer,Topic,Language\n\"Can I pay, later?\",\"Yes, with Klarna.\",payment,en\n可以开发票吗？,可以。,invoice,zh\n,,,\n"
	d, err := Parse("faq.csv", []byte(csv))
	if err != nil {
		t.Fatal(err)
	}
	if len(d.FAQ) != 2 || d.FAQ[0].Question != "Can I pay, later?" || d.FAQ[1].Lang != "zh" || d.FAQ[1].Topic != "invoice" {
		t.Errorf("csv: %+v", d.FAQ)
	}
	x := makeXLSX(t, [][]string{{"question", "answer", "topic", "language"}, {"Do you ship to Iceland?", "Yes, 5–8 days.", "shipping", "en"}})
	d, err = Parse("faq.xlsx", x)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.FAQ) != 1 || d.FAQ[0].Answer != "Yes, 5–8 days." {
		t.Errorf("xlsx: %+v", d.FAQ)
	}
}

func TestParsePDF(t *testing.T) {
	p := makePDF(t, []string{"Gift cards", "Gift cards never expire.", "They cannot be exchanged for cash."})
	d, err := Parse("g.pdf", p)
	if err != nil {
		t.Fatal(err)
	}
	if d.Title != "Gift cards" || !strings.Contains(d.Text(), "Gift cards never expire.") {
		t.Errorf("pdf: %q / %q", d.Title, d.Text())
	}
}

func TestBadInput(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		want error
	}{
		{"a.doc", []byte("x"), ErrUnsupported},
		{"a.md", []byte("\n\n   \n"), ErrEmpty},
		{"a.csv", []byte("foo,bar\n1,2\n"), ErrMalformed},
		{"a.csv", []byte("question,answer\nonly a question,\n"), ErrMalformed},
		{"a.csv", []byte("question,answer\n\"unterminated,x\n"), nil}, // LazyQuotes: kept as text
		{"a.xlsx", []byte("not a zip"), ErrMalformed},
		{"a.xlsx", makeZip(t, map[string]string{"xl/worksheets/sheet1.xml": `<worksheet><sheetData><row><c t="s"><v>7</v></c></row></sheetData></worksheet>`}), ErrMalformed},
		{"a.pdf", []byte("hello"), ErrMalformed},
		{"a.pdf", []byte("%PDF-1.4\n1 0 obj << /Length 5 >> stream\nabc"), ErrMalformed},
		{"a.pdf", []byte("%PDF-1.4\n/Encrypt 5 0 R"), ErrUnsupported},
		{"big.md", bytes.Repeat([]byte("a"), MaxFileBytes+1), ErrTooLarge},
	}
	for _, tt := range tests {
		_, err := Parse(tt.name, tt.data)
		if tt.want == nil {
			continue
		}
		if !errors.Is(err, tt.want) {
			t.Errorf("%s %.20q: got %v, want %v", tt.name, tt.data, err, tt.want)
		}
	}
}

// FuzzParse feeds every parser arbitrary bytes: it must return a document
// or an error, never panic or hang.
func FuzzParse(f *testing.F) {
	f.Add("a.md", []byte("# T\n\n| a | b |\n|--|--|\n| x | y |\nQ: q\nA: a"))
	f.Add("a.html", []byte("<h1>x</h1><table><tr><td>a</td></tr></table><p>Q: a? A: b</p>"))
	f.Add("a.csv", []byte("question,answer\nq,a\n"))
	f.Add("a.txt", []byte("T\n\nbody"))
	f.Add("a.pdf", []byte("%PDF-1.4\n1 0 obj<</Length 20>>stream\nBT (Hello) Tj [(a)-300(b)] TJ <00410042> Tj ET\nendstream\n2 0 obj<<>>stream\nbeginbfchar <0041> <4F60> endbfchar beginbfrange <0042> <0043> <597D> endbfrange\nendstream"))
	f.Add("a.xlsx", []byte("PK\x03\x04"))
	f.Fuzz(func(t *testing.T, name string, data []byte) {
		exts := []string{".md", ".html", ".txt", ".pdf", ".csv", ".xlsx"}
		ext := exts[len(name)%len(exts)]
		d, err := Parse("f"+ext, data)
		if err == nil {
			_ = d.Text()
		}
	})
}

func makeZip(t testing.TB, files map[string]string) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, body := range files {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(body))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// makeXLSX writes a minimal workbook with shared strings.
func makeXLSX(t testing.TB, rows [][]string) []byte {
	var sst, sheet strings.Builder
	n := 0
	sst.WriteString(`<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">`)
	sheet.WriteString(`<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`)
	for r, row := range rows {
		fmt.Fprintf(&sheet, `<row r="%d">`, r+1)
		for c, v := range row {
			fmt.Fprintf(&sst, `<si><t>%s</t></si>`, v)
			fmt.Fprintf(&sheet, `<c r="%c%d" t="s"><v>%d</v></c>`, 'A'+c, r+1, n)
			n++
		}
		sheet.WriteString(`</row>`)
	}
	sst.WriteString(`</sst>`)
	sheet.WriteString(`</sheetData></worksheet>`)
	return makeZip(t, map[string]string{"xl/sharedStrings.xml": sst.String(), "xl/worksheets/sheet1.xml": sheet.String()})
}

// makePDF writes a PDF whose one page shows lines with a FlateDecode content stream.
func makePDF(t testing.TB, lines []string) []byte {
	var content strings.Builder
	content.WriteString("BT /F1 12 Tf 72 720 Td\n")
	for i, l := range lines {
		if i > 0 {
			content.WriteString("0 -16 Td\n")
		}
		fmt.Fprintf(&content, "(%s) Tj\n", strings.NewReplacer("(", `\(`, ")", `\)`).Replace(l))
	}
	content.WriteString("ET\n")
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write([]byte(content.String()))
	zw.Close()
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n")
	b.WriteString("2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n")
	b.WriteString("3 0 obj << /Type /Page /Parent 2 0 R /Contents 4 0 R >> endobj\n")
	fmt.Fprintf(&b, "4 0 obj << /Length %d /Filter /FlateDecode >> stream\n", z.Len())
	b.Write(z.Bytes())
	b.WriteString("\nendstream endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
	return b.Bytes()
}
