package knowledge

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path"
	"strings"
	"unicode"

	"github.com/kefu-io/kefu/central/knowledge/ingest"
)

// Prepared is a file made ready for the store: parsed, derived and hashed.
type Prepared struct {
	ID      string
	Title   string
	Kind    string
	SHA     string
	Body    string
	Derived Derived
}

// DerivedJSON is Derived encoded for the store.
func (p *Prepared) DerivedJSON() []byte {
	b, _ := json.Marshal(p.Derived) // plain structs: cannot fail
	return b
}

// Prepare parses and derives one file. name is the file's path relative to
// what was ingested ("shipping/canary.md"); the document id is the front
// matter's id or name's slug ("shipping-canary").
func Prepare(name string, data []byte) (Prepared, error) {
	d, err := ingest.Parse(name, data)
	if err != nil {
		return Prepared{}, err
	}
	id := d.Meta["id"]
	if id == "" {
		id = DocID(name)
	}
	if id == "" {
		return Prepared{}, fmt.Errorf("%s: %w: no usable document id", name, ingest.ErrMalformed)
	}
	sum := sha256.Sum256(data)
	return Prepared{ID: id, Title: d.Title, Kind: d.Kind, SHA: hex.EncodeToString(sum[:]), Body: d.Text(), Derived: Derive(id, d)}, nil
}

// DocID makes a document id of a file path: lower-case letters, digits,
// CJK and dashes, without the extension.
func DocID(name string) string {
	name = strings.TrimSuffix(name, path.Ext(name))
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
			continue
		}
		dash = true
	}
	s := b.String()
	if len(s) > 160 {
		s = strings.ToValidUTF8(s[:160], "")
	}
	return s
}
