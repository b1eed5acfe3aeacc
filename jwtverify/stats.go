package jwtverify

import "time"

// fetchFailure is why a JWKS fetch failed; it indexes fetchFailures.
type fetchFailure int

const (
	failTimeout     fetchFailure = iota // no answer within FetchTimeout
	failNetwork                         // connection refused, reset, DNS...
	failHTTPStatus                      // an answer other than 200 (redirects included)
	failTooLarge                        // over MaxResponseSize
	failBadDocument                     // not a JWKS, or no usable key
)

// fetchFailures are the causes as KeySetStats.FetchFailures names them.
var fetchFailures = [...]string{
	failTimeout:     "timeout",
	failNetwork:     "network",
	failHTTPStatus:  "http_status",
	failTooLarge:    "too_large",
	failBadDocument: "bad_document",
}

// KeySetStats describes a key set's health, for metrics and readiness.
type KeySetStats struct {
	// URL is the JWKS URL, as shown in errors.
	URL string
	// Keys is the number of keys held: the last good set.
	Keys int
	// LastSuccess is when the last successful fetch ended; zero before the
	// first. Keys are served from that fetch until another succeeds.
	LastSuccess time.Time
	// LastFailure is when the last failed fetch ended; zero when none did.
	LastFailure time.Time
	// Failing is whether the last completed fetch failed.
	Failing bool
	// FetchFailures counts failed fetches by cause, every cause present:
	// "timeout", "network", "http_status", "too_large", "bad_document".
	// Fetches cut short because the key set stopped are not counted.
	FetchFailures map[string]uint64
}

// Stats returns the key set's health. It never touches the network.
func (r *RemoteKeySet) Stats() KeySetStats {
	s := KeySetStats{URL: r.name, FetchFailures: make(map[string]uint64, len(fetchFailures))}
	if cur := r.keys.Load(); cur != nil {
		s.Keys = len(cur.byKID)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	s.LastSuccess, s.LastFailure, s.Failing = r.lastSuccess, r.lastFailure, r.lastErr != nil
	for i, name := range fetchFailures {
		s.FetchFailures[name] = r.failures[i]
	}
	return s
}

// PoolKeySetStats is the key-set health of one pool.
type PoolKeySetStats struct {
	// Pool is the user pool id; Issuer its first accepted issuer.
	Pool, Issuer string
	KeySetStats
}

// KeySetStats returns the health of every pool's key set that reports it
// (RemoteKeySet does; static sets have nothing to report), in pool order.
func (v *Verifier) KeySetStats() []PoolKeySetStats {
	var out []PoolKeySetStats
	for _, p := range v.pools {
		if s, ok := p.keys.(interface{ Stats() KeySetStats }); ok {
			out = append(out, PoolKeySetStats{Pool: p.id, Issuer: p.issuers[0], KeySetStats: s.Stats()})
		}
	}
	return out
}
