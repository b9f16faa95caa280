//go:build wasip1

package main

import (
	"sync"

	"github.com/kefu-io/kefu/plugins/pdk"
	"github.com/kefu-io/kefu/plugins/pii"
)

// instanceOptions reads the options from the config once per instance:
// the host fixes an instance's config for its whole life (plugins/ABI.md
// section 6; a reload replaces the instances).
var instanceOptions = sync.OnceValue(func() pii.Options { return optionsFromConfig(pdk.Config) })
