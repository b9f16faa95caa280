package stack

import "github.com/kefu-io/kefu/central/store"

// Store is central's store (tests add channels and read conversations).
func (s *Stack) Store() store.Store { return s.central.Store() }
