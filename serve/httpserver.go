package serve

import (
	"net/http"
	"time"
)

// Server timeouts. A Data Action call is a small JSON body answered in
// milliseconds (the engine decides in microseconds; Redis adds round
// trips), so generous bounds still stop a client that trickles headers or
// a body, or never reads its answer, from holding a connection.
const (
	ReadHeaderTimeout = 5 * time.Second
	// ReadTimeout bounds headers and body together; DefaultBodyTimeout
	// bounds the body alone from the handler.
	ReadTimeout  = 15 * time.Second
	WriteTimeout = 30 * time.Second
	IdleTimeout  = 90 * time.Second
)

// NewHTTPServer returns an http.Server for h with the timeouts above.
func NewHTTPServer(h http.Handler) *http.Server {
	return &http.Server{Handler: h, ReadHeaderTimeout: ReadHeaderTimeout, ReadTimeout: ReadTimeout,
		WriteTimeout: WriteTimeout, IdleTimeout: IdleTimeout, MaxHeaderBytes: 64 << 10}
}
