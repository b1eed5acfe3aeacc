package jwtverify_test

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"reflect"
	"testing"
)

// FuzzVerifyCached signs arbitrary payloads (Ed25519: fast enough to fuzz)
// and checks that a verifier with the token cache answers a token the same,
// on its first sight and its second, as one without the cache: the same
// error and the same claims.
func FuzzVerifyCached(f *testing.F) {
	for _, extra := range []string{
		``, `,"cognito:groups":["g"],"scope":"a b"`, `,"scope":"a  b"`, `,"nbf":4102444800`,
		`,"exp":1`, `,"x":{"a":1,"a":2}`, `,"username":7`, `,"cognito:groups":[]`,
	} {
		f.Add([]byte(rawPayload(extra)))
	}
	f.Add([]byte(`{"sub":"s","exp":1e20,"iss":"` + testIss.IssuerURL() + `","token_use":"id","aud":"` + clientA + `"}`))
	plain, cached := baseConfig(f), baseConfig(f)
	withAltKeys(f)(&plain)
	withAltKeys(f)(&cached)
	cached.TokenCacheSize = 8
	vp, vc := mustNew(f, plain), mustNew(f, cached)
	hdr := base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, `{"alg":"EdDSA","kid":%q}`, kidEd))
	f.Fuzz(func(t *testing.T, payload []byte) {
		input := hdr + "." + base64.RawURLEncoding.EncodeToString(payload)
		tok := input + "." + base64.RawURLEncoding.EncodeToString(ed25519.Sign(edKey, []byte(input)))
		want, wantErr := vp.Verify(context.Background(), tok)
		for i := range 2 {
			got, err := vc.Verify(context.Background(), tok)
			if !sameSentinel(err, wantErr) || !reflect.DeepEqual(got, want) {
				t.Fatalf("%q, sight %d: cached %+v, %v; uncached %+v, %v", payload, i+1, got, err, want, wantErr)
			}
			if want != nil && !reflect.DeepEqual(got.Raw(), want.Raw()) {
				t.Fatalf("%q, sight %d: Raw differs", payload, i+1)
			}
		}
		// VerifyMemo answers the same; a memo comes only with no error, and
		// its value only from this token's entry.
		for i := range 2 {
			got, m, held, err := vc.VerifyMemo(context.Background(), tok)
			if !sameSentinel(err, wantErr) || (m != nil) != (err == nil) {
				t.Fatalf("%q, memo sight %d: %v, memo %v; uncached %v", payload, i+1, err, m, wantErr)
			}
			switch {
			case err != nil && !reflect.DeepEqual(got, want):
				t.Fatalf("%q, memo sight %d: claims %+v with %v; uncached %+v", payload, i+1, got, err, want)
			case err == nil && i == 0 && (held != nil || !reflect.DeepEqual(got, want)):
				t.Fatalf("%q: first memo sight: held %v, claims %+v; uncached %+v", payload, held, got, want)
			case err == nil && i == 0:
				m.Store(string(payload))
			case err == nil && held != string(payload):
				t.Fatalf("%q: memo held %v", payload, held)
			}
		}
	})
}

// sameSentinel reports whether a and b are both nil or wrap the same sentinel.
func sameSentinel(a, b error) bool {
	if (a == nil) != (b == nil) {
		return false
	}
	for _, s := range sentinels {
		if errors.Is(a, s) != errors.Is(b, s) {
			return false
		}
	}
	return true
}
