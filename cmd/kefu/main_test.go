package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		stdin      string
		code       int
		wantOut    string
		wantErrOut string
	}{
		{"help", []string{"help"}, "", 0, "commands:", ""},
		{"no args", nil, "", 0, "dev", ""},
		{"unknown", []string{"teleport"}, "", 2, "", `unknown command "teleport"`},
		{"pii scan", []string{"pii", "scan"}, "call 13812345678\n", 0, `"text":"call [PHONE]"`, ""},
		{"edge vault without plugins", []string{"edge", "--vault-dir", "x"}, "", 1, "", "need --plugins"},
		{"central bad edge url", []string{"central", "--edge-url", "eu"}, "", 2, "", "want REGION=URL"},
		{"edge leaf and nats", []string{"edge", "--leaf", "nats://127.0.0.1:1", "--nats", "nats://127.0.0.1:2"}, "", 1, "", "exclude each other"},
		{"edge leaf domain is central's", []string{"edge", "--leaf", "nats://127.0.0.1:1", "--leaf-domain", "central"}, "", 1, "", "must be distinct"},
		{"central leaf port without embedded nats", []string{"central", "--leaf-port", "7422"}, "", 1, "", "needs --embed-nats"},
		{"dev bad flag", []string{"dev", "--no-such-flag"}, "", 2, "", "flag provided but not defined"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := run(t.Context(), tt.args, strings.NewReader(tt.stdin), &out, &errOut)
			if code != tt.code || !strings.Contains(out.String(), tt.wantOut) || !strings.Contains(errOut.String(), tt.wantErrOut) {
				t.Fatalf("kefu %v = %d\nstdout %q\nstderr %q\nwant %d, stdout ∋ %q, stderr ∋ %q",
					tt.args, code, out.String(), errOut.String(), tt.code, tt.wantOut, tt.wantErrOut)
			}
		})
	}
}
