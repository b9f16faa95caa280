package main

import (
	plugincli "github.com/kefu-io/kefu/edge/pluginhost/cli"
	modelcli "github.com/kefu-io/kefu/models/cli"
	piicli "github.com/kefu-io/kefu/plugins/pii/cli"
)

func init() {
	register("model", "train, evaluate and run the text models (intent, sentiment, anger, langid)", modelcli.Main)
	register("pii", "scan text for personal data (scan, eval)", piicli.Main)
}

func init() {
	register("plugin", "scaffold, build, test and sign edge plugins (new, build, test, sign)", plugincli.Main)
}
