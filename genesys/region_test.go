package genesys

import (
	"strings"
	"testing"
)

func TestBaseURL(t *testing.T) {
	tests := []struct {
		in, want string
		err      string // substring of the error; "" means success
	}{
		// A region code maps through the table.
		{in: "us-east-1", want: "https://api.mypurecloud.com"},
		{in: "eu-central-1", want: "https://api.mypurecloud.de"},
		{in: "ap-southeast-2", want: "https://api.mypurecloud.com.au"},
		{in: "us-east-2", want: "https://api.use2.us-gov-pure.cloud"},
		// Codes are case-insensitive and trimmed.
		{in: "  EU-WEST-1 ", want: "https://api.mypurecloud.ie"},
		// A JS-only region is known too.
		{in: "mx-central-1", want: "https://api.mxc1.pure.cloud"},
		// Anything with a dot is a domain.
		{in: "mypurecloud.jp", want: "https://api.mypurecloud.jp"},
		{in: "euw2.pure.cloud", want: "https://api.euw2.pure.cloud"},
		// A domain given with its api. prefix is not doubled.
		{in: "api.mypurecloud.com", want: "https://api.mypurecloud.com"},
		// A base URL is used as is (the fake), minus a trailing slash.
		{in: "http://127.0.0.1:8787", want: "http://127.0.0.1:8787"},
		{in: "http://127.0.0.1:8787/", want: "http://127.0.0.1:8787"},
		{in: "https://api.example.test", want: "https://api.example.test"},
		// Errors name the problem.
		{in: "", err: "empty"},
		{in: "us-north-9", err: "unknown region code"},
		{in: "ftp://x.example", err: "only http and https"},
		{in: "http://", err: "not a usable base URL"},
		{in: "example.com/path", err: "not a domain"},
		{in: "http://h.example?x=1", err: "no query"},
	}
	for _, tt := range tests {
		got, err := BaseURL(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("BaseURL(%q) = %q, %v; want error containing %q", tt.in, got, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("BaseURL(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestRegionTableCoversReference(t *testing.T) {
	// Every code of shared/genesys-api.md §1 resolves.
	for _, code := range []string{"us-east-1", "us-east-2", "us-west-2", "ca-central-1", "sa-east-1",
		"eu-west-1", "eu-west-2", "eu-central-1", "eu-central-2", "me-central-1",
		"ap-south-1", "ap-southeast-2", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
		"mx-central-1", "ap-southeast-1", "eusc-de-east-1"} {
		if _, err := BaseURL(code); err != nil {
			t.Errorf("BaseURL(%q): %v", code, err)
		}
	}
	if n := len(Regions()); n != 18 {
		t.Errorf("Regions() has %d codes, want 18", n)
	}
}

func TestLoginURLAndStreamingHost(t *testing.T) {
	tests := []struct{ api, login, streaming string }{
		{"https://api.mypurecloud.com", "https://login.mypurecloud.com", "streaming.mypurecloud.com"},
		{"https://api.use2.us-gov-pure.cloud", "https://login.use2.us-gov-pure.cloud", "streaming.use2.us-gov-pure.cloud"},
		// Other hosts (the fake) serve login and streaming themselves.
		{"http://127.0.0.1:8787", "http://127.0.0.1:8787", "127.0.0.1:8787"},
	}
	for _, tt := range tests {
		if got := LoginURL(tt.api); got != tt.login {
			t.Errorf("LoginURL(%q) = %q, want %q", tt.api, got, tt.login)
		}
		if got := StreamingHost(tt.api); got != tt.streaming {
			t.Errorf("StreamingHost(%q) = %q, want %q", tt.api, got, tt.streaming)
		}
	}
}
