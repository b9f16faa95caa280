// Command fileopen tries to read host files on "attack" and reports what
// happened.
package main

import (
	"os"
	"strings"

	"github.com/kefu-io/kefu/plugins/pdk"
)

func init() {
	pdk.OnInbound(func(env *pdk.Envelope) pdk.Result {
		if env.Message.Text == "attack" {
			var got []string
			for _, p := range []string{"/etc/passwd", "/", "passwd", "../../../../etc/hostname"} {
				if b, err := os.ReadFile(p); err != nil {
					got = append(got, "error")
				} else {
					got = append(got, "read "+string(b[:min(len(b), 16)]))
				}
			}
			if err := os.WriteFile("/tmp/kefu-hostile", []byte("x"), 0o644); err != nil {
				got = append(got, "error")
			} else {
				got = append(got, "wrote")
			}
			return pdk.Answer(strings.Join(got, ","))
		}
		return pdk.Answer("ok:fileopen")
	})
}

func main() {}
