// Package genesys is a wire-faithful fake of the parts of Genesys Cloud that
// shadowq talks to: OAuth client credentials, the REST resources for users,
// presence, routing status, conversations and user analytics, with the real
// paths, JSON shapes, status codes and error bodies of
// shared/genesys-api.md.
//
// Like miniredis it is a real server speaking the real protocol, so the
// official platform-client-sdk-go works against it unmodified, plus knobs
// the real service lacks: seeded state (Options.Org), an accelerated clock
// (Options.TimeScale), per-user answer behaviour, injected 429s, 503s,
// latency and token revocation, and an admin API under /_fake/ that reads
// the true state of everyone.
//
// The Notification API (channels, subscriptions, WebSocket) lives in the
// notify subpackage; this package feeds it every change through a
// wire.Publisher and lends it Server.Authorize to check bearer tokens.
//
// Concurrency: a Server is safe for concurrent use. Org state sits behind
// one lock; events are published while it is held, so each user's events
// reach the Publisher in the order the changes happened.
package genesys
