// Package logscan helps tests check the project's rule that no token,
// secret, password or key material is ever logged: Buffer captures what a
// service logs from any goroutine, and NoSecrets fails a test when any of
// the given secrets appears in it.
package logscan

import (
	"bytes"
	"strings"
	"sync"
	"testing"
)

// Buffer is an io.Writer for log handlers that is safe for concurrent use.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *Buffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// String returns everything written so far.
func (l *Buffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// NoSecrets fails t for every non-empty secret that logs contain. The
// failure names the secret by position and length only.
func NoSecrets(t testing.TB, logs string, secrets ...string) {
	t.Helper()
	for i, s := range secrets {
		if s != "" && strings.Contains(logs, s) {
			t.Errorf("the logs hold secret #%d (%d bytes)", i, len(s))
		}
	}
}
