package textmodel

// crcTable is the IEEE CRC-32 table (polynomial 0xedb88320), built at
// start (2,048 steps). A model's checksum is hash/crc32's ChecksumIEEE; computing it here
// keeps hash/crc32 (its slicing-by-8 tables and their code, ~7 KB of
// WebAssembly) out of the browser's core, which reads a model once.
var crcTable = func() *[256]uint32 {
	var t [256]uint32
	for i := range t {
		c := uint32(i)
		for range 8 {
			if c&1 == 1 {
				c = c>>1 ^ 0xedb88320
			} else {
				c >>= 1
			}
		}
		t[i] = c
	}
	return &t
}()

// checksum returns the IEEE CRC-32 of b, as crc32.ChecksumIEEE. Never
// inlined, like the reader's methods (see reader).
//
//go:noinline
func checksum(b []byte) uint32 {
	t := crcTable
	c := ^uint32(0)
	for _, x := range b {
		c = t[byte(c)^x] ^ c>>8
	}
	return ^c
}
