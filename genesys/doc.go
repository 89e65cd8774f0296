// Package genesys is the live Genesys Cloud adapter of the routing engine:
// it turns the Platform API and the Notification API into the engine's
// inputs (engine.Event batches, engine.Snapshot resyncs) and carries the
// engine's outputs (engine.Delivery) back to Genesys.
//
// The pieces, each in its own file:
//
//   - region.go: AWS region codes, domains and base URLs (BaseURL, LoginURL,
//     StreamingHost).
//   - token.go: TokenManager, the OAuth client-credentials token with early,
//     single-flight refresh. The Go SDK's own refresh is never enabled (it
//     panics when a refresh fails).
//   - rest.go, sdk.go, retry.go, budget.go: Client, the REST side. Calls go
//     through the official SDK (platformclientv2) where it fits, with one
//     retry policy for all of them: 401 → one refresh and retry, 429 →
//     Retry-After, 5xx → exponential backoff with jitter, all inside a
//     request budget (a token bucket, ≈ 300 requests/min per token).
//   - httpx.go: the plain net/http exchange for the calls that bypass the SDK.
//   - directory.go, resync.go, resyncer.go: presence definitions, users,
//     queue members; bulk presence plus routing status → engine.Snapshot,
//     and Resyncer, which runs it every minute and after every feed gap.
//   - deliver.go: Client.Deliver with three modes (/assign, preferred agent,
//     blind transfer); /assign is never blindly re-issued.
//   - feed.go, channel.go, frame.go, dedupe.go: Feed, the Notification API
//     client (channels, subscriptions, WebSocket, heartbeat watchdog,
//     reconnects, rollover with overlap and de-duplication).
//   - dispatch.go: Dispatcher, the engine.Dispatcher (and
//     engine.ConversationChecker) that queues deliveries and conversation
//     checks and reports failures and check answers as engine.Outcome
//     values; failures carry an engine.Fault (errors.go: deliveryFault).
//   - check.go: Client.CheckDelivery, what GET /api/v2/conversations/{id}
//     says about a delivery (connected, ringing, ended, with another agent).
//   - errors.go, metrics.go: APIError, OAuthError and the sentinel errors;
//     the Metrics interface the caller implements.
//
// Wiring, as the serve loop would do it (loop is a serve.Loop):
//
//	api, _ := genesys.BaseURL(os.Getenv("GENESYSCLOUD_REGION"))
//	tm, _ := genesys.NewTokenManager(genesys.TokenOptions{Login: genesys.LoginURL(api),
//		ClientID: os.Getenv("GENESYSCLOUD_OAUTHCLIENT_ID"), ClientSecret: os.Getenv("GENESYSCLOUD_OAUTHCLIENT_SECRET")})
//	c, _ := genesys.NewClient(genesys.Options{API: api, Tokens: tm, Metrics: m})
//	rs, _ := genesys.NewResyncer(c, pool, 0, func(s engine.Snapshot, err error) { _ = loop.ApplySnapshot(ctx, s) })
//	feed, _ := genesys.NewFeed(genesys.FeedOptions{Client: c, Users: pool,
//		OnEvents: func(evs []engine.Event) { _ = loop.Apply(ctx, evs) }, OnGap: rs.Trigger})
//	disp, _ := genesys.NewDispatcher(genesys.DispatcherOptions{Client: c,
//		OnOutcome: func(o engine.Outcome) { _ = loop.HandleOutcome(ctx, o) }})
//	// engine.Config{Dispatcher: disp, ...}; then run feed.Run, rs.Run and
//	// disp.Run on goroutines of their own.
//
// Nothing here touches the engine directly: the caller (the serve loop) owns
// the engine and feeds it what the Feed, Resync and Dispatcher report. All
// callbacks say which goroutine calls them; none of them may call back into
// the type that called them.
package genesys
