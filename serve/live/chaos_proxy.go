package live

import (
	"errors"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"time"

	"github.com/shadowq/shadowq/fakes/genesys"
)

// callerProxy sits between one replica incarnation and the fake: it tags
// every REST call with the replica's name (genesys.CallerHeader, which the
// fake's truth log records) and, closed, cuts the replica off from Genesys
// at once, mid-request, as a kill -9 does. WebSockets go straight to the
// fake (the channel's connectUri names it), and are cut by cancelling the
// replica.
type callerProxy struct {
	srv *http.Server
	tr  *http.Transport
	url string
}

func startCallerProxy(target, caller string) (*callerProxy, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	tr := &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 16, IdleConnTimeout: 30 * time.Second}
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.Transport = tr
	inner := rp.Director
	rp.Director = func(r *http.Request) {
		inner(r)
		r.Header.Set(genesys.CallerHeader, caller)
	}
	rp.ErrorHandler = func(w http.ResponseWriter, r *http.Request, err error) {
		// The replica is being killed, or the fake is closing: drop the
		// connection as a dead peer would.
		panic(http.ErrAbortHandler)
	}
	p := &callerProxy{srv: &http.Server{Handler: rp, ReadHeaderTimeout: 10 * time.Second}, tr: tr, url: "http://" + ln.Addr().String()}
	go func() {
		if err := p.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			return
		}
	}()
	return p, nil
}

// cut closes the listener and every connection, in flight or idle.
func (p *callerProxy) cut() {
	p.srv.Close()
	p.tr.CloseIdleConnections()
}
