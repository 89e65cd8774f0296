package redisstore

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"
)

// ParseURL is redis.ParseURL with errors that never carry the URL's
// password: go-redis and net/url quote the whole URL in theirs (`parse
// "redis://u:secret@h:x": invalid port`), and a REDIS_URL error ends up in
// logs. The password is replaced by "xxxxx" in every form it may take in
// the message (raw, percent-decoded, Go-quoted).
func ParseURL(raw string) (*redis.Options, error) {
	opt, err := redis.ParseURL(raw)
	if err != nil {
		return nil, fmt.Errorf("redis URL %s: %w", Redact(raw), redactedError{msg: scrub(innerMessage(err), raw)})
	}
	return opt, nil
}

// Redact returns raw with the password of its userinfo replaced by
// "xxxxx", also when raw is too malformed to parse.
func Redact(raw string) string {
	if u, err := url.Parse(raw); err == nil && u.User != nil {
		if _, has := u.User.Password(); has {
			return u.Redacted()
		}
		return raw
	}
	user, pass, ok := splitUserinfo(raw)
	if !ok || pass == "" {
		return raw
	}
	return strings.Replace(raw, user+":"+pass+"@", user+":xxxxx@", 1)
}

// redactedError keeps the message only: the original error's chain holds
// the URL verbatim, so it is not wrapped.
type redactedError struct{ msg string }

func (e redactedError) Error() string { return e.msg }

// innerMessage drops net/url's `parse "URL": ` prefix, keeping the reason.
func innerMessage(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}

// scrub removes every form of raw's password from msg.
func scrub(msg, raw string) string {
	_, pass, ok := splitUserinfo(raw)
	if !ok || pass == "" {
		return msg
	}
	forms := []string{pass, strconv.Quote(pass), strings.Trim(strconv.Quote(pass), `"`)}
	if dec, err := url.PathUnescape(pass); err == nil {
		forms = append(forms, dec)
	}
	for _, f := range forms {
		if f != "" {
			msg = strings.ReplaceAll(msg, f, "xxxxx")
		}
	}
	return msg
}

// splitUserinfo finds user and password in scheme://user:pass@host...
// without parsing the rest (which may be what is malformed). The
// userinfo ends at the last '@' before the path.
func splitUserinfo(raw string) (user, pass string, ok bool) {
	_, rest, found := strings.Cut(raw, "://")
	if !found {
		rest = raw
	}
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		rest = rest[:i]
	}
	at := strings.LastIndex(rest, "@")
	if at < 0 {
		return "", "", false
	}
	user, pass, found = strings.Cut(rest[:at], ":")
	return user, pass, found
}
