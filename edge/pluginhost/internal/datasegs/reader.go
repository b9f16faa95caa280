package datasegs

// reader decodes the parts of the binary format Coalesce needs.
type reader struct {
	b []byte
	i int
}

func (r *reader) byte() (byte, error) {
	if r.i >= len(r.b) {
		return 0, ErrMalformed
	}
	c := r.b[r.i]
	r.i++
	return c, nil
}

// u32 reads an unsigned LEB128 of at most 5 bytes.
func (r *reader) u32() (uint32, error) {
	var v uint64
	for shift := 0; shift < 35; shift += 7 {
		c, err := r.byte()
		if err != nil {
			return 0, err
		}
		v |= uint64(c&0x7f) << shift
		if c&0x80 == 0 {
			if v > 1<<32-1 {
				return 0, ErrMalformed
			}
			return uint32(v), nil
		}
	}
	return 0, ErrMalformed
}

// s32 reads a signed LEB128 of at most 5 bytes.
func (r *reader) s32() (int32, error) {
	var v int64
	for shift := 0; shift < 35; shift += 7 {
		c, err := r.byte()
		if err != nil {
			return 0, err
		}
		v |= int64(c&0x7f) << shift
		if c&0x80 == 0 {
			if shift < 28 && c&0x40 != 0 {
				v |= -1 << (shift + 7)
			} else if shift == 28 {
				v = int64(int32(uint32(v))) // the fifth byte carries bits 28-31
			}
			return int32(v), nil
		}
	}
	return 0, ErrMalformed
}

func (r *reader) take(n int) ([]byte, error) {
	if n < 0 || n > len(r.b)-r.i {
		return nil, ErrMalformed
	}
	b := r.b[r.i : r.i+n : r.i+n]
	r.i += n
	return b, nil
}

// activeOffset reads a segment's header: flag 0 (active, memory 0) and
// an offset of i32.const N end, returned as the unsigned address N.
func (r *reader) activeOffset() (uint32, error) {
	flag, err := r.u32()
	if err != nil {
		return 0, err
	}
	if flag != 0 {
		return 0, ErrUnsupported
	}
	op, err := r.byte()
	if err != nil {
		return 0, err
	}
	if op != 0x41 {
		return 0, ErrUnsupported
	}
	v, err := r.s32()
	if err != nil {
		return 0, err
	}
	if end, err := r.byte(); err != nil || end != 0x0b {
		return 0, ErrUnsupported
	}
	return uint32(v), nil
}

func appendU32(b []byte, v uint32) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v == 0 {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}

func appendS32(b []byte, v int32) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if (v == 0 && c&0x40 == 0) || (v == -1 && c&0x40 != 0) {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}
