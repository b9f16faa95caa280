package main

import (
	plugincli "github.com/kefu-io/kefu/edge/pluginhost/cli"
	piicli "github.com/kefu-io/kefu/plugins/pii/cli"
)

func init() {
	register("pii", "scan text for personal data (scan, eval)", piicli.Main)
	register("plugin", "scaffold, build, test and sign edge plugins (new, build, test, sign)", plugincli.Main)
	// Training, evaluation and benchmarks live in their own binaries so that
	// this one stays lean (forward.go).
	register("model", "train, evaluate and run the text models (intent, sentiment, anger, langid) — runs kefu-model", forward("kefu-model"))
	register("bench", "benchmarks (edge, plugins, …) whose numbers go in README.md — runs kefu-bench", forward("kefu-bench"))
}
