package main

import "github.com/kefu-io/kefu/central/queuebench"

func init() {
	register("central", "the human queue with 10,000 waiting on SQLite and PostgreSQL: enqueue, take-next, position fan-out", queuebench.Main)
}
