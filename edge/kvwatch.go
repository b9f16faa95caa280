package edge

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// watchBucket follows the KV bucket name in central's JetStream domain until
// the node closes, for what central publishes to edges (sites, channels,
// knowledge packs). Each attempt calls session for a fresh pair of callbacks:
// change gets every put and delete, with live false while the bucket's
// current values arrive, and caughtUp runs once they are all in. While the
// bucket is unreachable it retries every second; the node keeps serving
// what it has.
func (n *Node) watchBucket(name string, session func() (change func(e jetstream.KeyValueEntry, live bool), caughtUp func())) {
	defer n.bg.Done()
	js, err := n.centralJS()
	if err != nil {
		n.log.Warn("edge: jetstream", "bucket", name, "err", err)
		return
	}
	for n.ctx.Err() == nil {
		change, caughtUp := session()
		if err := n.watchBucketOnce(js, name, change, caughtUp); err != nil && n.ctx.Err() == nil {
			n.log.Debug("edge: bucket watch will retry", "bucket", name, "err", err)
		}
		select {
		case <-n.ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

func (n *Node) watchBucketOnce(js jetstream.JetStream, name string, change func(jetstream.KeyValueEntry, bool), caughtUp func()) error {
	ctx, cancel := context.WithTimeout(n.ctx, 5*time.Second)
	kv, err := js.KeyValue(ctx, name)
	cancel()
	if err != nil {
		return fmt.Errorf("bucket %s: %w", name, err)
	}
	w, err := kv.WatchAll(n.ctx)
	if err != nil {
		return err
	}
	defer w.Stop()
	live := false
	for {
		select {
		case <-n.ctx.Done():
			return nil
		case e, ok := <-w.Updates():
			if !ok {
				return fmt.Errorf("watch of %s ended", name)
			}
			if e == nil {
				live = true
				caughtUp()
				continue
			}
			change(e, live)
		}
	}
}
