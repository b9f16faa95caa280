// Package phototest makes photos with personal metadata for tests: a JPEG
// whose EXIF block holds a GPS position, as a phone camera writes it.
package phototest

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
)

// GPSMarker is the byte pattern of the latitude this package writes
// (48/1, 51/1, 2956/100 as little-endian rationals): a stored photo that
// still contains it still carries the shopper's position.
var GPSMarker = rationals([][2]uint32{{48, 1}, {51, 1}, {2956, 100}})

// picture draws a w×h gradient.
func picture(w, h int) image.Image {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.RGBA{uint8(x * 255 / w), uint8(y * 255 / h), 160, 255})
		}
	}
	return img
}

// JPEG is a plain w×h JPEG (no metadata).
func JPEG(w, h int) []byte {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, picture(w, h), &jpeg.Options{Quality: 85}); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// PNG is a plain w×h PNG.
func PNG(w, h int) []byte {
	var buf bytes.Buffer
	if err := png.Encode(&buf, picture(w, h)); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// EXIFGPS is an APP1 segment with an EXIF block whose GPS IFD holds
// latitude N 48°51'29.56" (GPSMarker).
func EXIFGPS() []byte {
	le := binary.LittleEndian
	tiff := make([]byte, 80)
	copy(tiff, "II*\x00")
	le.PutUint32(tiff[4:], 8)
	// IFD0: one entry, GPSInfo → the GPS IFD at 26.
	le.PutUint16(tiff[8:], 1)
	le.PutUint16(tiff[10:], 0x8825)
	le.PutUint16(tiff[12:], 4) // LONG
	le.PutUint32(tiff[14:], 1)
	le.PutUint32(tiff[18:], 26)
	// next IFD 0 at 22..26
	le.PutUint16(tiff[26:], 2)
	le.PutUint16(tiff[28:], 1) // GPSLatitudeRef
	le.PutUint16(tiff[30:], 2) // ASCII
	le.PutUint32(tiff[32:], 2)
	copy(tiff[36:], "N\x00")
	le.PutUint16(tiff[40:], 2) // GPSLatitude
	le.PutUint16(tiff[42:], 5) // RATIONAL
	le.PutUint32(tiff[44:], 3)
	le.PutUint32(tiff[48:], 56)
	// next IFD 0 at 52..56
	copy(tiff[56:], GPSMarker)
	seg := []byte{0xFF, 0xE1, 0, 0}
	seg = append(seg, "Exif\x00\x00"...)
	seg = append(seg, tiff...)
	binary.BigEndian.PutUint16(seg[2:], uint16(len(seg)-2))
	return seg
}

// JPEGWithGPS is a w×h JPEG with EXIFGPS right after its start marker, as
// cameras write it.
func JPEGWithGPS(w, h int) []byte {
	j := JPEG(w, h)
	out := append([]byte{}, j[:2]...)
	out = append(out, EXIFGPS()...)
	return append(out, j[2:]...)
}

// PNGWithText is a w×h PNG with a tEXt chunk (key "Comment", value text)
// and an eXIf chunk holding EXIFGPS's TIFF block, after IHDR.
func PNGWithText(w, h int, text string) []byte {
	p := PNG(w, h)
	ihdrEnd := 8 + 12 + int(binary.BigEndian.Uint32(p[8:]))
	out := append([]byte{}, p[:ihdrEnd]...)
	out = append(out, chunk("tEXt", append([]byte("Comment\x00"), text...))...)
	out = append(out, chunk("eXIf", EXIFGPS()[10:])...)
	return append(out, p[ihdrEnd:]...)
}

func chunk(typ string, data []byte) []byte {
	c := make([]byte, 8, 12+len(data))
	binary.BigEndian.PutUint32(c, uint32(len(data)))
	copy(c[4:], typ)
	c = append(c, data...)
	return binary.BigEndian.AppendUint32(c, crc(c[4:]))
}

func crc(b []byte) uint32 {
	c := ^uint32(0)
	for _, x := range b {
		c ^= uint32(x)
		for k := 0; k < 8; k++ {
			if c&1 != 0 {
				c = 0xEDB88320 ^ c>>1
			} else {
				c >>= 1
			}
		}
	}
	return ^c
}

func rationals(rs [][2]uint32) []byte {
	var b []byte
	for _, r := range rs {
		b = binary.LittleEndian.AppendUint32(b, r[0])
		b = binary.LittleEndian.AppendUint32(b, r[1])
	}
	return b
}
