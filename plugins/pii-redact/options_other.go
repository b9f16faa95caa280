//go:build !wasip1

package main

import (
	"github.com/kefu-io/kefu/plugins/pdk"
	"github.com/kefu-io/kefu/plugins/pii"
)

// instanceOptions reads the options from the config at every call: tests
// change the config between calls (pdk.ResetTest), a wasip1 instance never
// does (options_wasip1.go).
func instanceOptions() pii.Options { return optionsFromConfig(pdk.Config) }
