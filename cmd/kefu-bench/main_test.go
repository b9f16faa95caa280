package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		code    int
		wantOut string
		wantErr string
	}{
		{"no benchmark", nil, 2, "", "usage: kefu bench"},
		{"help lists edge and plugins", []string{"help"}, 0, "edge", ""},
		{"unknown", []string{"teleport"}, 2, "", `unknown benchmark "teleport"`},
		{"edge bad flag", []string{"edge", "--no-such-flag"}, 2, "", "flag provided but not defined"},
		{"analytics unknown store", []string{"analytics", "-stores", "sqlite,mysql"}, 2, "", `unknown store "mysql"`},
		{"analytics bad database name", []string{"analytics", "-stores", "postgres", "-postgres", "postgres://127.0.0.1:1/x", "-pg-db", "Bad-Name"}, 1, "", `database name "Bad-Name"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := run(t.Context(), tt.args, strings.NewReader(""), &out, &errOut)
			if code != tt.code || !strings.Contains(out.String(), tt.wantOut) || !strings.Contains(errOut.String(), tt.wantErr) {
				t.Fatalf("kefu bench %v = %d\nstdout %q\nstderr %q", tt.args, code, out.String(), errOut.String())
			}
		})
	}
}
