package main

import (
	"flag"
	"fmt"
	"io"
	"net/http"
	"time"
)

// runHealthcheck implements `shadowq healthcheck [--url URL]`: exit 0 when
// URL answers 200, 1 otherwise. Container images without a shell or curl
// (scratch, distroless) use it for HEALTHCHECK and compose healthchecks.
func runHealthcheck(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("healthcheck", flag.ContinueOnError)
	fs.SetOutput(stderr)
	url := fs.String("url", "http://127.0.0.1:8080/readyz", "URL that must answer 200")
	timeout := fs.Duration("timeout", 3*time.Second, "give up after this long")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: shadowq healthcheck [--url http://127.0.0.1:8080/readyz] [--timeout 3s]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return exitBadInput
	}
	c := http.Client{Timeout: *timeout}
	resp, err := c.Get(*url)
	if err != nil {
		fmt.Fprintf(stderr, "shadowq healthcheck: %v\n", err)
		return exitFailed
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintf(stderr, "shadowq healthcheck: %s answered %d: %s\n", *url, resp.StatusCode, body)
		return exitFailed
	}
	fmt.Fprintf(stdout, "shadowq healthcheck: %s answered 200\n", *url)
	return exitOK
}
