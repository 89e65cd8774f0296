// Package notify is the Notification API half of the fake Genesys Cloud: the
// channel and subscription REST endpoints under /api/v2/notifications/ and the
// pre-authorised WebSocket at /channels/{id} that carries topic events,
// heartbeats and control replies (shared/genesys-api.md §2 and §3).
//
// It is an honest fake in the miniredis sense: a real HTTP and WebSocket
// server that speaks the documented wire format, enforces the documented
// limits (20 channels per OAuth client, 1,000 topics per channel, one socket
// per channel, 24 h channel lifetime, combined topics of at most 200
// characters), and adds knobs the real service lacks: drop every socket,
// pause delivery, inject drop/duplicate/reorder/delay faults from a seed,
// send v2.system.socket_closing on demand, expire a channel now, and run
// channel lifetime and heartbeats on a faster clock.
//
// Where the reference marks behaviour as unverified, the fake picks one
// documented shape and says so next to the code; the choices that matter
// to a client are options (CombinedCountsPerPart, ExtendOnSubscribe).
//
// Choices made where the reference is silent or unverified:
//
//   - Close codes: a socket replaced by a second connection to its channel
//     gets 1000; after v2.system.socket_closing, 1001; a dead channel
//     (expired, replaced by the 21st, unknown) gets {"result":"404",...}
//     then 1000; DropSockets, slow consumers and Close send no close frame
//     (the client sees 1006).
//   - Socket subscribe replies are {"correlationId","topics","result":"200",
//     "status":"subscribed"|"unsubscribed"}; failures {"result":"400",
//     "status":"error","message",topics:[]}, also for frames that are not
//     a known client message. Unsubscribe removes entries exactly as given.
//   - Channels belong to the OAuth client that created them; another
//     client's channel id answers 404 entity.not.found.
//   - Unknown topics (KnownTopic false) are notification.invalid.topic, like
//     malformed ones. MaxTopics is enforced even with ignoreErrors=true, and
//     a failed request changes nothing.
//   - POST and PUT subscriptions answer with all of the channel's topics
//     (state Permitted), then this request's Rejected entries; DELETE
//     answers 200 with no body.
//   - A channel's expiry is Now()+24 h as reported in expires; it dies after
//     24 h/TimeScale of real time, or as soon as the Now clock passes
//     expires (checked on every request and heartbeat).
//
// Concurrency: a Hub is safe for concurrent use. Publish never blocks on a
// consumer: every socket has a bounded queue drained by one writer goroutine,
// and a socket whose queue is full is dropped as a slow consumer.
package notify
