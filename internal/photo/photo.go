// Package photo checks and cleans the photos shoppers send from the widget
// (JPEG, PNG, WebP) before anyone stores them: the bytes must be an image
// of the declared type, within the size and pixel limits, and every
// metadata block that may hold personal data is removed without
// re-encoding the picture — EXIF (GPS position, camera serial, time), XMP,
// IPTC, comments and text chunks.
//
// The widget re-encodes every photo through a canvas, which drops all of
// that already; the edge cleans again for clients that do not (native
// apps, scripts), and central once more for edges of an older version, so
// a stored photo never carries a shopper's location whoever sent it.
//
// Only the standard library is used (image/jpeg and image/png for the
// dimensions; the WebP headers are read here), so nothing new ships in
// the edge or central binaries.
package photo

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // image.DecodeConfig for JPEG
	_ "image/png"  // image.DecodeConfig for PNG
)

// Content types of the photos Kefu accepts.
const (
	JPEG = "image/jpeg"
	PNG  = "image/png"
	WebP = "image/webp"
)

// Types are the accepted content types, in the order the widget offers them.
var Types = []string{JPEG, PNG, WebP}

// MaxBytes is the largest photo accepted on the wire (after the widget's
// re-encoding): it travels base64 inside one JetStream message, whose
// payload is capped at 1 MiB.
const MaxBytes = 512 << 10

// MaxPixels bounds width × height: a small file that decodes to a huge
// bitmap (a decompression bomb) is refused.
const MaxPixels = 40_000_000

// Sentinel errors callers branch on.
var (
	// ErrType: the bytes are not a JPEG, PNG or WebP image, or not of the declared type.
	ErrType = errors.New("photo: not a JPEG, PNG or WebP image")
	// ErrTooLarge: over MaxBytes or MaxPixels.
	ErrTooLarge = errors.New("photo: too large")
	// ErrCorrupt: the container structure is broken.
	ErrCorrupt = errors.New("photo: malformed image")
)

// Info describes a checked photo.
type Info struct {
	// Type is one of Types.
	Type string
	// Width and Height are the picture's size in pixels.
	Width, Height int
}

// Sniff returns the content type the bytes start with, or "".
func Sniff(b []byte) string {
	switch {
	case len(b) >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF:
		return JPEG
	case len(b) >= 8 && bytes.Equal(b[:8], pngSig):
		return PNG
	case len(b) >= 12 && string(b[:4]) == "RIFF" && string(b[8:12]) == "WEBP":
		return WebP
	}
	return ""
}

// Accepted reports whether t is one of Types.
func Accepted(t string) bool {
	for _, x := range Types {
		if x == t {
			return true
		}
	}
	return false
}

// Clean checks that b is a photo of type declared (any of Types when
// declared is "") within the limits, and returns it without metadata. b
// is not modified.
func Clean(b []byte, declared string) ([]byte, Info, error) {
	if len(b) > MaxBytes {
		return nil, Info{}, fmt.Errorf("%w: %d bytes, the limit is %d", ErrTooLarge, len(b), MaxBytes)
	}
	if declared != "" && !Accepted(declared) {
		return nil, Info{}, fmt.Errorf("%w: declared type %q", ErrType, declared)
	}
	got := Sniff(b)
	if got == "" {
		return nil, Info{}, ErrType
	}
	if declared != "" && got != declared {
		return nil, Info{}, fmt.Errorf("%w: declared %s but the bytes are %s", ErrType, declared, got)
	}
	info := Info{Type: got}
	var out []byte
	var err error
	switch got {
	case JPEG:
		out, err = stripJPEG(b)
	case PNG:
		out, err = stripPNG(b)
	case WebP:
		out, info.Width, info.Height, err = stripWebP(b)
	}
	if err != nil {
		return nil, Info{}, err
	}
	if got != WebP {
		cfg, _, err := image.DecodeConfig(bytes.NewReader(out))
		if err != nil {
			return nil, Info{}, fmt.Errorf("%w: %w", ErrCorrupt, err)
		}
		info.Width, info.Height = cfg.Width, cfg.Height
	}
	if info.Width <= 0 || info.Height <= 0 {
		return nil, Info{}, fmt.Errorf("%w: no picture size", ErrCorrupt)
	}
	if info.Width*info.Height > MaxPixels {
		return nil, Info{}, fmt.Errorf("%w: %d×%d pixels, the limit is %d", ErrTooLarge, info.Width, info.Height, MaxPixels)
	}
	return out, info, nil
}

// stripJPEG drops the APP1 (EXIF, XMP), APP3–APP13 (IPTC, vendor blocks),
// APP15 and COM segments before the first scan; it keeps APP0 (JFIF), the
// ICC profile (APP2 "ICC_PROFILE") and APP14 (Adobe colour transform),
// which change how the picture looks. The scan data is copied as it is.
func stripJPEG(b []byte) ([]byte, error) {
	out := make([]byte, 0, len(b))
	out = append(out, 0xFF, 0xD8)
	i := 2
	for {
		if i+4 > len(b) || b[i] != 0xFF {
			return nil, fmt.Errorf("%w: JPEG segment at %d", ErrCorrupt, i)
		}
		m := b[i+1]
		if m == 0xFF { // fill byte
			i++
			continue
		}
		if m == 0xD9 { // EOI before any scan
			return nil, fmt.Errorf("%w: JPEG without a scan", ErrCorrupt)
		}
		n := int(binary.BigEndian.Uint16(b[i+2:]))
		if n < 2 || i+2+n > len(b) {
			return nil, fmt.Errorf("%w: JPEG segment length at %d", ErrCorrupt, i)
		}
		seg := b[i : i+2+n]
		if m == 0xDA { // start of scan: the rest is picture data
			return append(out, b[i:]...), nil
		}
		keep := true
		switch {
		case m == 0xE1, m >= 0xE3 && m <= 0xED, m == 0xEF, m == 0xFE:
			keep = false
		case m == 0xE2:
			keep = bytes.HasPrefix(seg[4:], []byte("ICC_PROFILE\x00"))
		}
		if keep {
			out = append(out, seg...)
		}
		i += 2 + n
	}
}

var pngSig = []byte{0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'}

// pngDrop are the ancillary chunks that carry text or metadata.
var pngDrop = map[string]bool{"eXIf": true, "tEXt": true, "zTXt": true, "iTXt": true, "tIME": true}

// stripPNG drops the text, EXIF and time chunks; the others (and their
// CRCs) are copied as they are.
func stripPNG(b []byte) ([]byte, error) {
	out := make([]byte, 0, len(b))
	out = append(out, pngSig...)
	i := len(pngSig)
	first := true
	for i < len(b) {
		if i+12 > len(b) {
			return nil, fmt.Errorf("%w: PNG chunk at %d", ErrCorrupt, i)
		}
		n := int(binary.BigEndian.Uint32(b[i:]))
		typ := string(b[i+4 : i+8])
		if n > len(b) || i+12+n > len(b) {
			return nil, fmt.Errorf("%w: PNG chunk %q length", ErrCorrupt, typ)
		}
		if first && typ != "IHDR" {
			return nil, fmt.Errorf("%w: PNG does not start with IHDR", ErrCorrupt)
		}
		first = false
		if !pngDrop[typ] {
			out = append(out, b[i:i+12+n]...)
		}
		i += 12 + n
		if typ == "IEND" {
			return out, nil
		}
	}
	return nil, fmt.Errorf("%w: PNG without IEND", ErrCorrupt)
}

// stripWebP drops the EXIF and XMP chunks (and their VP8X flags) and
// reads the picture size from VP8X, VP8 or VP8L.
func stripWebP(b []byte) (out []byte, w, h int, err error) {
	size := int(binary.LittleEndian.Uint32(b[4:]))
	if size < 4 || 8+size > len(b) {
		return nil, 0, 0, fmt.Errorf("%w: RIFF size", ErrCorrupt)
	}
	b = b[:8+size]
	out = make([]byte, 12, len(b))
	copy(out, b[:12])
	vp8x := -1
	for i := 12; i < len(b); {
		if i+8 > len(b) {
			return nil, 0, 0, fmt.Errorf("%w: WebP chunk at %d", ErrCorrupt, i)
		}
		fourcc := string(b[i : i+4])
		n := int(binary.LittleEndian.Uint32(b[i+4:]))
		end := i + 8 + n + n&1
		if n > len(b) || end > len(b) && i+8+n != len(b) {
			return nil, 0, 0, fmt.Errorf("%w: WebP chunk %q length", ErrCorrupt, fourcc)
		}
		end = min(end, len(b))
		payload := b[i+8 : i+8+n]
		switch fourcc {
		case "EXIF", "XMP ":
			i = end
			continue
		case "VP8X":
			if n < 10 {
				return nil, 0, 0, fmt.Errorf("%w: VP8X chunk", ErrCorrupt)
			}
			vp8x = len(out)
			w = 1 + int(uint32(payload[4])|uint32(payload[5])<<8|uint32(payload[6])<<16)
			h = 1 + int(uint32(payload[7])|uint32(payload[8])<<8|uint32(payload[9])<<16)
		case "VP8 ":
			if w == 0 {
				if n < 10 || payload[3] != 0x9D || payload[4] != 0x01 || payload[5] != 0x2A {
					return nil, 0, 0, fmt.Errorf("%w: VP8 frame header", ErrCorrupt)
				}
				w = int(binary.LittleEndian.Uint16(payload[6:]) & 0x3FFF)
				h = int(binary.LittleEndian.Uint16(payload[8:]) & 0x3FFF)
			}
		case "VP8L":
			if w == 0 {
				if n < 5 || payload[0] != 0x2F {
					return nil, 0, 0, fmt.Errorf("%w: VP8L header", ErrCorrupt)
				}
				bits := binary.LittleEndian.Uint32(payload[1:])
				w = 1 + int(bits&0x3FFF)
				h = 1 + int(bits>>14&0x3FFF)
			}
		}
		out = append(out, b[i:end]...)
		i = end
	}
	if vp8x >= 0 {
		out[vp8x+8] &^= 0x08 | 0x04 // the EXIF and XMP flags
	}
	binary.LittleEndian.PutUint32(out[4:], uint32(len(out)-8))
	return out, w, h, nil
}
