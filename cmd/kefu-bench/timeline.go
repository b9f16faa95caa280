package main

import (
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/kefu-io/kefu/internal/quantile"
)

// timelineRow is one second of a stack run, by send time.
type timelineRow struct {
	second             int
	sent, answered     int
	p50, p99, maxReply time.Duration
}

// timeline groups the messages' reply latencies by the second (since start)
// they were sent in, so a stall shows as the seconds it hit instead of
// vanishing into one p99.
func timeline(msgs []stackMsg, start time.Time) []timelineRow {
	var reps [][]time.Duration
	var sent []int
	for i := range msgs {
		s := msgs[i].sent.Load()
		if s == 0 {
			continue
		}
		sec := max(int(time.Duration(s-start.UnixNano())/time.Second), 0)
		for len(sent) <= sec {
			sent, reps = append(sent, 0), append(reps, nil)
		}
		sent[sec]++
		if r := msgs[i].replied.Load(); r != 0 {
			reps[sec] = append(reps[sec], time.Duration(r-s))
		}
	}
	rows := make([]timelineRow, len(sent))
	for sec := range sent {
		slices.Sort(reps[sec])
		rows[sec] = timelineRow{second: sec, sent: sent[sec], answered: len(reps[sec]),
			p50: quantile.Sorted(reps[sec], .5), p99: quantile.Sorted(reps[sec], .99), maxReply: quantile.Sorted(reps[sec], 1)}
	}
	return rows
}

// printTimeline writes the timeline as a Markdown table.
func printTimeline(w io.Writer, rows []timelineRow) {
	fmt.Fprintf(w, "\n| second sent | sent | answered | reply p50 | reply p99 | reply max |\n| --- | --- | --- | --- | --- | --- |\n")
	for _, r := range rows {
		fmt.Fprintf(w, "| %d | %d | %d | %s | %s | %s |\n", r.second, r.sent, r.answered, round(r.p50), round(r.p99), round(r.maxReply))
	}
}
