package jwtverify

import (
	"crypto"
	"crypto/sha256"
	"sync"
)

// tokenCache remembers verified tokens so a token seen again skips base64,
// JSON parsing and the signature check.
//
// A token is found by the SHA-256 of its signing input ("<header>.<payload>")
// and then must carry exactly the signature text of the entry: a hit is the
// very token that verified. Mistaking one token for another would hand it
// another's claims, an authentication bypass, so the key must resist an
// attacker who chooses the token: a seeded maphash is fast but is not
// designed for that and is 64 bits wide. SHA-256 of the signing input is
// what an RS256, PS256 or ES256 signature check computes anyway, so a token
// seen for the first time pays no hash for the cache (Verify hands the
// digest on), and the exact signature comparison means a changed signature
// on a cached signing input is never a hit.
//
// The cache is bounded: when full, the oldest insertion is evicted (a FIFO
// ring, which keeps hits read-only apart from the mutex). Entries are checked
// on every hit against the clock and against the key set, and dropped when
// expired or when their key is gone.
type tokenCache struct {
	mu      sync.Mutex
	entries map[[sha256.Size]byte]*cacheEntry
	ring    [][sha256.Size]byte // insertion order; ring[next] is the oldest
	next    int
}

type cacheEntry struct {
	sig    string // the token's signature segment, as sent
	claims Claims // private copy; never handed out directly
	pool   *pool
	kid    string
	alg    string
	public crypto.PublicKey
	times  timeClaims
	slot   int  // index in ring
	memo   Memo // the caller's; the one part that changes after add
}

func newTokenCache(size int) *tokenCache {
	return &tokenCache{
		// The map grows with use: preallocated for size, it cost every
		// cold start its pages (issue 17).
		entries: make(map[[sha256.Size]byte]*cacheEntry),
		ring:    make([][sha256.Size]byte, size),
	}
}

// get returns the entry of the token whose signing input hashes to sum and
// whose signature segment is sig, or nil.
func (tc *tokenCache) get(sum [sha256.Size]byte, sig string) *cacheEntry {
	tc.mu.Lock()
	e := tc.entries[sum]
	tc.mu.Unlock()
	// Entries are immutable once added, but for their Memo (atomic). The
	// signature is compared with ==, not in constant time
	// (subtle.ConstantTimeCompare costs about a quarter of a hit): anyone
	// can find the entry of a token whose header and payload they have
	// seen, but Go compares strings this long in blocks of 16 to 64 bytes,
	// so the time reveals at most whether a whole block matched, which no
	// guess of 16 base64url characters reaches; and a mismatch goes on to a
	// full signature check (tens of µs) that hides the difference.
	if e == nil || e.sig != sig {
		return nil
	}
	return e
}

// add inserts e, evicting the oldest entry when the cache is full.
func (tc *tokenCache) add(sum [sha256.Size]byte, e *cacheEntry) {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	if old, ok := tc.entries[sum]; ok {
		// Verified twice concurrently: keep the slot, take the newer entry.
		e.slot = old.slot
		tc.entries[sum] = e
		return
	}
	// The slot's previous token may have been removed, or re-added in a
	// newer slot: evict it only if it still owns this slot.
	if victim, ok := tc.entries[tc.ring[tc.next]]; ok && victim.slot == tc.next {
		delete(tc.entries, tc.ring[tc.next])
	}
	e.slot = tc.next
	tc.ring[tc.next] = sum
	tc.entries[sum] = e
	tc.next = (tc.next + 1) % len(tc.ring)
}

// remove drops e if it is still the entry for sum.
func (tc *tokenCache) remove(sum [sha256.Size]byte, e *cacheEntry) {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	if tc.entries[sum] == e {
		delete(tc.entries, sum)
	}
}

// len reports the number of entries (for tests).
func (tc *tokenCache) len() int {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	return len(tc.entries)
}
