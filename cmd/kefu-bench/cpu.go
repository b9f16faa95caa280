package main

import (
	"errors"
	"fmt"
	"os"
	"runtime/pprof"
	"strconv"
	"strings"

	"github.com/kefu-io/kefu/internal/proccpu"
)

// errNoCPULine is returned when /proc/stat has no aggregate "cpu" line.
var errNoCPULine = errors.New("no cpu line in /proc/stat")

// selfCPU is this process's CPU time (user + system) in seconds: what the
// load generator itself costs the machine it shares with the server.
func selfCPU() float64 { return proccpu.Used().Seconds() }

// machineCPU is the CPU time every core of the machine has spent busy
// (everything but idle and iowait), in seconds, from /proc/stat; 0 when it
// cannot be read.
func machineCPU() float64 {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	s, err := parseProcStat(string(b))
	if err != nil {
		return 0
	}
	return s
}

// parseProcStat returns the busy seconds of /proc/stat's aggregate "cpu"
// line (fields in USER_HZ = 100 per second: user nice system idle iowait irq
// softirq steal; guest time is already in user).
func parseProcStat(s string) (float64, error) {
	for line := range strings.Lines(s) {
		f := strings.Fields(line)
		if len(f) < 5 || f[0] != "cpu" {
			continue
		}
		var busy int64
		for i, v := range f[1:] {
			if i >= 8 { // guest, guest_nice: counted in user and nice
				break
			}
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return 0, err
			}
			if i == 3 || i == 4 { // idle, iowait
				continue
			}
			busy += n
		}
		return float64(busy) / 100, nil
	}
	return 0, errNoCPULine
}

// startSelfProfile starts this process's CPU profile into path (nothing when
// path is empty); the returned function stops it and closes the file.
func startSelfProfile(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("self profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("self profile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}
