package genesys

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
)

// regionDomains maps AWS region codes to Genesys Cloud domains
// (shared/genesys-api.md §1). mx-central-1, ap-southeast-1 and
// eusc-de-east-1 are only listed by the JavaScript SDK's
// PureCloudRegionHosts.js; they are kept because a wrong guess costs a
// failed login, not a wrong answer.
var regionDomains = map[string]string{
	"us-east-1":      "mypurecloud.com",
	"us-east-2":      "use2.us-gov-pure.cloud",
	"us-west-2":      "usw2.pure.cloud",
	"ca-central-1":   "cac1.pure.cloud",
	"sa-east-1":      "sae1.pure.cloud",
	"eu-west-1":      "mypurecloud.ie",
	"eu-west-2":      "euw2.pure.cloud",
	"eu-central-1":   "mypurecloud.de",
	"eu-central-2":   "euc2.pure.cloud",
	"me-central-1":   "mec1.pure.cloud",
	"ap-south-1":     "aps1.pure.cloud",
	"ap-southeast-2": "mypurecloud.com.au",
	"ap-northeast-1": "mypurecloud.jp",
	"ap-northeast-2": "apne2.pure.cloud",
	"ap-northeast-3": "apne3.pure.cloud",
	"mx-central-1":   "mxc1.pure.cloud",
	"ap-southeast-1": "apse1.pure.cloud",
	"eusc-de-east-1": "edee1.eusc-pure.cloud",
}

// Regions returns the known AWS region codes, sorted.
func Regions() []string {
	out := make([]string, 0, len(regionDomains))
	for k := range regionDomains {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// BaseURL turns what an operator configures (GENESYSCLOUD_REGION) into the
// Platform API base URL, without a trailing slash. It accepts, as the gc CLI
// does:
//
//   - an AWS region code ("us-east-1", "eu-central-1"), mapped to its domain;
//   - a domain ("mypurecloud.ie", or anything else containing a dot), used
//     as https://api.<domain> (a leading "api." is not doubled);
//   - a full base URL ("http://127.0.0.1:8787", "https://api.example"),
//     used as is; this is how the fake is reached.
func BaseURL(region string) (string, error) {
	r := strings.TrimSpace(region)
	switch {
	case r == "":
		return "", fmt.Errorf("genesys region: empty; set a region code such as us-east-1, a domain such as mypurecloud.com, or a base URL")
	case strings.HasPrefix(r, "http://") || strings.HasPrefix(r, "https://"):
		u, err := url.Parse(r)
		if err != nil || u.Host == "" {
			return "", fmt.Errorf("genesys region %q: not a usable base URL (want scheme://host[:port])", region)
		}
		if u.RawQuery != "" || u.Fragment != "" {
			return "", fmt.Errorf("genesys region %q: a base URL takes no query or fragment", region)
		}
		return strings.TrimRight(r, "/"), nil
	case strings.Contains(r, "://"):
		return "", fmt.Errorf("genesys region %q: only http and https base URLs are supported", region)
	case strings.Contains(r, "."):
		d := strings.ToLower(strings.TrimRight(r, "/"))
		if strings.ContainsAny(d, "/ ?#@") {
			return "", fmt.Errorf("genesys region %q: not a domain (use a base URL with a scheme for paths)", region)
		}
		d = strings.TrimPrefix(d, "api.")
		return "https://api." + d, nil
	}
	if d, ok := regionDomains[strings.ToLower(r)]; ok {
		return "https://api." + d, nil
	}
	return "", fmt.Errorf("genesys region %q: unknown region code; known codes: %s (or give a domain or base URL)", region, strings.Join(Regions(), ", "))
}

// LoginURL is the OAuth base for an API base URL. Like the SDKs it replaces
// "//api." with "//login."; any other host (the fake, a proxy) serves
// /oauth/token itself and is returned unchanged.
func LoginURL(api string) string {
	return strings.Replace(api, "//api.", "//login.", 1)
}

// StreamingHost is the Notification API WebSocket host for an API base
// URL: streaming.<domain> for //api.<domain>, otherwise the API's own host
// (and port). The feed connects to whatever connectUri a channel names;
// this is for logs, proxies and firewall rules.
func StreamingHost(api string) string {
	u, err := url.Parse(api)
	if err != nil || u.Host == "" {
		return ""
	}
	if rest, ok := strings.CutPrefix(u.Host, "api."); ok {
		return "streaming." + rest
	}
	return u.Host
}
