//go:build !linux

package hugepages

import "context"

// Advise does nothing outside Linux.
func Advise(ctx context.Context) (enabled bool, err error) { return false, nil }
