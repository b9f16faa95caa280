// Command kmodel runs `kefu model …` on its own (models/cli), for
// models/models.mk and for development without building all of kefu.
package main

import (
	"context"
	"os"
	"os/signal"

	"github.com/kefu-io/kefu/models/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := cli.Main(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
