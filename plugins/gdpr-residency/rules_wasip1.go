//go:build wasip1

package main

import (
	"sync"

	"github.com/kefu-io/kefu/plugins/pdk"
)

// instanceRules reads the rules from the config once per instance: the
// host fixes an instance's config for its whole life (plugins/ABI.md
// section 6; a reload replaces the instances).
var instanceRules = sync.OnceValue(func() rules { return rulesFromConfig(pdk.Config) })
