//go:build !wasip1

package main

import "github.com/kefu-io/kefu/plugins/pdk"

// instanceRules reads the rules from the config at every call: tests
// change the config between calls (pdk.ResetTest), a wasip1 instance
// never does (rules_wasip1.go).
func instanceRules() rules { return rulesFromConfig(pdk.Config) }
