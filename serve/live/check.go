package live

import (
	"fmt"
	"strconv"

	"github.com/shadowq/shadowq/engine/redisstore"
	"github.com/shadowq/shadowq/genesys"
	"github.com/shadowq/shadowq/serve"
)

// EnvVar is one environment variable serve reads (docs/config.md lists
// them all; a test keeps the two in step).
type EnvVar struct {
	Name     string
	Required bool
	Default  string
	Help     string
}

// EnvVars are the variables `shadowq serve` reads. The Data Action secret
// variables are named by the config (dataAction.tokenEnv and
// dataAction.hmacSecretEnv); their defaults are listed here.
func EnvVars() []EnvVar {
	return []EnvVar{
		{"GENESYSCLOUD_REGION", true, "", "Genesys Cloud region: a code (eu-west-1), a domain (mypurecloud.ie) or a base URL (http://127.0.0.1:8787 for `shadowq fake`)"},
		{"GENESYSCLOUD_OAUTHCLIENT_ID", true, "", "OAuth client-credentials client id"},
		{"GENESYSCLOUD_OAUTHCLIENT_SECRET", true, "", "its secret (never printed)"},
		{"GENESYSCLOUD_OAUTHCLIENT_ID_2", false, "", "further OAuth clients _2 … _9 (with _SECRET_2 … _9), each adding its own request budget"},
		{"GENESYSCLOUD_OAUTHCLIENT_SECRET_2", false, "", "the secret of client _2 (and so on up to _9)"},
		{"GENESYSCLOUD_REQUESTS_PER_MINUTE", false, "300", "each OAuth client's Platform API allowance per minute (token.rate.per.minute)"},
		{"REDIS_URL", false, "redis.url, else an embedded miniredis", "shared Redis, redis://[user:password@]host:port/db; overrides redis.url"},
		{"SHADOWQ_API_TOKEN", false, "", "Data Action bearer token (the variable named by dataAction.tokenEnv); this or the HMAC key is required"},
		{"SHADOWQ_HMAC_SECRET", false, "", "Data Action HMAC-SHA256 key (the variable named by dataAction.hmacSecretEnv)"},
	}
}

// Check validates the environment serve needs for cfg without touching
// the network: it names every missing or malformed variable (secrets are
// never shown). An empty result means `serve` would get as far as
// connecting.
func Check(cfg *serve.Config, getenv func(string) string) []string {
	var probs []string
	for _, v := range []string{"GENESYSCLOUD_REGION", "GENESYSCLOUD_OAUTHCLIENT_ID", "GENESYSCLOUD_OAUTHCLIENT_SECRET"} {
		if getenv(v) == "" {
			probs = append(probs, v+" is not set")
		}
	}
	if r := getenv("GENESYSCLOUD_REGION"); r != "" {
		if _, err := genesys.BaseURL(r); err != nil {
			probs = append(probs, fmt.Sprintf("GENESYSCLOUD_REGION: %v", err))
		}
	}
	if getenv(cfg.DataAction.TokenEnv) == "" && getenv(cfg.DataAction.HMACSecretEnv) == "" {
		probs = append(probs, fmt.Sprintf("%s and %s are not set: set one (Data Action bearer token or HMAC key)",
			cfg.DataAction.TokenEnv, cfg.DataAction.HMACSecretEnv))
	}
	if s := getenv("GENESYSCLOUD_REQUESTS_PER_MINUTE"); s != "" {
		if n, err := strconv.Atoi(s); err != nil || n < 1 {
			probs = append(probs, fmt.Sprintf("GENESYSCLOUD_REQUESTS_PER_MINUTE=%q: want a whole number of requests ≥ 1", s))
		}
	}
	for i := 2; i <= 9; i++ {
		id, sec := "GENESYSCLOUD_OAUTHCLIENT_ID_"+strconv.Itoa(i), "GENESYSCLOUD_OAUTHCLIENT_SECRET_"+strconv.Itoa(i)
		switch {
		case getenv(id) != "" && getenv(sec) == "":
			probs = append(probs, sec+" is not set (its "+id+" is)")
		case getenv(id) == "" && getenv(sec) != "":
			probs = append(probs, id+" is not set (its "+sec+" is)")
		}
	}
	url, from := getenv("REDIS_URL"), "REDIS_URL"
	if url == "" {
		url, from = cfg.Redis.URL, cfg.File+": redis.url"
	}
	if url != "" {
		if _, err := redisstore.ParseURL(url); err != nil {
			probs = append(probs, fmt.Sprintf("%s: %v", from, err))
		}
	}
	return probs
}
