//go:build !unix

package proccpu

import "time"

// Used is not measured on this system: always 0.
func Used() time.Duration { return 0 }
