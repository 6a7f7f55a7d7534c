// Package tap is a small TAP 13 producer with the API runtime-tools'
// validation programs import as github.com/mndrix/tap-go, which Debian does
// not package. Only what those programs call is here.
package tap

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
)

// T numbers the test points it writes; Todo copies share the counter.
type T struct {
	next   *int
	TODO   bool
	Writer io.Writer
}

func New() *T {
	n := 1
	return &T{next: &n, Writer: os.Stdout}
}

func (t *T) printf(format string, a ...interface{}) {
	fmt.Fprintf(t.Writer, format, a...)
}

// Header starts the stream; a positive count is the plan.
func (t *T) Header(count int) {
	t.printf("TAP version 13\n")
	if count > 0 {
		t.printf("1..%d\n", count)
	}
}

func (t *T) Ok(ok bool, description string) {
	word := "ok"
	if !ok {
		word = "not ok"
	}
	directive := ""
	if t.TODO {
		directive = " # TODO"
	}
	t.printf("%s %d - %s%s\n", word, *t.next, escape(description), directive)
	*t.next++
}

func (t *T) Pass(description string) { t.Ok(true, description) }
func (t *T) Fail(description string) { t.Ok(false, description) }

// Count is the number of test points written so far.
func (t *T) Count() int { return *t.next - 1 }

// AutoPlan writes the plan at the end of the stream.
func (t *T) AutoPlan() { t.printf("1..%d\n", t.Count()) }

// Todo returns a T whose points are marked TODO (failures do not count).
func (t *T) Todo() *T {
	c := *t
	c.TODO = true
	return &c
}

func (t *T) Skip(count int, description string) {
	for i := 0; i < count; i++ {
		t.printf("ok %d # SKIP %s\n", *t.next, escape(description))
		*t.next++
	}
}

func (t *T) Diagnostic(message string) {
	t.printf("# %s\n", strings.ReplaceAll(strings.TrimRight(message, "\n"), "\n", "\n# "))
}

func (t *T) Diagnosticf(format string, a ...interface{}) {
	t.Diagnostic(fmt.Sprintf(format, a...))
}

// YAML writes a diagnostic block; JSON is YAML, and needs no yaml package.
func (t *T) YAML(message interface{}) error {
	b, err := json.MarshalIndent(message, "  ", "  ")
	if err != nil {
		return err
	}
	t.printf("  ---\n  %s\n  ...\n", b)
	return nil
}

// A '#' in a description would start a directive.
func escape(s string) string { return strings.ReplaceAll(s, "#", "\\#") }
