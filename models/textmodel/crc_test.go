package textmodel

import (
	"hash/crc32"
	"testing"
)

func TestChecksumIsCRC32IEEE(t *testing.T) {
	long := make([]byte, 70_000)
	for i := range long {
		long[i] = byte(i * 7 / 3)
	}
	for _, b := range [][]byte{nil, {}, []byte("a"), []byte("kefu model"), long, long[1:], long[:4095]} {
		if got, want := checksum(b), crc32.ChecksumIEEE(b); got != want {
			t.Errorf("checksum(%d bytes) = %08x, crc32.ChecksumIEEE = %08x", len(b), got, want)
		}
	}
}
