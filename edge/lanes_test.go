package edge

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestLanesOrderPerKey: work for one key runs in the order given, work
// for many keys runs at once, and close runs what is queued.
func TestLanesOrderPerKey(t *testing.T) {
	l := newLanes(8, 4)
	const keys, per = 16, 50
	var (
		mu      sync.Mutex
		got     = map[string][]int{}
		running atomic.Int32
		peak    atomic.Int32
	)
	var feeders sync.WaitGroup
	for k := range keys {
		feeders.Add(1)
		go func() {
			defer feeders.Done()
			key := fmt.Sprintf("tenant\x00conv-%d", k)
			for i := range per {
				ok := l.do(key, func() {
					now := running.Add(1)
					for p := peak.Load(); now > p && !peak.CompareAndSwap(p, now); p = peak.Load() {
					}
					time.Sleep(time.Duration(rand.IntN(200)) * time.Microsecond)
					mu.Lock()
					got[key] = append(got[key], i)
					mu.Unlock()
					running.Add(-1)
				})
				if !ok {
					t.Errorf("do refused work before close")
				}
			}
		}()
	}
	feeders.Wait()
	l.close()
	if len(got) != keys {
		t.Fatalf("%d keys ran, want %d", len(got), keys)
	}
	for key, seq := range got {
		if len(seq) != per {
			t.Fatalf("%q: %d items, want %d", key, len(seq), per)
		}
		for i, v := range seq {
			if v != i {
				t.Fatalf("%q out of order at %d: %v", key, i, seq)
			}
		}
	}
	if peak.Load() < 2 {
		t.Fatalf("at most %d item ran at once over %d keys on 8 lanes", peak.Load(), keys)
	}
	if l.do("k", func() { t.Error("ran after close") }) {
		t.Fatal("do took work after close")
	}
	l.close() // twice is fine
}

// TestLanesSameKeySameLane: the lane depends on the key only.
func TestLanesSameKeySameLane(t *testing.T) {
	l := newLanes(5, 1)
	defer l.close()
	seen := map[int]bool{}
	for i := range 200 {
		key := fmt.Sprintf("k%d", i)
		if l.lane(key) != l.lane(key) {
			t.Fatal("lane not stable")
		}
		seen[l.lane(key)] = true
	}
	if len(seen) != 5 {
		t.Fatalf("200 keys used %d of 5 lanes", len(seen))
	}
	if one := newLanes(0, 1); len(one.queues) != 1 {
		t.Fatalf("newLanes(0) has %d lanes", len(one.queues))
	} else {
		one.close()
	}
}
