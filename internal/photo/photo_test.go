package photo_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"image"
	"testing"

	"github.com/kefu-io/kefu/internal/photo"
	"github.com/kefu-io/kefu/internal/photo/phototest"
)

func webp(chunks ...[]byte) []byte {
	var body []byte
	for _, c := range chunks {
		body = append(body, c...)
	}
	b := []byte("RIFF\x00\x00\x00\x00WEBP")
	binary.LittleEndian.PutUint32(b[4:], uint32(4+len(body)))
	return append(b, body...)
}

func riffChunk(fourcc string, data []byte) []byte {
	c := []byte(fourcc)
	c = binary.LittleEndian.AppendUint32(c, uint32(len(data)))
	c = append(c, data...)
	if len(data)%2 == 1 {
		c = append(c, 0)
	}
	return c
}

// vp8x is a VP8X chunk with flags and a w×h canvas.
func vp8x(flags byte, w, h int) []byte {
	d := make([]byte, 10)
	d[0] = flags
	d[4], d[5], d[6] = byte(w-1), byte((w-1)>>8), byte((w-1)>>16)
	d[7], d[8], d[9] = byte(h-1), byte((h-1)>>8), byte((h-1)>>16)
	return riffChunk("VP8X", d)
}

func vp8l(w, h int) []byte {
	bits := uint32(w-1) | uint32(h-1)<<14
	d := []byte{0x2F}
	d = binary.LittleEndian.AppendUint32(d, bits)
	return riffChunk("VP8L", append(d, 1, 2, 3))
}

func TestClean(t *testing.T) {
	gps := phototest.JPEGWithGPS(64, 48)
	if !bytes.Contains(gps, []byte("Exif")) || !bytes.Contains(gps, phototest.GPSMarker) {
		t.Fatal("the test JPEG has no EXIF GPS block")
	}
	if _, _, err := image.Decode(bytes.NewReader(gps)); err != nil {
		t.Fatalf("the test JPEG does not decode: %v", err)
	}
	withXMP := webp(vp8x(0x08|0x04|0x10, 99, 49), vp8l(99, 49), riffChunk("EXIF", phototest.EXIFGPS()[10:]), riffChunk("XMP ", []byte("<x:xmpmeta>gps</x:xmpmeta>")))
	for _, tt := range []struct {
		name     string
		in       []byte
		declared string
		typ      string
		w, h     int
	}{
		{"jpeg with gps", gps, photo.JPEG, photo.JPEG, 64, 48},
		{"jpeg, type sniffed", gps, "", photo.JPEG, 64, 48},
		{"png with text and exif", phototest.PNGWithText(30, 20, "taken at home, 12 Rue X"), photo.PNG, photo.PNG, 30, 20},
		{"webp with exif and xmp", withXMP, photo.WebP, photo.WebP, 99, 49},
		{"simple webp", webp(vp8l(7, 5)), photo.WebP, photo.WebP, 7, 5},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := append([]byte{}, tt.in...)
			out, info, err := photo.Clean(tt.in, tt.declared)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(tt.in, before) {
				t.Fatal("Clean modified its input")
			}
			if info.Type != tt.typ || info.Width != tt.w || info.Height != tt.h {
				t.Fatalf("info %+v, want %s %dx%d", info, tt.typ, tt.w, tt.h)
			}
			for _, bad := range [][]byte{[]byte("Exif"), phototest.GPSMarker, []byte("tEXt"), []byte("Rue X"), []byte("xmpmeta"), []byte("XMP ")} {
				if bytes.Contains(out, bad) {
					t.Fatalf("cleaned photo still contains %q", bad)
				}
			}
			if tt.typ != photo.WebP {
				img, _, err := image.Decode(bytes.NewReader(out))
				if err != nil || img.Bounds().Dx() != tt.w {
					t.Fatalf("cleaned photo does not decode: %v", err)
				}
			} else {
				if got := binary.LittleEndian.Uint32(out[4:]); int(got) != len(out)-8 {
					t.Fatalf("RIFF size %d, file %d", got, len(out))
				}
				if i := bytes.Index(out, []byte("VP8X")); i > 0 && out[i+8]&(0x08|0x04) != 0 {
					t.Fatalf("VP8X still flags EXIF/XMP: %#x", out[i+8])
				}
			}
			// Cleaning twice changes nothing.
			again, _, err := photo.Clean(out, "")
			if err != nil || !bytes.Equal(again, out) {
				t.Fatalf("second clean differs (%v)", err)
			}
		})
	}
}

func TestCleanRefuses(t *testing.T) {
	j := phototest.JPEG(10, 10)
	big := append(append([]byte{}, j[:2]...), make([]byte, photo.MaxBytes)...)
	bomb := webp(vp8l(16000, 16000))
	for _, tt := range []struct {
		name     string
		in       []byte
		declared string
		want     error
	}{
		{"gif", []byte("GIF89a\x01\x00\x01\x00"), "", photo.ErrType},
		{"html", []byte("<html><script>alert(1)</script>"), photo.JPEG, photo.ErrType},
		{"declared png, is jpeg", j, photo.PNG, photo.ErrType},
		{"declared svg", j, "image/svg+xml", photo.ErrType},
		{"over the byte limit", big, photo.JPEG, photo.ErrTooLarge},
		{"over the pixel limit", bomb, photo.WebP, photo.ErrTooLarge},
		{"truncated jpeg", j[:40], photo.JPEG, photo.ErrCorrupt},
		{"png without IEND", phototest.PNG(4, 4)[:40], photo.PNG, photo.ErrCorrupt},
		{"riff size beyond the file", []byte("RIFF\xff\xff\x00\x00WEBPVP8L"), photo.WebP, photo.ErrCorrupt},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, err := photo.Clean(tt.in, tt.declared); !errors.Is(err, tt.want) {
				t.Fatalf("Clean = %v, want %v", err, tt.want)
			}
		})
	}
}

// FuzzClean: whatever the bytes, Clean never panics, and what it returns
// is accepted again unchanged.
func FuzzClean(f *testing.F) {
	f.Add(phototest.JPEGWithGPS(8, 8))
	f.Add(phototest.PNGWithText(4, 4, "x"))
	f.Add(webp(vp8x(0x0c, 3, 3), vp8l(3, 3), riffChunk("EXIF", []byte("abc"))))
	f.Fuzz(func(t *testing.T, b []byte) {
		out, _, err := photo.Clean(b, "")
		if err != nil {
			return
		}
		again, _, err := photo.Clean(out, "")
		if err != nil || !bytes.Equal(again, out) {
			t.Fatalf("clean output not stable: %v", err)
		}
	})
}
