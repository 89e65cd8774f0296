package genesys

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sync"

	"github.com/mypurecloud/platform-client-sdk-go/v150/platformclientv2"
)

// How the SDK is used, and why it needs care (verified against v150):
//
//   - One Configuration cannot serve concurrent calls: every CallAPI writes
//     the shared APIClient's retry fields (RetryMax, CheckRetry, ...), and
//     AccessToken is a plain field read by every call. The Client keeps a
//     small pool of Configurations (Options.SDKConns); a call holds one
//     exclusively, sets AccessToken from the TokenSource and runs.
//   - AutomaticTokenRefresh stays false (its refresher panics on failure)
//     and ShouldRefreshAccessToken false (it only works for code grants).
//   - SDK retries stay off (RetryMax 0), but the SDK's retry policy still
//     runs: with no retries left, go-retryablehttp drains a 429 or 5xx
//     response and returns only "giving up after 1 attempt(s)", losing the
//     status and Retry-After. A ResponseLogHook records every response's
//     status, headers and (for non-2xx) body before that happens, so the
//     Client's own retry policy sees the real answer.
//   - The SDK takes no context and times out after 16 s. A call runs on its
//     own goroutine; a caller whose context ends stops waiting, and the
//     Configuration returns to the pool when the request finishes.
//   - Configurations are built without a config file (the default
//     constructor reads ~/.genesyscloudgo/config, which could switch on
//     logging of headers or a proxy) and without the file watcher.

// sdkConn is one Configuration and the last response its hook saw.
// Exclusive to one call at a time (it travels through Client.pool).
type sdkConn struct {
	cfg  *platformclientv2.Configuration
	last captured
}

type captured struct {
	status int
	header http.Header
	body   []byte
}

// noConfigFile is a path that does not exist, so the SDK reads no file.
var noConfigFile = filepath.Join(os.TempDir(), "shadowq-genesys-no-sdk-config", "none")

// sdkGlobals guards the SDK's package-level logging state: building a
// Configuration writes it (LoggingConfiguration.configureLogging) and every
// CallAPI reads it, so a Client built while another's calls are in flight
// (replicas in one process, tests) races inside the SDK. Building takes
// the write lock, calls the read lock.
var sdkGlobals sync.RWMutex

func newSDKConn(api string) *sdkConn {
	c := &sdkConn{}
	sdkGlobals.Lock()
	cfg := platformclientv2.NewConfigurationWithConfigFile(noConfigFile, false)
	sdkGlobals.Unlock()
	cfg.BasePath = api
	cfg.AutomaticTokenRefresh = false
	cfg.ShouldRefreshAccessToken = false
	cfg.AutoReloadConfig = false
	cfg.ProxyConfiguration = nil
	cfg.GateWayConfiguration = nil
	cfg.RetryConfiguration = &platformclientv2.RetryConfiguration{
		RetryMax:        0,
		ResponseLogHook: c.capture,
	}
	c.cfg = cfg
	return c
}

// capture runs inside the SDK's HTTP round trip for every response. For
// non-2xx it reads the body and puts back a fresh reader, so the SDK (when
// it gets to read it) sees the same bytes.
func (c *sdkConn) capture(res *http.Response) {
	c.last = captured{status: res.StatusCode, header: res.Header.Clone()}
	if res.StatusCode >= 200 && res.StatusCode < 300 || res.Body == nil {
		return
	}
	b, _ := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	res.Body.Close()
	c.last.body = b
	res.Body = io.NopCloser(bytes.NewReader(b))
}

// sdkCall is one SDK method invocation on cfg. It returns the SDK's
// response (nil when none was produced) and error.
type sdkCall func(cfg *platformclientv2.Configuration) (*platformclientv2.APIResponse, error)

// sdk adapts an SDK call to an exchange.
func (c *Client) sdk(call sdkCall) exchange {
	return func(ctx context.Context, token string) attempt {
		var conn *sdkConn
		select {
		case conn = <-c.pool:
		case <-ctx.Done():
			return attempt{err: ctx.Err()}
		}
		done := make(chan attempt, 1)
		go func() {
			defer func() { c.pool <- conn }()
			defer func() {
				if p := recover(); p != nil {
					done <- attempt{err: fmt.Errorf("genesys: SDK panicked: %v", p)}
				}
			}()
			conn.cfg.AccessToken = token
			conn.last = captured{}
			var res *platformclientv2.APIResponse
			var err error
			func() {
				sdkGlobals.RLock()
				defer sdkGlobals.RUnlock() // also when the SDK panics
				res, err = call(conn.cfg)
			}()
			done <- conn.result(res, err)
		}()
		select {
		case a := <-done:
			return a
		case <-ctx.Done():
			return attempt{err: ctx.Err()}
		}
	}
}

// result turns what the SDK returned into an attempt.
func (c *sdkConn) result(res *platformclientv2.APIResponse, err error) attempt {
	switch {
	case res != nil && res.StatusCode != 0:
		a := attempt{status: res.StatusCode, header: http.Header(res.Header), body: res.RawBody}
		if len(a.body) == 0 && c.last.status == res.StatusCode {
			a.body = c.last.body
		}
		if res.IsSuccess && err != nil {
			// A 2xx the SDK could not decode.
			a.err = fmt.Errorf("decoding response: %w", err)
		}
		return a
	case c.last.status != 0:
		// The SDK's retry layer swallowed the response; the hook kept it.
		return attempt{status: c.last.status, header: c.last.header, body: c.last.body}
	case err != nil:
		return attempt{err: err}
	}
	return attempt{err: fmt.Errorf("genesys: SDK returned neither a response nor an error")}
}
