package report

import (
	"strings"
	"testing"
)

// TestBaseURLWithoutCredentials: report.base_url is linked from every
// email, so one with a password is refused without repeating it.
func TestBaseURLWithoutCredentials(t *testing.T) {
	for _, tt := range []struct{ url, want string }{
		{"https://pmo.example.com/reports/", ""},
		{"https://pmo:pa55word@pmo.example.com/reports/", `report.base_url: "https://pmo:<secret>@pmo.example.com/reports/" holds credentials`},
		{"ftp://pmo:pa55word@pmo.example.com/", "is not an http(s) URL"},
	} {
		var msgs []string
		for _, e := range (Config{BaseURL: tt.url}).Validate() {
			msgs = append(msgs, e.Error())
		}
		got := strings.Join(msgs, "\n")
		if tt.want == "" && got != "" || tt.want != "" && !strings.Contains(got, tt.want) || strings.Contains(got, "pa55word") {
			t.Errorf("%s: Validate() = %q, want %q", tt.url, got, tt.want)
		}
	}
}
