package central

import (
	"encoding/json"
	"testing"
	"time"
)

func TestAuthVerifyOverNATS(t *testing.T) {
	e := newEnv(t)
	s := e.start(e.config())
	a := newApp(t, s) // Register starts the responder
	tok := a.login("demo", demoEmail, demoPassword)

	ask := func(body string) AuthVerifyReply {
		t.Helper()
		m, err := e.nc.Request(SubjectAuthVerify, []byte(body), 10*time.Second)
		if err != nil {
			t.Fatalf("request %s: %v", body, err)
		}
		var r AuthVerifyReply
		if err := json.Unmarshal(m.Data, &r); err != nil {
			t.Fatalf("reply %q: %v", m.Data, err)
		}
		return r
	}
	good := ask(`{"v":1,"token":"` + tok + `"}`)
	if good.Error != "" || good.Tenant != "demo" || good.Email != demoEmail || good.Agent == "" || good.V != 1 {
		t.Fatalf("valid token: %+v", good)
	}
	for _, tc := range []struct{ name, body, want string }{
		{"unknown token", `{"v":1,"token":"deadbeef"}`, CodeUnauthorized},
		{"empty token", `{"v":1,"token":""}`, CodeUnauthorized},
		{"no token", `{"v":1}`, CodeUnauthorized},
		{"not json", `{"v":1,"tok`, CodeBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := ask(tc.body)
			if r.Error != tc.want || r.Tenant != "" || r.Agent != "" {
				t.Fatalf("reply %+v, want error %q and nothing else", r, tc.want)
			}
		})
	}
	// After logout the token no longer verifies.
	if code := a.do("POST", "/v1/logout", tok, nil, nil); code != 204 {
		t.Fatalf("logout: %d", code)
	}
	if r := ask(`{"v":1,"token":"` + tok + `"}`); r.Error != CodeUnauthorized {
		t.Fatalf("after logout: %+v", r)
	}
}
