package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/kefu-io/kefu/chat"
)

func init() {
	register("idle", "memory per idle shopper: RSS of one kefu dev holding N idle WebSocket connections", runIdle)
}

// runIdle is `kefu bench idle`: it starts `kefu dev` (or uses --addr),
// reads its resident memory and goroutines from /metrics, opens --conns
// WebSocket connections that say hello and then stay idle, reads them
// again and reports the cost per connection. Connections the server
// refuses (503 edge_full past its cap) are counted, and the server must
// still answer /healthz at the end.
func runIdle(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("kefu bench idle", flag.ContinueOnError)
	fs.SetOutput(stderr)
	conns := fs.Int("conns", 19000, "idle connections to open")
	addr := fs.String("addr", "", "a running kefu dev or edge (host:port); empty: start kefu dev")
	kefuBin := fs.String("kefu", "", "kefu binary to start (default: kefu next to this binary, else on PATH)")
	parallel := fs.Int("parallel", 32, "concurrent dials")
	settle := fs.Duration("settle", 3*time.Second, "wait after the last connection before measuring")
	extra := fs.String("dev-flags", "", "extra flags for kefu dev (space-separated)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *addr == "" {
		a, stop, err := startDev(ctx, *kefuBin, strings.Fields(*extra), stderr)
		if err != nil {
			fmt.Fprintln(stderr, "kefu bench idle:", err)
			return 1
		}
		defer stop()
		*addr = a
	}
	before, err := scrape(*addr)
	if err != nil {
		fmt.Fprintln(stderr, "kefu bench idle:", err)
		return 1
	}
	start := time.Now()
	var (
		open     []*websocket.Conn
		mu       sync.Mutex
		refused  atomic.Int64
		failed   atomic.Int64
		firstErr atomic.Value
		next     atomic.Int64
		wg       sync.WaitGroup
	)
	dialer := websocket.Dialer{HandshakeTimeout: 30 * time.Second, ReadBufferSize: 512, WriteBufferSize: 512}
	for range *parallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := next.Add(1)
				if i > int64(*conns) {
					return
				}
				c, resp, err := dialer.DialContext(ctx, "ws://"+*addr+"/ws?site=demo", nil)
				if err != nil {
					if resp != nil && resp.StatusCode == http.StatusServiceUnavailable {
						refused.Add(1)
					} else {
						failed.Add(1)
						firstErr.CompareAndSwap(nil, err.Error())
					}
					continue
				}
				hello := chat.Frame{V: chat.ProtocolVersion, Type: chat.FrameHello, Visitor: "idle-" + strconv.FormatInt(i, 10)}
				if err := c.WriteJSON(hello); err != nil {
					failed.Add(1)
					c.Close()
					continue
				}
				go func() { // answer pings, discard frames
					for {
						if _, _, err := c.NextReader(); err != nil {
							return
						}
					}
				}()
				mu.Lock()
				open = append(open, c)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	dialed := time.Since(start)
	time.Sleep(*settle)
	after, err := scrape(*addr)
	if err != nil {
		fmt.Fprintln(stderr, "kefu bench idle: after opening:", err)
		return 1
	}
	healthy := get("http://"+*addr+"/healthz") == nil
	for _, c := range open {
		c.Close()
	}
	n := len(open)
	fmt.Fprintf(stdout, "kefu bench idle: %d idle connections (hello, then nothing) to %s, opened in %s\n", n, *addr, dialed.Round(time.Millisecond))
	fmt.Fprintf(stdout, "| measure | value |\n| --- | --- |\n")
	fmt.Fprintf(stdout, "| server RSS before | %.1f MiB |\n", before.rss/(1<<20))
	fmt.Fprintf(stdout, "| server RSS with %d idle | %.1f MiB |\n", n, after.rss/(1<<20))
	if n > 0 {
		fmt.Fprintf(stdout, "| RSS per connection (difference) | %.1f KiB |\n", (after.rss-before.rss)/float64(n)/1024)
		fmt.Fprintf(stdout, "| Go heap per connection | %.1f KiB |\n", (after.heap-before.heap)/float64(n)/1024)
		fmt.Fprintf(stdout, "| goroutines per connection | %.2f |\n", (after.goroutines-before.goroutines)/float64(n))
	}
	fmt.Fprintf(stdout, "| edge connections (server's gauge) | %.0f |\n", after.edgeConns)
	fmt.Fprintf(stdout, "| refused 503 edge_full | %d |\n", refused.Load())
	fmt.Fprintf(stdout, "| other failures | %d |\n", failed.Load())
	fmt.Fprintf(stdout, "| server healthy at the end | %v |\n", healthy)
	if e, ok := firstErr.Load().(string); ok {
		fmt.Fprintf(stdout, "first failure: %s\n", e)
	}
	if !healthy {
		return 1
	}
	return 0
}

// serverStats is what scrape reads from /metrics; cpu is the process's
// CPU time in seconds (user + system, process_cpu_seconds_total).
type serverStats struct{ rss, heap, goroutines, edgeConns, cpu float64 }

// scrape reads the server's /metrics.
func scrape(addr string) (serverStats, error) {
	c := http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get("http://" + addr + "/metrics")
	if err != nil {
		return serverStats{}, err
	}
	defer resp.Body.Close()
	var s serverStats
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 2 {
			continue
		}
		v, err := strconv.ParseFloat(f[1], 64)
		if err != nil {
			continue
		}
		switch f[0] {
		case "process_resident_memory_bytes":
			s.rss = v
		case "go_memstats_heap_inuse_bytes":
			s.heap = v
		case "go_goroutines":
			s.goroutines = v
		case "process_cpu_seconds_total":
			s.cpu = v
		case "kefu_edge_connections":
			s.edgeConns = v
		}
	}
	if s.rss == 0 {
		return s, errors.New("no process_resident_memory_bytes in /metrics")
	}
	return s, sc.Err()
}

func get(url string) error {
	c := http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", url, resp.Status)
	}
	return nil
}

// startDev starts `kefu dev` on a free loopback port with a scratch data
// folder and returns its address once /healthz answers.
func startDev(ctx context.Context, bin string, extra []string, stderr io.Writer) (string, func(), error) {
	if bin == "" {
		if self, err := os.Executable(); err == nil {
			if p := filepath.Join(filepath.Dir(self), "kefu"); fileExists(p) {
				bin = p
			}
		}
	}
	if bin == "" {
		p, err := exec.LookPath("kefu")
		if err != nil {
			return "", nil, errors.New("no kefu binary: pass --kefu or --addr (make build puts kefu beside kefu-bench)")
		}
		bin = p
	}
	addr, err := freeLoopback()
	if err != nil {
		return "", nil, err
	}
	dir, err := os.MkdirTemp("", "kefu-bench-idle-")
	if err != nil {
		return "", nil, err
	}
	args := append([]string{"dev", "--addr", addr, "--data", dir, "--demo-history", "0", "--max-conns-per-ip", "-1"}, extra...)
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return "", nil, err
	}
	stop := func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		os.RemoveAll(dir)
	}
	deadline := time.Now().Add(120 * time.Second)
	for get("http://"+addr+"/healthz") != nil {
		if time.Now().After(deadline) || ctx.Err() != nil {
			stop()
			return "", nil, fmt.Errorf("kefu dev at %s did not become healthy", addr)
		}
		time.Sleep(200 * time.Millisecond)
	}
	fmt.Fprintf(stderr, "kefu bench: started %s dev at %s\n", bin, addr)
	return addr, stop, nil
}

func fileExists(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}
