package main

import (
	"context"
	"strings"
	"testing"

	"github.com/gatehouse-auth/gatehouse/internal/version"
)

func TestVersionCommand(t *testing.T) {
	want := version.Get().String() + "\n"
	for _, args := range [][]string{{"version"}, {"--version"}, {"-version"}} {
		var stdout, stderr strings.Builder
		if code := run(context.Background(), args, strings.NewReader(""), &stdout, &stderr); code != 0 || stdout.String() != want {
			t.Errorf("gatehouse %v = %d, %q (stderr %q), want 0, %q", args, code, stdout.String(), stderr.String(), want)
		}
	}
	var stdout, stderr strings.Builder
	if code := run(context.Background(), []string{"version", "extra"}, strings.NewReader(""), &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), `"extra"`) {
		t.Errorf("gatehouse version extra = %d, %q", code, stderr.String())
	}
}
