package chat

import (
	"crypto/rand"
	"encoding/binary"
	"sync"
	"time"
)

const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// IDLen is the length of ids made by NewID.
const IDLen = 26

var idMu sync.Mutex
var lastMs uint64
var lastRand [10]byte

// NewID returns a new time-sortable id: 48 bits of milliseconds then 80
// random bits, in Crockford base32 (the ULID layout). Ids made in the same
// millisecond by one process increase monotonically. Safe for concurrent use.
func NewID() string {
	return newIDAt(time.Now())
}

func newIDAt(t time.Time) string {
	ms := uint64(t.UnixMilli())
	idMu.Lock()
	var r [10]byte
	if ms <= lastMs {
		ms = lastMs
		r = lastRand
		for i := len(r) - 1; i >= 0; i-- {
			r[i]++
			if r[i] != 0 {
				break
			}
		}
	} else {
		_, _ = rand.Read(r[:])
	}
	lastMs, lastRand = ms, r
	idMu.Unlock()
	var b [16]byte
	binary.BigEndian.PutUint16(b[0:2], uint16(ms>>32))
	binary.BigEndian.PutUint32(b[2:6], uint32(ms))
	copy(b[6:], r[:])
	return encode(b)
}

func encode(b [16]byte) string {
	// 128 bits → 26 chars; the first char carries the top 3 bits.
	hi := binary.BigEndian.Uint64(b[0:8])
	lo := binary.BigEndian.Uint64(b[8:16])
	var out [IDLen]byte
	for i := IDLen - 1; i >= 0; i-- {
		out[i] = crockford[lo&31]
		lo = lo>>5 | hi<<59
		hi >>= 5
	}
	return string(out[:])
}

// ValidID reports whether s is an acceptable message or conversation id: 1 to
// 64 characters of [0-9A-Za-z_-]. Ids from NewID always are; clients may bring
// their own (a UUID, a channel's message id) as long as they fit.
func ValidID(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
