//go:build unix

package e2e

import (
	"fmt"
	"strings"
	"testing"
)

// outcomeTB records whether requireTool skipped or failed. Unlike
// testing.T's, its Skipf and Fatalf return.
type outcomeTB struct {
	testing.TB
	outcome string
}

func (tb *outcomeTB) Helper() {}

func (tb *outcomeTB) Skipf(format string, args ...any) {
	tb.outcome = "skip: " + fmt.Sprintf(format, args...)
}

func (tb *outcomeTB) Fatalf(format string, args ...any) {
	tb.outcome = "fail: " + fmt.Sprintf(format, args...)
}

func TestRequireTool(t *testing.T) {
	tests := []struct {
		name, tool, require, want string
	}{
		{"present", "go", "", ""},
		{"missing", "no-such-tool-for-cookiesession", "", "skip"},
		{"missing and required", "no-such-tool-for-cookiesession", "1", "fail"},
		{"missing, another value", "no-such-tool-for-cookiesession", "yes", "skip"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(requireToolsVariable, tt.require)
			tb := &outcomeTB{TB: t}
			path := requireTool(tb, tt.tool)
			got := tb.outcome
			if !strings.HasPrefix(got, tt.want) || tt.want == "" && got != "" {
				t.Errorf("requireTool(%q) with %s=%q: %q, want %s", tt.tool,
					requireToolsVariable, tt.require, got, tt.want)
			}
			if (path != "") != (tt.want == "") {
				t.Errorf("requireTool(%q) = %q", tt.tool, path)
			}
		})
	}
}
