package jwtv5_test

// The fixture the tests share: key sets of every type, pools and verifiers
// of the same configuration, token helpers.

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse/jwtverify"
	"github.com/gatehouse-auth/gatehouse/jwtverify/cognitotest"
	"github.com/gatehouse-auth/gatehouse/jwtverify/jwtv5"
)

// mapKeySet is a fixed KeySet that counts lookups.
type mapKeySet struct {
	keys map[string]jwtverify.Key
	err  error
	mu   sync.Mutex
	kids []string
}

func (s *mapKeySet) Key(_ context.Context, kid string) (jwtverify.Key, error) {
	s.mu.Lock()
	s.kids = append(s.kids, kid)
	s.mu.Unlock()
	if s.err != nil {
		return jwtverify.Key{}, s.err
	}
	k, ok := s.keys[kid]
	if !ok {
		return jwtverify.Key{}, fmt.Errorf("%w: kid %q", jwtverify.ErrKeyNotFound, kid)
	}
	return k, nil
}

var (
	altOnce  sync.Once
	ecKey256 *ecdsa.PrivateKey
	ecKey384 *ecdsa.PrivateKey
	edKey    ed25519.PrivateKey
	altKeys  *mapKeySet
	allAlgs  = []string{"RS256", "PS256", "ES256", "ES384", "EdDSA"}
)

// alt returns a key set with keys of every type, some without "alg".
func alt(t testing.TB) *mapKeySet {
	altOnce.Do(func() {
		var err error
		if ecKey256, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
			panic(err)
		}
		if ecKey384, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader); err != nil {
			panic(err)
		}
		if _, edKey, err = ed25519.GenerateKey(rand.Reader); err != nil {
			panic(err)
		}
		altKeys = &mapKeySet{keys: map[string]jwtverify.Key{}}
		for _, k := range []jwtverify.Key{
			{KID: testIss.KID(), Algorithm: "RS256", Public: testIss.PublicKey()},
			{KID: "rsa-noalg", Public: testIss.PublicKey()},
			{KID: "rsa-ps256", Algorithm: "PS256", Public: testIss.PublicKey()},
			{KID: "ec256", Algorithm: "ES256", Public: &ecKey256.PublicKey},
			{KID: "ec384-noalg", Public: &ecKey384.PublicKey},
			{KID: "ed", Algorithm: "EdDSA", Public: edKey.Public()},
			{KID: "ec256-as-rs", Public: &ecKey256.PublicKey},
			{KID: "nil-public", Algorithm: "RS256"},
		} {
			altKeys.keys[k.KID] = k
		}
	})
	return altKeys
}

type setup struct {
	pc   jwtverify.PoolConfig
	algs []string
}

func base(t testing.TB) *setup {
	ks, err := jwtverify.NewStaticKeySet(testIss.JWKS())
	if err != nil {
		t.Fatal(err)
	}
	pc := testIss.PoolConfig(jwtverify.TokenUseID, jwtverify.TokenUseAccess)
	pc.ClientIDs = []string{clientA}
	pc.KeySet = ks
	return &setup{pc: pc}
}

func (s *setup) pool(t testing.TB) *jwtv5.Pool {
	t.Helper()
	p, err := jwtv5.NewPool(context.Background(), s.pc, jwtv5.Options{Algorithms: s.algs, Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatalf("NewPool: %v", err)
	}
	return p
}

func (s *setup) verifier(t testing.TB) *jwtverify.Verifier {
	t.Helper()
	v, err := jwtverify.New(context.Background(), jwtverify.Config{
		Pools: []jwtverify.PoolConfig{s.pc}, Algorithms: s.algs, Now: func() time.Time { return testNow },
	})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return v
}

func access(opts ...cognitotest.TokenOption) string {
	return testIss.AccessToken("alice", clientA, opts...)
}
func id(opts ...cognitotest.TokenOption) string { return testIss.IDToken("alice", clientA, opts...) }
func claims(kv map[string]any) cognitotest.TokenOption {
	return cognitotest.WithClaims(kv)
}
func header(kv map[string]any) cognitotest.TokenOption { return cognitotest.WithHeader(kv) }
func rawToken(header, payload string) string {
	return testIss.SignRaw([]byte(header), []byte(payload))
}
func rawHeader() string { return fmt.Sprintf(`{"kid":%q,"alg":"RS256"}`, testIss.KID()) }
func rawPayload(extra string) string {
	return fmt.Sprintf(`{"sub":"s-1","iss":%q,"token_use":"access","client_id":%q,"exp":%d%s}`,
		testIss.IssuerURL(), clientA, testNow.Add(time.Hour).Unix(), extra)
}
