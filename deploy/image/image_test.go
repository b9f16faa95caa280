package image

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kefu-io/kefu/internal/syncbuf"
)

const kefuUID = 65532

// TestImage builds the kefu image the way `make image` does (a static
// binary, build.sh, podman FROM scratch: nothing pulled), checks its
// configuration and its filesystem (non-root user, CA certificates that
// parse, time zones that load, no shell), and starts `kefu dev` from it
// until /readyz answers 200: with `podman run` where this machine allows
// containers, otherwise (a sandbox whose OCI runtime cannot set rlimits
// or cgroups) from the image's exported filesystem, chrooted and as the
// image's user.
func TestImage(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the kefu binary and an image")
	}
	podman, err := exec.LookPath("podman")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("podman is not installed (make test installs it)")
		}
		t.Skip("podman is not installed; run `make podman`")
	}
	bin := os.Getenv("KEFU_IMAGE_BIN")
	if bin == "" {
		bin = buildKefu(t)
	}
	start := time.Now()
	tag := "localhost/kefu-imagetest:" + randomHex(t)
	if out, err := exec.Command("./build.sh", bin, tag).CombinedOutput(); err != nil {
		t.Fatalf("build.sh: %v\n%s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command(podman, "rmi", "-f", tag).Run() })

	t.Logf("image built in %s", time.Since(start).Round(time.Millisecond))
	checkConfig(t, podman, tag)
	root := exportRootfs(t, podman, tag)
	checkRootfs(t, root)

	t.Logf("filesystem checked in %s", time.Since(start).Round(time.Millisecond))
	devArgs := func(port int) []string {
		return []string{"dev", "--addr", "127.0.0.1:" + strconv.Itoa(port), "--data", "/data", "--demo-history", "0"}
	}
	// podman run, with its default OCI runtime and then runc; rlimits at
	// or below this process's own, which an unprivileged sandbox allows.
	// KEFU_IMAGE_RUN=chroot goes straight to the fallback.
	var runtimes [][]string
	if os.Getenv("KEFU_IMAGE_RUN") != "chroot" {
		runtimes = append(runtimes, nil)
	}
	if _, err := exec.LookPath("runc"); err == nil && len(runtimes) > 0 {
		runtimes = append(runtimes, []string{"--runtime", "runc"})
	}
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	nofile := min(lim.Cur, 4096)
	for _, rt := range runtimes {
		name := "kefu-imagetest-" + randomHex(t)
		port := freePort(t)
		cmd := append(append([]string{}, rt...), "run", "--rm", "--name", name, "--network", "host",
			"--ulimit", fmt.Sprintf("nofile=%d:%d", nofile, nofile), "--ulimit", "nproc=4096:4096", tag)
		c := exec.Command(podman, append(cmd, devArgs(port)...)...)
		stop := func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			_ = exec.CommandContext(ctx, podman, "stop", "-t", "10", name).Run()
			_ = exec.CommandContext(ctx, podman, "rm", "-f", name).Run()
		}
		err := startUntilReady(t, c, port, 90*time.Second, stop)
		if err == nil {
			t.Logf("kefu dev ran in the image with podman run %v", rt)
			return
		}
		if !errors.Is(err, errRuntime) && !errors.Is(err, errNotReady) {
			t.Fatal(err) // the binary started in the container and failed
		}
		t.Logf("podman run %v does not work on this machine; next way: %v", rt, err)
	}
	if os.Geteuid() != 0 {
		t.Skip("podman run is not possible here and chroot needs root")
	}
	c := exec.Command(filepath.Join(root, "usr/local/bin/kefu"))
	c.Path = "/usr/local/bin/kefu"
	c.Dir = "/data"
	c.Env = []string{"HOME=/data"}
	c.SysProcAttr = &syscall.SysProcAttr{Chroot: root, Credential: &syscall.Credential{Uid: kefuUID, Gid: kefuUID}}
	port := freePort(t)
	c.Args = append([]string{c.Path}, devArgs(port)...)
	if err := startUntilReady(t, c, port, 3*time.Minute, func() { _ = c.Process.Signal(os.Interrupt) }); err != nil {
		t.Fatal(err)
	}
	t.Log("kefu dev ran from the image's filesystem (chroot, uid 65532)")
}

// maxBinary is the budget of the production binary built as `make kefu`
// does (-s -w): the goal of issue 14 is ≤ 60 MB.
const maxBinary = 60_000_000

// buildKefu builds the production binary as `make kefu` does (static,
// -trimpath, -s -w) and checks it against its budget and that the linker
// could drop unused methods: a reachable call that looks a method up by a
// run-time name (reflect's Method/MethodByName, marked <ReflectMethod> in
// the linker's -dumpdep output) makes it keep every exported method of
// every type stored in an interface (8 MB more when bleve pulled in
// reflect2; see README.md, "production `kefu` binary").
func buildKefu(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "kefu")
	build := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w -dumpdep", "-o", bin, "./cmd/kefu")
	build.Dir = "../.."
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	var stderr bytes.Buffer
	build.Stderr = &stderr
	if err := build.Run(); err != nil {
		t.Fatalf("go build: %v\n%s", err, lastLines(stderr.String(), 40))
	}
	seen := map[string]bool{}
	for _, m := range reflectMethod.FindAllStringSubmatch(stderr.String(), -1) {
		seen[m[1]] = true
	}
	if len(seen) > 0 {
		var fns []string
		for f := range seen {
			fns = append(fns, f)
		}
		sort.Strings(fns)
		t.Errorf("the linker keeps every exported method: these reachable functions look methods up by a run-time name:\n%s",
			strings.Join(fns[:min(len(fns), 20)], "\n"))
	}
	st, err := os.Stat(bin)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("kefu: %d bytes (-s -w)", st.Size())
	if st.Size() > maxBinary {
		t.Errorf("kefu is %d bytes, over its budget of %d (issue 14): see what grew with go tool nm -size -sort size", st.Size(), maxBinary)
	}
	return bin
}

// reflectMethod finds, in -dumpdep output, a function the linker marked
// as looking methods up by a run-time name.
var reflectMethod = regexp.MustCompile(`(\S+) <ReflectMethod>`)

// errRuntime: the container could not be started at all (the OCI runtime
// refused), as opposed to the binary failing inside it.
var errRuntime = errors.New("OCI runtime refused the container")

// errNotReady: the server did not answer in time (a container runtime
// that hangs here, or a very slow machine).
var errNotReady = errors.New("kefu dev not ready")

// startUntilReady starts c and waits (at most wait) until kefu dev answers /healthz and
// /readyz with 200, then stops it (stop) and waits for it to exit.
func startUntilReady(t *testing.T, c *exec.Cmd, port int, wait time.Duration, stop func()) error {
	t.Helper()
	var out syncbuf.Buffer
	c.Stdout, c.Stderr = &out, &out
	if err := c.Start(); err != nil {
		return fmt.Errorf("start %s: %w", c.Path, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- c.Wait() }()
	defer func() {
		stop()
		select {
		case <-exited:
		case <-time.After(20 * time.Second):
			_ = c.Process.Kill()
			<-exited
		}
	}()
	base := "http://127.0.0.1:" + strconv.Itoa(port)
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(wait)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			exited <- err // for the deferred wait
			if strings.Contains(out.String(), "OCI") {
				return fmt.Errorf("%w: %v: %s", errRuntime, err, lastLines(out.String(), 5))
			}
			return fmt.Errorf("kefu exited before it was ready: %v\n%s", err, lastLines(out.String(), 40))
		case <-time.After(200 * time.Millisecond):
		}
		if statusOf(client, base+"/healthz") == http.StatusOK && statusOf(client, base+"/readyz") == http.StatusOK {
			return nil
		}
	}
	return fmt.Errorf("%w after %s:\n%s", errNotReady, wait, lastLines(out.String(), 40))
}

func statusOf(c *http.Client, url string) int {
	resp, err := c.Get(url)
	if err != nil {
		return 0
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// checkConfig: the image runs kefu as the unprivileged user, with /data.
func checkConfig(t *testing.T, podman, tag string) {
	t.Helper()
	out, err := exec.Command(podman, "image", "inspect", tag).Output()
	if err != nil {
		t.Fatalf("podman image inspect: %v", err)
	}
	var imgs []struct {
		Config struct {
			User       string
			Entrypoint []string
			WorkingDir string
			Volumes    map[string]struct{}
		}
		RootFS struct{ Layers []string }
	}
	if err := json.Unmarshal(out, &imgs); err != nil || len(imgs) != 1 {
		t.Fatalf("podman image inspect: %v %s", err, out)
	}
	cfg := imgs[0].Config
	if cfg.User != "65532:65532" {
		t.Errorf("image user %q, want 65532:65532 (not root)", cfg.User)
	}
	if strings.Join(cfg.Entrypoint, " ") != "/usr/local/bin/kefu" || cfg.WorkingDir != "/data" {
		t.Errorf("entrypoint %q, working dir %q", cfg.Entrypoint, cfg.WorkingDir)
	}
	if _, ok := cfg.Volumes["/data"]; !ok {
		t.Errorf("no /data volume: %v", cfg.Volumes)
	}
}

// exportRootfs unpacks the image's filesystem (podman create + export) into
// a temporary folder, keeping owners and modes.
func exportRootfs(t *testing.T, podman, tag string) string {
	t.Helper()
	id, err := exec.Command(podman, "create", tag).Output()
	if err != nil {
		t.Fatalf("podman create: %v", err)
	}
	ctr := strings.TrimSpace(string(id))
	defer func() { _ = exec.Command(podman, "rm", "-f", ctr).Run() }()
	out, err := exec.Command(podman, "export", ctr).Output()
	if err != nil {
		t.Fatalf("podman export: %v", err)
	}
	root := t.TempDir()
	if err := os.Chmod(root, 0o755); err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(bytes.NewReader(out))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("image tar: %v", err)
		}
		name := filepath.Clean("/" + h.Name)
		p := filepath.Join(root, name)
		mode := os.FileMode(h.Mode).Perm()
		if h.Mode&0o1000 != 0 {
			mode |= os.ModeSticky
		}
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, b, 0o600); err != nil {
				t.Fatal(err)
			}
		case tar.TypeSymlink:
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(h.Linkname, p); err != nil {
				t.Fatal(err)
			}
			continue
		case tar.TypeLink:
			if err := os.Link(filepath.Join(root, filepath.Clean("/"+h.Linkname)), p); err != nil {
				t.Fatal(err)
			}
			continue
		default:
			continue
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		if os.Geteuid() == 0 {
			if err := os.Lchown(p, h.Uid, h.Gid); err != nil {
				t.Fatal(err)
			}
		}
	}
	return root
}

// checkRootfs: the files the binary needs are there and usable, owned and
// moded as a non-root process needs them, and nothing else is (no shell).
func checkRootfs(t *testing.T, root string) {
	t.Helper()
	st, err := os.Stat(filepath.Join(root, "usr/local/bin/kefu"))
	if err != nil || st.Mode().Perm()&0o111 == 0 || st.Size() == 0 {
		t.Fatalf("usr/local/bin/kefu: %v %v", err, st)
	}
	pem, err := os.ReadFile(filepath.Join(root, "etc/ssl/certs/ca-certificates.crt"))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) || strings.Count(string(pem), "BEGIN CERTIFICATE") < 50 {
		t.Errorf("CA bundle with %d certificates", strings.Count(string(pem), "BEGIN CERTIFICATE"))
	}
	for _, zone := range []string{"Asia/Shanghai", "Europe/Berlin", "America/Sao_Paulo", "UTC"} {
		b, err := os.ReadFile(filepath.Join(root, "usr/share/zoneinfo", zone))
		if err != nil {
			t.Errorf("zoneinfo %s: %v", zone, err)
			continue
		}
		loc, err := time.LoadLocationFromTZData(zone, b)
		if err != nil {
			t.Errorf("zoneinfo %s: %v", zone, err)
			continue
		}
		if zone == "Asia/Shanghai" {
			if _, off := time.Date(2026, 7, 1, 0, 0, 0, 0, loc).Zone(); off != 8*3600 {
				t.Errorf("Asia/Shanghai offset %d", off)
			}
		}
	}
	passwd, _ := os.ReadFile(filepath.Join(root, "etc/passwd"))
	if !strings.Contains(string(passwd), "kefu:x:65532:65532:") {
		t.Errorf("etc/passwd:\n%s", passwd)
	}
	if st, err := os.Stat(filepath.Join(root, "tmp")); err != nil || st.Mode()&os.ModeSticky == 0 || st.Mode().Perm() != 0o777 {
		t.Errorf("tmp: %v %v", err, st)
	}
	if st, err := os.Stat(filepath.Join(root, "data")); err != nil || !st.IsDir() {
		t.Errorf("data: %v", err)
	} else if os.Geteuid() == 0 && st.Sys().(*syscall.Stat_t).Uid != kefuUID {
		t.Errorf("data owned by %d, want %d", st.Sys().(*syscall.Stat_t).Uid, kefuUID)
	}
	for _, shell := range []string{"bin/sh", "bin/bash", "bin/busybox", "usr/bin/env"} {
		if _, err := os.Lstat(filepath.Join(root, shell)); err == nil {
			t.Errorf("%s in the image: it is meant to hold the binary and its data only", shell)
		}
	}
	var top []string
	entries, _ := os.ReadDir(root)
	for _, e := range entries {
		top = append(top, e.Name())
	}
	// podman export adds the mount points and files a runtime needs.
	allowed := map[string]bool{"data": true, "etc": true, "tmp": true, "usr": true, "dev": true, "proc": true, "sys": true, "run": true}
	for _, name := range top {
		if !allowed[name] {
			t.Errorf("unexpected /%s in the image (top level: %v)", name, top)
		}
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func randomHex(t *testing.T) string {
	t.Helper()
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
