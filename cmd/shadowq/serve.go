package main

import (
	"flag"
	"fmt"
	"io"
	"log/slog"

	"github.com/shadowq/shadowq/engine/serve"
	"github.com/shadowq/shadowq/engine/serve/live"
)

// runServe implements `shadowq serve --config shadowq.yaml [--listen ADDR]`.
func runServe(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	config := fs.String("config", "shadowq.yaml", "config file")
	listen := fs.String("listen", "", "Data Action API address (overrides the config's listen)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: shadowq serve --config shadowq.yaml [--listen ADDR]\n\nreads GENESYSCLOUD_REGION, GENESYSCLOUD_OAUTHCLIENT_ID, GENESYSCLOUD_OAUTHCLIENT_SECRET, REDIS_URL (optional) and the Data Action secret named in the config")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return exitBadInput
	}
	cfg, err := serve.LoadConfig(*config)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitBadInput
	}
	log := slog.New(slog.NewJSONHandler(stderr, nil))
	ctx, stop := runContext()
	defer stop()
	srv, err := live.New(ctx, cfg, live.EnvFromOS(), log)
	if err != nil {
		fmt.Fprintf(stderr, "shadowq serve: %v\n", err)
		return exitBadInput
	}
	addr, err := srv.Listen(*listen)
	if err != nil {
		fmt.Fprintf(stderr, "shadowq serve: %v\n", err)
		return exitBadInput
	}
	fmt.Fprintf(stdout, "shadowq serve: Data Action API at http://%s/v1/escalations (health /healthz, /readyz, metrics /metrics)\n", addr)
	if err := srv.Run(ctx); err != nil {
		fmt.Fprintf(stderr, "shadowq serve: %v\n", err)
		return exitFailed
	}
	return exitOK
}
