package genesys

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
)

// maxResponse caps a response body read through net/http.
const maxResponse = 16 << 20

// raw is an exchange through plain net/http (for the calls the SDK does
// not serve well; see Client). path is already escaped; body is JSON or nil.
func (c *Client) raw(method, path string, q url.Values, body []byte) exchange {
	return func(ctx context.Context, token string) attempt {
		u := c.api + path
		if len(q) > 0 {
			u += "?" + q.Encode()
		}
		var rd io.Reader
		if body != nil {
			rd = bytes.NewReader(body)
		}
		req, err := http.NewRequestWithContext(ctx, method, u, rd)
		if err != nil {
			return attempt{err: err}
		}
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Accept", "application/json")
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		res, err := c.hc.Do(req)
		if err != nil {
			return attempt{err: err}
		}
		defer res.Body.Close()
		b, err := io.ReadAll(io.LimitReader(res.Body, maxResponse+1))
		a := attempt{status: res.StatusCode, header: res.Header, body: b}
		switch {
		case err != nil && res.StatusCode >= 200 && res.StatusCode < 300:
			// A success whose body broke off: the call happened, the answer
			// is unreadable. Not retried blindly: the caller decides.
			a.err = fmt.Errorf("reading response: %w", err)
		case len(b) > maxResponse:
			a.err = fmt.Errorf("response larger than %d bytes", maxResponse)
		}
		return a
	}
}
