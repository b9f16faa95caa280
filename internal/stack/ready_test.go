package stack

import (
	"context"
	"errors"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestReadyz(t *testing.T) {
	t.Parallel()
	var fail error
	app := NewApp()
	AddReady(app, func(context.Context) error { return nil }, func(context.Context) error { return fail })
	get := func(path string) (int, string) {
		resp, err := app.Test(httptest.NewRequest("GET", path, nil))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("/readyz"); code != 200 || !strings.Contains(body, `"ready":true`) {
		t.Fatalf("ready: %d %s", code, body)
	}
	fail = errors.New("edge: at its connection or memory cap")
	if code, body := get("/readyz"); code != 503 || !strings.Contains(body, "connection or memory cap") {
		t.Fatalf("not ready: %d %s", code, body)
	}
	if code, _ := get("/healthz"); code != 200 {
		t.Fatalf("healthz while not ready: %d", code)
	}
}
