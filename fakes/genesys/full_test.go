package genesys

import (
	"net/http"
	"strings"
	"testing"

	"github.com/shadowq/shadowq/fakes/genesys/notify"
)

func TestFullHubAdminRoutes(t *testing.T) {
	f, err := NewFull(Options{}, notify.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	base, err := f.Start("")
	if err != nil {
		t.Fatal(err)
	}
	call := func(method, path, body, token string) int {
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	admin := f.AdminToken()
	cases := []struct {
		method, path, body, token string
		code                      int
	}{
		{"POST", "/_fake/notifications/pause", `{"paused":true}`, admin, 200},
		{"POST", "/_fake/notifications/pause", `{"paused":true}`, "", 401},
		{"POST", "/_fake/notifications/pause", `{"paused":`, admin, 400},
		{"POST", "/_fake/notifications/faults", `{"Drop":0.1,"DelayMs":5}`, admin, 200},
		{"POST", "/_fake/notifications/faults", `{"Colour":1}`, admin, 400},
		{"POST", "/_fake/notifications/drop-sockets", ``, admin, 200},
		{"GET", "/_fake/notifications/stats", ``, admin, 200},
		{"GET", "/_fake/notifications/stats", ``, "wrong", 401},
	}
	for _, c := range cases {
		if got := call(c.method, c.path, c.body, c.token); got != c.code {
			t.Errorf("%s %s %s: %d, want %d", c.method, c.path, c.body, got, c.code)
		}
	}
}
