package load

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	fake "github.com/shadowq/shadowq/fakes/genesys"
)

// world is the fake Genesys Cloud a run drives: in-process (*fake.Full)
// or a running `shadowq fake` through its admin API (adminWorld).
type world interface {
	// CreateConversation puts a conversation needing skill in the
	// fake's first queue and returns its id.
	CreateConversation(ctx context.Context, skill string) (string, error)
	// SetPresence changes a user's presence to the definition.
	SetPresence(ctx context.Context, userID, definitionID string) error
	// Delivered is the set of conversations with at least one delivery
	// in the fake's delivery log.
	Delivered(ctx context.Context) (map[string]bool, error)
}

// localWorld is the fake in this process.
type localWorld struct{ f *fake.Full }

func (w localWorld) CreateConversation(_ context.Context, skill string) (string, error) {
	return w.f.CreateConversation(fake.NewConversation{Skills: []string{skill}, Priority: 3})
}

func (w localWorld) SetPresence(_ context.Context, userID, def string) error {
	return w.f.SetPresence(userID, def, "")
}

func (w localWorld) Delivered(context.Context) (map[string]bool, error) {
	return deliveredOf(w.f.State()), nil
}

func deliveredOf(st fake.State) map[string]bool {
	got := make(map[string]bool, len(st.Deliveries))
	for _, d := range st.Deliveries {
		got[d.ConversationID] = true
	}
	return got
}

// adminWorld is a running fake, driven through /_fake/ with its admin
// token.
type adminWorld struct {
	base  string // http://host:port, no trailing slash
	token string
	c     *http.Client
}

func newAdminWorld(base, token string) *adminWorld {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 256
	return &adminWorld{base: strings.TrimSuffix(base, "/"), token: token, c: &http.Client{Timeout: 30 * time.Second, Transport: tr}}
}

// do sends one admin request; a non-2xx answer is an error carrying the
// fake's error body.
func (w *adminWorld) do(ctx context.Context, method, path string, body any, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, w.base+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+w.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := w.c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
		return fmt.Errorf("fake admin %s %s: HTTP %d: %s", method, path, resp.StatusCode, strings.TrimSpace(string(b)))
	}
	if out == nil {
		_, err = io.Copy(io.Discard, resp.Body)
		return err
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

func (w *adminWorld) CreateConversation(ctx context.Context, skill string) (string, error) {
	var resp struct {
		ID string `json:"id"`
	}
	err := w.do(ctx, "POST", "/_fake/conversations", fake.NewConversation{Skills: []string{skill}, Priority: 3}, &resp)
	return resp.ID, err
}

func (w *adminWorld) SetPresence(ctx context.Context, userID, def string) error {
	return w.do(ctx, "PUT", "/_fake/users/"+url.PathEscape(userID)+"/presence", map[string]string{"definitionId": def}, nil)
}

func (w *adminWorld) state(ctx context.Context) (fake.State, error) {
	var st fake.State
	err := w.do(ctx, "GET", "/_fake/state", nil, &st)
	return st, err
}

func (w *adminWorld) Delivered(ctx context.Context) (map[string]bool, error) {
	st, err := w.state(ctx)
	if err != nil {
		return nil, err
	}
	return deliveredOf(st), nil
}
