package ingest

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// FAQ sheet column names (the header row), in English and Chinese.
var faqColumns = map[string]string{
	"question": "question", "q": "question", "问题": "question", "問題": "question",
	"answer": "answer", "a": "answer", "答案": "answer", "回答": "answer",
	"topic": "topic", "category": "topic", "主题": "topic", "分类": "topic",
	"language": "language", "lang": "language", "语言": "language",
}

// maxXLSXBytes caps the uncompressed bytes read from an XLSX zip (a zip
// bomb is refused, not expanded).
const maxXLSXBytes = 64 << 20

// ParseFAQCSV reads a FAQ sheet as CSV (comma, or semicolon/tab when the
// header says so): a header row naming at least question and answer,
// optionally topic and language.
func ParseFAQCSV(data []byte) (Document, error) {
	data = trimBOM(data)
	first, _, _ := bytes.Cut(data, []byte("\n"))
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	switch {
	case bytes.Count(first, []byte("\t")) > bytes.Count(first, []byte(",")):
		r.Comma = '\t'
	case bytes.Count(first, []byte(";")) > bytes.Count(first, []byte(",")):
		r.Comma = ';'
	}
	rows, err := r.ReadAll()
	if err != nil {
		return Document{}, fmt.Errorf("%w: CSV: %w", ErrMalformed, err)
	}
	return faqFromRows(rows)
}

// ReadCSV reads every record of a CSV file (for the catalogue import).
func ReadCSV(data []byte) ([][]string, error) {
	r := csv.NewReader(bytes.NewReader(trimBOM(data)))
	r.FieldsPerRecord = -1
	rows, err := r.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%w: CSV: %w", ErrMalformed, err)
	}
	return rows, nil
}

func faqFromRows(rows [][]string) (Document, error) {
	if len(rows) == 0 {
		return Document{}, fmt.Errorf("%w: FAQ sheet has no header row", ErrMalformed)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		if name, ok := faqColumns[strings.ToLower(strings.TrimSpace(h))]; ok {
			if _, dup := col[name]; !dup {
				col[name] = i
			}
		}
	}
	if _, ok := col["question"]; !ok {
		return Document{}, fmt.Errorf("%w: FAQ sheet header %q lacks a question column", ErrMalformed, rows[0])
	}
	if _, ok := col["answer"]; !ok {
		return Document{}, fmt.Errorf("%w: FAQ sheet header %q lacks an answer column", ErrMalformed, rows[0])
	}
	get := func(r []string, name string) string {
		i, ok := col[name]
		if !ok || i >= len(r) {
			return ""
		}
		return cleanText(r[i])
	}
	d := Document{Kind: KindFAQ}
	for n, r := range rows[1:] {
		q, a := get(r, "question"), get(r, "answer")
		if q == "" && a == "" {
			continue
		}
		if q == "" || a == "" {
			return Document{}, fmt.Errorf("%w: FAQ sheet row %d has a question without an answer or the reverse", ErrMalformed, n+2)
		}
		d.FAQ = append(d.FAQ, FAQPair{Question: q, Answer: a, Topic: get(r, "topic"), Lang: strings.ToLower(get(r, "language"))})
	}
	return d, nil
}

// ParseFAQXLSX reads the first worksheet of an XLSX workbook (a zip of
// XML parts: xl/sharedStrings.xml and xl/worksheets/sheet1.xml, or the
// first sheet the workbook lists) as a FAQ sheet.
func ParseFAQXLSX(data []byte) (Document, error) {
	rows, err := ReadXLSX(data)
	if err != nil {
		return Document{}, err
	}
	return faqFromRows(rows)
}

// ReadXLSX returns the cells of the first worksheet, row by row.
func ReadXLSX(data []byte) ([][]string, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, fmt.Errorf("%w: XLSX is not a zip: %w", ErrMalformed, err)
	}
	budget := int64(maxXLSXBytes)
	read := func(name string) ([]byte, error) {
		for _, f := range zr.File {
			if f.Name != name {
				continue
			}
			rc, err := f.Open()
			if err != nil {
				return nil, fmt.Errorf("%w: XLSX part %s: %w", ErrMalformed, name, err)
			}
			defer rc.Close()
			b, err := io.ReadAll(io.LimitReader(rc, budget+1))
			if err != nil {
				return nil, fmt.Errorf("%w: XLSX part %s: %w", ErrMalformed, name, err)
			}
			if int64(len(b)) > budget {
				return nil, fmt.Errorf("%w: XLSX expands over %d bytes", ErrTooLarge, maxXLSXBytes)
			}
			budget -= int64(len(b))
			return b, nil
		}
		return nil, nil
	}
	var shared []string
	if b, err := read("xl/sharedStrings.xml"); err != nil {
		return nil, err
	} else if b != nil {
		var sst struct {
			SI []struct {
				T string `xml:"t"`
				R []struct {
					T string `xml:"t"`
				} `xml:"r"`
			} `xml:"si"`
		}
		if err := xml.Unmarshal(b, &sst); err != nil {
			return nil, fmt.Errorf("%w: XLSX shared strings: %w", ErrMalformed, err)
		}
		for _, si := range sst.SI {
			s := si.T
			for _, r := range si.R {
				s += r.T
			}
			shared = append(shared, s)
		}
	}
	sheet, err := read("xl/worksheets/sheet1.xml")
	if err != nil {
		return nil, err
	}
	if sheet == nil {
		for _, f := range zr.File {
			if strings.HasPrefix(f.Name, "xl/worksheets/") && strings.HasSuffix(f.Name, ".xml") {
				if sheet, err = read(f.Name); err != nil {
					return nil, err
				}
				break
			}
		}
	}
	if sheet == nil {
		return nil, fmt.Errorf("%w: XLSX has no worksheet", ErrMalformed)
	}
	var ws struct {
		Rows []struct {
			C []struct {
				R  string `xml:"r,attr"`
				T  string `xml:"t,attr"`
				V  string `xml:"v"`
				IS struct {
					T string `xml:"t"`
				} `xml:"is"`
			} `xml:"c"`
		} `xml:"sheetData>row"`
	}
	if err := xml.Unmarshal(sheet, &ws); err != nil {
		return nil, fmt.Errorf("%w: XLSX worksheet: %w", ErrMalformed, err)
	}
	var out [][]string
	for _, r := range ws.Rows {
		var row []string
		for i, c := range r.C {
			col := i
			if c.R != "" {
				if n, ok := colIndex(c.R); ok {
					col = n
				}
			}
			if col > 1000 {
				return nil, fmt.Errorf("%w: XLSX cell %q beyond column 1000", ErrMalformed, c.R)
			}
			for len(row) <= col {
				row = append(row, "")
			}
			v := c.V
			switch c.T {
			case "s":
				n, err := strconv.Atoi(strings.TrimSpace(c.V))
				if err != nil || n < 0 || n >= len(shared) {
					return nil, fmt.Errorf("%w: XLSX cell %s: shared string %q out of range", ErrMalformed, c.R, c.V)
				}
				v = shared[n]
			case "inlineStr":
				v = c.IS.T
			}
			row[col] = v
		}
		out = append(out, row)
	}
	return out, nil
}

// colIndex returns the zero-based column of a cell reference like "C12".
func colIndex(ref string) (int, bool) {
	n := 0
	i := 0
	for ; i < len(ref) && ref[i] >= 'A' && ref[i] <= 'Z'; i++ {
		n = n*26 + int(ref[i]-'A'+1)
		if n > 1<<20 {
			return 0, false
		}
	}
	if i == 0 {
		return 0, false
	}
	return n - 1, true
}
