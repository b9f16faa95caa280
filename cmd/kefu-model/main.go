// Command kefu-model trains, evaluates and runs the text models (intent,
// sentiment, anger, langid) and compares our language id with lingua-go
// and whatlanggo. It is a binary of its own so that the production `kefu`
// does not link spago's training code or the comparison libraries:
// `kefu model …` forwards here (cmd/kefu/tools.go), and `make build` puts
// kefu-model next to kefu in bin/. The shipped models run inside kefu
// without it (models/textmodel).
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	modelcli "github.com/kefu-io/kefu/models/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(modelcli.Main(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
