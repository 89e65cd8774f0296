package reports

import (
	"bytes"
	"testing"
)

func TestWriteMarkdownGolden(t *testing.T) {
	var b bytes.Buffer
	if err := WriteMarkdown(&b, fixture()); err != nil {
		t.Fatal(err)
	}
	golden(t, "report.md", b.Bytes())
}

func TestMarkdownEscaping(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"a|b", `a\|b`},                 // would end a table cell
		{"hold.mean_x", `hold.mean\_x`}, // would start emphasis
		{"<script>", `\<script\>`},      // raw HTML
		{"two\nlines", "two lines"},     // would break a table row
		{"plain 74.2s", "plain 74.2s"},  // nothing to do
	} {
		if got := mdEscape(tc.in); got != tc.want {
			t.Errorf("mdEscape(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if got, want := mdCode("a `b` c"), "`` a `b` c ``"; got != want {
		t.Errorf("mdCode = %q, want %q", got, want)
	}
}
