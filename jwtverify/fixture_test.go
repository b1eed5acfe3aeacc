package jwtverify_test

// The fixture the external tests share: sentinels, key sets and token
// helpers.

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse/jwtverify"
	"github.com/gatehouse-auth/gatehouse/jwtverify/cognitotest"
)

var sentinels = []*jwtverify.Error{
	jwtverify.ErrMalformed, jwtverify.ErrKeyNotFound, jwtverify.ErrInvalidKey,
	jwtverify.ErrAlgorithmNotAllowed, jwtverify.ErrSignature, jwtverify.ErrExpired,
	jwtverify.ErrNotYetValid, jwtverify.ErrIssuer, jwtverify.ErrClientID,
	jwtverify.ErrTokenUse, jwtverify.ErrGroup, jwtverify.ErrScope, jwtverify.ErrKeysUnavailable,
}

// preSignature are the reasons decided before the signature verified: they
// must come without claims.
var preSignature = []error{
	jwtverify.ErrMalformed, jwtverify.ErrKeyNotFound, jwtverify.ErrInvalidKey,
	jwtverify.ErrAlgorithmNotAllowed, jwtverify.ErrSignature, jwtverify.ErrIssuer,
	jwtverify.ErrKeysUnavailable,
}

// mapKeySet is a KeySet the tests can change and observe.
type mapKeySet struct {
	mu    sync.Mutex
	keys  map[string]jwtverify.Key
	err   error
	calls atomic.Int64
}

func newMapKeySet(keys ...jwtverify.Key) *mapKeySet {
	s := &mapKeySet{keys: map[string]jwtverify.Key{}}
	for _, k := range keys {
		s.keys[k.KID] = k
	}
	return s
}

func (s *mapKeySet) Key(_ context.Context, kid string) (jwtverify.Key, error) {
	s.calls.Add(1)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return jwtverify.Key{}, s.err
	}
	k, ok := s.keys[kid]
	if !ok {
		return jwtverify.Key{}, fmt.Errorf("%w: kid %q", jwtverify.ErrKeyNotFound, kid)
	}
	return k, nil
}

func (s *mapKeySet) set(k jwtverify.Key) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys[k.KID] = k
}

func (s *mapKeySet) remove(kid string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.keys, kid)
}

func staticSet(t testing.TB, iss *cognitotest.Issuer) jwtverify.KeySet {
	t.Helper()
	ks, err := jwtverify.NewStaticKeySet(iss.JWKS())
	if err != nil {
		t.Fatal(err)
	}
	return ks
}

// baseConfig accepts ID and access tokens of testIss for clientA at testNow.
func baseConfig(t testing.TB) jwtverify.Config {
	pc := testIss.PoolConfig(jwtverify.TokenUseID, jwtverify.TokenUseAccess)
	pc.ClientIDs = []string{clientA}
	pc.KeySet = staticSet(t, testIss)
	return jwtverify.Config{Pools: []jwtverify.PoolConfig{pc}, Now: func() time.Time { return testNow }}
}

func mustNew(t testing.TB, cfg jwtverify.Config) *jwtverify.Verifier {
	t.Helper()
	v, err := jwtverify.New(context.Background(), cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return v
}

// Keys of other types, published only through mapKeySet.
var (
	testKeysOnce                  sync.Once
	ecKey256, ecKey384            *ecdsa.PrivateKey
	edKey                         ed25519.PrivateKey
	smallRSA                      *rsa.PrivateKey
	testKeysErr                   error
	altKeySet                     *mapKeySet
	allAlgs                       = []string{"RS256", "PS256", "ES256", "ES384", "EdDSA"}
	kidEC256, kidEC256NoAlg       = "ec256", "ec256-noalg"
	kidEC384, kidEd, kidRSANoAlg  = "ec384", "ed", "rsa-noalg"
	kidSmallRSA, kidRSAWrongAlg   = "rsa1024", "rsa-ps256"
	kidEC256AsRSA, kidNilPublic   = "ec256-as-rs", "nil-public"
	kidEdAsEC, kidEC384AsEC256Alg = "ed-as-es", "ec384-as-es256"
)

func testKeys(t testing.TB) *mapKeySet {
	t.Helper()
	testKeysOnce.Do(func() {
		if ecKey256, testKeysErr = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); testKeysErr != nil {
			return
		}
		if ecKey384, testKeysErr = ecdsa.GenerateKey(elliptic.P384(), rand.Reader); testKeysErr != nil {
			return
		}
		if _, edKey, testKeysErr = ed25519.GenerateKey(rand.Reader); testKeysErr != nil {
			return
		}
		//nolint:gosec // deliberately too small: the verifier must refuse it
		if smallRSA, testKeysErr = rsa.GenerateKey(rand.Reader, 1024); testKeysErr != nil {
			return
		}
		altKeySet = newMapKeySet(
			jwtverify.Key{KID: testIss.KID(), Algorithm: "RS256", Public: testIss.PublicKey()},
			jwtverify.Key{KID: kidRSANoAlg, Public: testIss.PublicKey()},
			jwtverify.Key{KID: kidRSAWrongAlg, Algorithm: "PS256", Public: testIss.PublicKey()},
			jwtverify.Key{KID: kidEC256, Algorithm: "ES256", Public: &ecKey256.PublicKey},
			jwtverify.Key{KID: kidEC256NoAlg, Public: &ecKey256.PublicKey},
			jwtverify.Key{KID: kidEC384, Algorithm: "ES384", Public: &ecKey384.PublicKey},
			jwtverify.Key{KID: kidEC384AsEC256Alg, Public: &ecKey384.PublicKey},
			jwtverify.Key{KID: kidEd, Algorithm: "EdDSA", Public: edKey.Public()},
			jwtverify.Key{KID: kidEdAsEC, Public: edKey.Public()},
			jwtverify.Key{KID: kidEC256AsRSA, Public: &ecKey256.PublicKey},
			jwtverify.Key{KID: kidSmallRSA, Public: &smallRSA.PublicKey},
			jwtverify.Key{KID: kidNilPublic, Algorithm: "RS256"},
		)
	})
	if testKeysErr != nil {
		t.Fatal(testKeysErr)
	}
	return altKeySet
}

// withAltKeys switches the pool to the multi-algorithm key set.
func withAltKeys(t testing.TB) func(*jwtverify.Config) {
	ks := testKeys(t)
	return func(c *jwtverify.Config) {
		c.Algorithms = allAlgs
		c.Pools[0].KeySet = ks
	}
}

func access(opts ...cognitotest.TokenOption) string {
	return testIss.AccessToken("alice", clientA, opts...)
}

func id(opts ...cognitotest.TokenOption) string {
	return testIss.IDToken("alice", clientA, opts...)
}

func claims(kv map[string]any) cognitotest.TokenOption { return cognitotest.WithClaims(kv) }

func header(kv map[string]any) cognitotest.TokenOption { return cognitotest.WithHeader(kv) }

// rawToken signs a hand-written header and payload with testIss's key.
func rawToken(header, payload string) string {
	return testIss.SignRaw([]byte(header), []byte(payload))
}

func rawHeader() string { return fmt.Sprintf(`{"kid":%q,"alg":"RS256"}`, testIss.KID()) }

// rawPayload is a valid access-token payload followed by extra members.
func rawPayload(extra string) string {
	return fmt.Sprintf(`{"sub":"s-1","iss":%q,"token_use":"access","client_id":%q,"exp":%d%s}`,
		testIss.IssuerURL(), clientA, testNow.Add(time.Hour).Unix(), extra)
}

// segments splits a token for surgery.
func segments(tok string) []string { return strings.Split(tok, ".") }

// withTrailingBits sets unused low bits in the last character of the
// signature, which lenient decoders ignore.
func withTrailingBits(tok string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	last := strings.IndexByte(alphabet, tok[len(tok)-1])
	return tok[:len(tok)-1] + string(alphabet[last|1])
}
