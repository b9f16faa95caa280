package ingest

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf16"
)

// maxPDFStream caps the inflated bytes of one PDF stream, and
// maxPDFInflated of all streams together.
const (
	maxPDFStream   = 8 << 20
	maxPDFInflated = 64 << 20
)

// ParsePDF extracts the text of a PDF: every content stream (raw or
// FlateDecode) is scanned for the text-showing operators Tj, TJ, ' and ",
// with line breaks at Td/TD/T*/Tm/ET. Strings are decoded as UTF-16 when
// they start with a byte-order mark, through the file's ToUnicode CMaps
// (bfchar/bfrange; merged across fonts) for hex strings when the file has
// any, and as Latin-1 otherwise. Encrypted PDFs, object streams holding
// the content, and fonts without ToUnicode maps yield no or garbled text:
// the caller gets ErrEmpty rather than a guess.
func ParsePDF(data []byte) (Document, error) {
	if !bytes.HasPrefix(bytes.TrimLeft(data, "\x00\t\r\n "), []byte("%PDF-")) {
		return Document{}, fmt.Errorf("%w: no %%PDF- header", ErrMalformed)
	}
	if bytes.Contains(data, []byte("/Encrypt")) {
		return Document{}, fmt.Errorf("%w: encrypted PDF", ErrUnsupported)
	}
	streams, err := pdfStreams(data)
	if err != nil {
		return Document{}, err
	}
	cmap := map[uint32]string{}
	for _, s := range streams {
		if bytes.Contains(s, []byte("beginbfchar")) || bytes.Contains(s, []byte("beginbfrange")) {
			parseCMap(s, cmap)
		}
	}
	var text strings.Builder
	for _, s := range streams {
		if bytes.Contains(s, []byte("begincmap")) {
			continue
		}
		pdfText(s, cmap, &text)
	}
	d := Document{Kind: KindPDF}
	sec := Section{}
	var para []string
	flush := func() {
		if p := cleanText(strings.Join(para, " ")); p != "" {
			sec.Paragraphs = append(sec.Paragraphs, p)
		}
		para = nil
	}
	for _, l := range strings.Split(text.String(), "\n") {
		l = strings.TrimSpace(l)
		if l == "" {
			flush()
			continue
		}
		if d.Title == "" {
			d.Title = cleanText(l)
			sec.Heading = d.Title
			continue
		}
		para = append(para, l)
		if strings.HasSuffix(l, ".") || strings.HasSuffix(l, "。") || strings.HasSuffix(l, "?") || strings.HasSuffix(l, "？") {
			flush()
		}
	}
	flush()
	d.FAQ = extractQA(&sec, "")
	d.Sections = []Section{sec}
	return d, nil
}

// pdfStreams returns the (inflated) bytes of every stream object.
func pdfStreams(data []byte) ([][]byte, error) {
	var out [][]byte
	total := 0
	for off := 0; ; {
		i := bytes.Index(data[off:], []byte("stream"))
		if i < 0 {
			break
		}
		start := off + i + len("stream")
		if off+i >= 3 && string(data[off+i-3:off+i]) == "end" {
			off = start
			continue
		}
		switch {
		case bytes.HasPrefix(data[start:], []byte("\r\n")):
			start += 2
		case bytes.HasPrefix(data[start:], []byte("\n")), bytes.HasPrefix(data[start:], []byte("\r")):
			start++
		default:
			off = start
			continue
		}
		end := bytes.Index(data[start:], []byte("endstream"))
		if end < 0 {
			return nil, fmt.Errorf("%w: stream without endstream", ErrMalformed)
		}
		body := data[start : start+end]
		dictStart := bytes.LastIndex(data[:off+i], []byte("obj"))
		dict := data[max(dictStart, 0) : off+i]
		off = start + end + len("endstream")
		if bytes.Contains(dict, []byte("/Subtype/Image")) || bytes.Contains(dict, []byte("/Subtype /Image")) ||
			bytes.Contains(dict, []byte("/Length1")) || bytes.Contains(dict, []byte("/FontFile")) {
			continue // images and embedded fonts hold no text
		}
		if bytes.Contains(dict, []byte("/FlateDecode")) {
			zr, err := zlib.NewReader(bytes.NewReader(body))
			if err != nil {
				continue // a damaged stream loses its own text only
			}
			b, err := io.ReadAll(io.LimitReader(zr, maxPDFStream+1))
			zr.Close()
			if len(b) > maxPDFStream {
				return nil, fmt.Errorf("%w: a PDF stream inflates over %d bytes", ErrTooLarge, maxPDFStream)
			}
			if err != nil && len(b) == 0 {
				continue
			}
			body = b
		} else if bytes.Contains(dict, []byte("/Filter")) {
			continue // other filters (DCT, LZW…) are not text we read
		}
		total += len(body)
		if total > maxPDFInflated {
			return nil, fmt.Errorf("%w: PDF streams inflate over %d bytes", ErrTooLarge, maxPDFInflated)
		}
		out = append(out, body)
	}
	return out, nil
}

// pdfLexer tokenizes PDF content and CMap streams.
type pdfLexer struct {
	b []byte
	i int
}

// token kinds
const (
	tokEOF = iota
	tokNum
	tokStr // literal string (decoded bytes)
	tokHex // hex string (decoded bytes)
	tokName
	tokOp
	tokArrOpen
	tokArrClose
)

func (l *pdfLexer) next() (kind int, val []byte) {
	b := l.b
	for l.i < len(b) {
		c := b[l.i]
		switch {
		case c == '%':
			for l.i < len(b) && b[l.i] != '\n' && b[l.i] != '\r' {
				l.i++
			}
		case c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == 0:
			l.i++
		case c == '(':
			l.i++
			var out []byte
			depth := 1
			for l.i < len(b) {
				c := b[l.i]
				l.i++
				switch c {
				case '\\':
					if l.i >= len(b) {
						return tokStr, out
					}
					e := b[l.i]
					l.i++
					switch e {
					case 'n':
						out = append(out, '\n')
					case 'r':
						out = append(out, '\r')
					case 't':
						out = append(out, '\t')
					case 'b', 'f':
					case '\r', '\n':
					default:
						if e >= '0' && e <= '7' {
							v := int(e - '0')
							for k := 0; k < 2 && l.i < len(b) && b[l.i] >= '0' && b[l.i] <= '7'; k++ {
								v = v*8 + int(b[l.i]-'0')
								l.i++
							}
							out = append(out, byte(v))
						} else {
							out = append(out, e)
						}
					}
				case '(':
					depth++
					out = append(out, c)
				case ')':
					depth--
					if depth == 0 {
						return tokStr, out
					}
					out = append(out, c)
				default:
					out = append(out, c)
				}
			}
			return tokStr, out
		case c == '<' && l.i+1 < len(b) && b[l.i+1] == '<', c == '>' && l.i+1 < len(b) && b[l.i+1] == '>':
			l.i += 2
			return tokOp, b[l.i-2 : l.i]
		case c == '<':
			l.i++
			var out []byte
			hi := -1
			for l.i < len(b) && b[l.i] != '>' {
				if v, ok := hexVal(b[l.i]); ok {
					if hi < 0 {
						hi = v
					} else {
						out = append(out, byte(hi<<4|v))
						hi = -1
					}
				}
				l.i++
			}
			if hi >= 0 {
				out = append(out, byte(hi<<4))
			}
			l.i++
			return tokHex, out
		case c == '[':
			l.i++
			return tokArrOpen, nil
		case c == ']':
			l.i++
			return tokArrClose, nil
		case c == '/':
			s := l.i
			l.i++
			for l.i < len(b) && !pdfDelim(b[l.i]) {
				l.i++
			}
			return tokName, b[s:l.i]
		default:
			s := l.i
			l.i++
			for l.i < len(b) && !pdfDelim(b[l.i]) {
				l.i++
			}
			w := b[s:l.i]
			if (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' {
				return tokNum, w
			}
			return tokOp, w
		}
	}
	return tokEOF, nil
}

func pdfDelim(c byte) bool {
	return strings.IndexByte(" \t\r\n\f\x00()<>[]{}/%", c) >= 0
}

func hexVal(c byte) (int, bool) {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0'), true
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10, true
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10, true
	}
	return 0, false
}

// pdfText appends the text shown by a content stream to w.
func pdfText(s []byte, cmap map[uint32]string, w *strings.Builder) {
	l := &pdfLexer{b: s}
	var operands [][]byte
	var kinds []int
	var arr []struct {
		kind int
		v    []byte
	}
	inArr := false
	for steps := 0; steps < 10_000_000; steps++ {
		kind, v := l.next()
		switch kind {
		case tokEOF:
			return
		case tokArrOpen:
			inArr, arr = true, arr[:0]
			continue
		case tokArrClose:
			inArr = false
			continue
		case tokOp:
		default:
			if inArr {
				arr = append(arr, struct {
					kind int
					v    []byte
				}{kind, v})
			} else {
				operands = append(operands, v)
				kinds = append(kinds, kind)
			}
			continue
		}
		switch string(v) {
		case "Tj", "'", `"`:
			if string(v) != "Tj" {
				w.WriteByte('\n')
			}
			if n := len(operands); n > 0 && (kinds[n-1] == tokStr || kinds[n-1] == tokHex) {
				w.WriteString(decodePDFString(operands[n-1], kinds[n-1] == tokHex, cmap))
			}
		case "TJ":
			for _, a := range arr {
				switch a.kind {
				case tokStr, tokHex:
					w.WriteString(decodePDFString(a.v, a.kind == tokHex, cmap))
				case tokNum:
					if f, err := strconv.ParseFloat(string(a.v), 64); err == nil && f < -200 {
						w.WriteByte(' ')
					}
				}
			}
			arr = arr[:0]
		case "Td", "TD":
			if n := len(operands); n >= 1 {
				if f, err := strconv.ParseFloat(string(operands[n-1]), 64); err == nil && f != 0 {
					w.WriteByte('\n')
				} else {
					w.WriteByte(' ')
				}
			}
		case "T*", "Tm":
			w.WriteByte('\n')
		case "ET":
			w.WriteString("\n")
		case "BT":
		}
		operands, kinds = operands[:0], kinds[:0]
	}
}

func decodePDFString(b []byte, hex bool, cmap map[uint32]string) string {
	if len(b) >= 2 && b[0] == 0xfe && b[1] == 0xff {
		u := make([]uint16, 0, len(b)/2)
		for i := 2; i+1 < len(b); i += 2 {
			u = append(u, uint16(b[i])<<8|uint16(b[i+1]))
		}
		return string(utf16.Decode(u))
	}
	if hex && len(cmap) > 0 {
		var sb strings.Builder
		for i := 0; i+1 < len(b); i += 2 {
			code := uint32(b[i])<<8 | uint32(b[i+1])
			if s, ok := cmap[code]; ok {
				sb.WriteString(s)
			}
		}
		return sb.String()
	}
	r := make([]rune, len(b))
	for i, c := range b {
		r[i] = rune(c)
	}
	return string(r)
}

// parseCMap adds a ToUnicode CMap's bfchar and bfrange mappings to m.
func parseCMap(s []byte, m map[uint32]string) {
	l := &pdfLexer{b: s}
	var ops [][]byte
	var kinds []int
	mode := ""
	var arr [][]byte
	inArr := false
	code := func(b []byte) uint32 {
		var v uint32
		for _, c := range b {
			v = v<<8 | uint32(c)
		}
		return v
	}
	uni := func(b []byte) string {
		u := make([]uint16, 0, len(b)/2)
		for i := 0; i+1 < len(b); i += 2 {
			u = append(u, uint16(b[i])<<8|uint16(b[i+1]))
		}
		return string(utf16.Decode(u))
	}
	for steps := 0; steps < 2_000_000 && len(m) < 1<<17; steps++ {
		kind, v := l.next()
		if kind == tokEOF {
			return
		}
		switch kind {
		case tokArrOpen:
			inArr, arr = true, nil
			continue
		case tokArrClose:
			inArr = false
			ops, kinds = append(ops, nil), append(kinds, tokArrClose)
		case tokOp:
			switch string(v) {
			case "beginbfchar", "beginbfrange":
				mode = string(v)
			case "endbfchar", "endbfrange":
				mode = ""
			}
			ops, kinds = ops[:0], kinds[:0]
			continue
		case tokHex:
			if inArr {
				arr = append(arr, v)
				continue
			}
			ops, kinds = append(ops, v), append(kinds, kind)
		default:
			continue
		}
		switch mode {
		case "beginbfchar":
			if len(ops) == 2 {
				m[code(ops[0])] = uni(ops[1])
				ops, kinds = ops[:0], kinds[:0]
			}
		case "beginbfrange":
			if len(ops) == 3 {
				lo, hi := code(ops[0]), code(ops[1])
				if hi >= lo && hi-lo < 1<<16 {
					if kinds[2] == tokArrClose {
						for i, d := range arr {
							if lo+uint32(i) > hi {
								break
							}
							m[lo+uint32(i)] = uni(d)
						}
					} else if len(ops[2]) >= 2 {
						base := []rune(uni(ops[2]))
						if len(base) > 0 {
							for c := lo; c <= hi; c++ {
								r := append([]rune{}, base...)
								r[len(r)-1] += rune(c - lo)
								m[c] = string(r)
							}
						}
					}
				}
				ops, kinds = ops[:0], kinds[:0]
			}
		default:
			ops, kinds = ops[:0], kinds[:0]
		}
	}
}
