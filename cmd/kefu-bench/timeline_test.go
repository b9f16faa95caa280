package main

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestTimeline(t *testing.T) {
	start := time.Unix(1000, 0)
	msgs := make([]stackMsg, 5)
	at := func(i int, sent, replied time.Duration) {
		msgs[i].sent.Store(start.Add(sent).UnixNano())
		if replied > 0 {
			msgs[i].replied.Store(start.Add(sent + replied).UnixNano())
		}
	}
	at(0, 100*time.Millisecond, 20*time.Millisecond)
	at(1, 900*time.Millisecond, 40*time.Millisecond)
	at(2, 2100*time.Millisecond, 1500*time.Millisecond) // a stall in second 2
	at(3, 2200*time.Millisecond, 0)                     // never answered
	// msgs[4] never sent: not counted
	rows := timeline(msgs, start)
	if len(rows) != 3 {
		t.Fatalf("%d rows, want 3 (seconds 0-2): %+v", len(rows), rows)
	}
	want := []timelineRow{
		{second: 0, sent: 2, answered: 2, p50: 20 * time.Millisecond, p99: 40 * time.Millisecond, maxReply: 40 * time.Millisecond},
		{second: 1},
		{second: 2, sent: 2, answered: 1, p50: 1500 * time.Millisecond, p99: 1500 * time.Millisecond, maxReply: 1500 * time.Millisecond},
	}
	for i, w := range want {
		if g := rows[i]; g.second != w.second || g.sent != w.sent || g.answered != w.answered || g.maxReply != w.maxReply {
			t.Errorf("row %d = %+v, want %+v", i, g, w)
		}
	}
	var b bytes.Buffer
	printTimeline(&b, rows)
	if !strings.Contains(b.String(), "| 2 | 2 | 1 | 1.5s | 1.5s | 1.5s |") {
		t.Errorf("table lacks second 2's row:\n%s", b.String())
	}
}
