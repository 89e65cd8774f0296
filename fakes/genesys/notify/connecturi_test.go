package notify

import (
	"net/http/httptest"
	"testing"
)

// The connectUri names the host a client can dial: the base URL's, unless
// the server listens on every interface (0.0.0.0 or [::], as in a
// container), where only the Host the client used reaches it.
func TestConnectURIHost(t *testing.T) {
	for base, want := range map[string]string{
		"http://127.0.0.1:8787": "ws://127.0.0.1:8787/channels/c1",
		"https://fake.example":  "wss://fake.example/channels/c1",
		"http://0.0.0.0:8787":   "ws://fake:8787/channels/c1",
		"http://[::]:8787":      "ws://fake:8787/channels/c1",
	} {
		h := &Hub{opts: Options{BaseURL: func() string { return base }}}
		r := httptest.NewRequest("POST", "http://fake:8787/api/v2/notifications/channels", nil)
		if got := h.connectURI(r, "c1"); got != want {
			t.Errorf("base %s: connectUri %s, want %s", base, got, want)
		}
	}
}
