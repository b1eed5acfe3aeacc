package jwtverify_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse/jwtverify"
	"github.com/gatehouse-auth/gatehouse/jwtverify/cognitotest"
)

const (
	clientA = "client-a"
	clientB = "client-b"
)

var (
	testNow = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	// testIss is shared by the tests that do not rotate keys.
	testIss *cognitotest.Issuer
)

func TestMain(m *testing.M) {
	var err error
	testIss, err = cognitotest.NewIssuer(cognitotest.WithNow(func() time.Time { return testNow }))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	testIss.Close()
	os.Exit(code)
}

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

type verifyCase struct {
	name  string
	token func() string
	cfg   func(*jwtverify.Config)
	want  error // nil: accepted
	check func(t *testing.T, c *jwtverify.Claims)
}

func verifyCases(t *testing.T) []verifyCase {
	in := func(d time.Duration) int64 { return testNow.Add(d).Unix() }
	pool := func(f func(*jwtverify.PoolConfig)) func(*jwtverify.Config) {
		return func(c *jwtverify.Config) { f(&c.Pools[0]) }
	}
	var (
		ErrMalformed   = jwtverify.ErrMalformed
		ErrAlg         = jwtverify.ErrAlgorithmNotAllowed
		ErrInvalidKey  = jwtverify.ErrInvalidKey
		ErrKeyNotFound = jwtverify.ErrKeyNotFound
	)
	valid := access()
	return []verifyCase{
		// Accepted tokens.
		{name: "access token", token: func() string { return valid }},
		{name: "ID token", token: func() string { return id() }},
		{name: "client credentials token", token: func() string {
			return testIss.ClientCredentialsToken(clientA, []string{"orders/read"})
		}},
		{name: "hand-written payload", token: func() string { return rawToken(rawHeader(), rawPayload("")) }},
		{name: "whitespace inside JSON", token: func() string {
			return rawToken(" {\"kid\" : \""+testIss.KID()+"\",\t\"alg\":\"RS256\"}\n", rawPayload(` , "x" : [ 1 , { } ] `))
		}},

		// Size and compact form.
		{name: "empty", token: func() string { return "" }, want: ErrMalformed},
		{name: "over MaxTokenSize", token: func() string { return valid },
			cfg: func(c *jwtverify.Config) { c.MaxTokenSize = len(valid) - 1 }, want: ErrMalformed},
		{name: "exactly MaxTokenSize", token: func() string { return valid },
			cfg: func(c *jwtverify.Config) { c.MaxTokenSize = len(valid) }},
		{name: "over default size", token: func() string {
			return access(claims(map[string]any{"pad": strings.Repeat("x", 16<<10)}))
		}, want: ErrMalformed},
		{name: "Bearer prefix", token: func() string { return "Bearer " + valid }, want: ErrMalformed},
		{name: "two segments", token: func() string { s := segments(valid); return s[0] + "." + s[1] }, want: ErrMalformed},
		{name: "four segments", token: func() string { return valid + "." + segments(valid)[2] }, want: ErrMalformed},
		{name: "JWE-like five segments", token: func() string { return valid + ".a.b" }, want: ErrMalformed},
		{name: "empty signature", token: func() string { s := segments(valid); return s[0] + "." + s[1] + "." }, want: ErrMalformed},
		{name: "empty header", token: func() string { s := segments(valid); return "." + s[1] + "." + s[2] }, want: ErrMalformed},
		{name: "padding", token: func() string { return valid + "==" }, want: ErrMalformed},
		{name: "newline in payload", token: func() string {
			s := segments(valid)
			return s[0] + "." + s[1][:10] + "\n" + s[1][10:] + "." + s[2]
		}, want: ErrMalformed},
		{name: "CRLF at end", token: func() string { return valid + "\r\n" }, want: ErrMalformed},
		{name: "trailing space", token: func() string { return valid + " " }, want: ErrMalformed},
		{name: "standard alphabet", token: func() string {
			s := segments(valid)
			return s[0] + "." + s[1] + "." + strings.NewReplacer("-", "+", "_", "/").Replace(s[2]) + "+/"
		}, want: ErrMalformed},
		{name: "non-zero trailing bits", token: func() string { return withTrailingBits(valid) }, want: ErrMalformed},
		{name: "impossible base64 length", token: func() string { return valid + "AAA" }, want: ErrMalformed},

		// Header.
		{name: "header not JSON", token: func() string { return rawToken(`kid`, rawPayload("")) }, want: ErrMalformed},
		{name: "header is an array", token: func() string { return rawToken(`["RS256"]`, rawPayload("")) }, want: ErrMalformed},
		{name: "header trailing data", token: func() string { return rawToken(rawHeader()+`{}`, rawPayload("")) }, want: ErrMalformed},
		{name: "duplicate alg", token: func() string {
			return rawToken(fmt.Sprintf(`{"kid":%q,"alg":"RS256","alg":"RS256"}`, testIss.KID()), rawPayload(""))
		}, want: ErrMalformed},
		{name: "duplicate kid through an escape", token: func() string {
			return rawToken(fmt.Sprintf(`{"kid":%q,"alg":"RS256","\u006bid":"other"}`, testIss.KID()), rawPayload(""))
		}, want: ErrMalformed},
		{name: "kid missing", token: func() string { return access(header(map[string]any{"kid": nil})) }, want: ErrMalformed},
		{name: "kid empty", token: func() string { return access(header(map[string]any{"kid": ""})) }, want: ErrMalformed},
		{name: "kid not a string", token: func() string { return access(header(map[string]any{"kid": 7})) }, want: ErrMalformed},
		{name: "alg missing", token: func() string { return access(header(map[string]any{"alg": nil})) }, want: ErrMalformed},
		{name: "alg not a string", token: func() string { return access(header(map[string]any{"alg": true})) }, want: ErrMalformed},
		{name: "alg none", token: func() string { return access(header(map[string]any{"alg": "none"})) }, want: ErrAlg},
		{name: "alg none unsigned", token: func() string {
			s := segments(access(header(map[string]any{"alg": "none"})))
			return s[0] + "." + s[1] + "."
		}, want: ErrMalformed},
		{name: "alg HS256", token: func() string { return access(header(map[string]any{"alg": "HS256"})) }, want: ErrAlg},
		{name: "alg lower case", token: func() string { return access(header(map[string]any{"alg": "rs256"})) }, want: ErrAlg},
		{name: "alg RS384 not configured", token: func() string { return access(header(map[string]any{"alg": "RS384"})) }, want: ErrAlg},
		{name: "crit", token: func() string { return access(header(map[string]any{"crit": []string{"exp"}, "exp": 1})) }, want: ErrMalformed},
		{name: "crit empty", token: func() string { return access(header(map[string]any{"crit": []string{}})) }, want: ErrMalformed},
		{name: "typ JWT is fine", token: func() string { return access(header(map[string]any{"typ": "JWT"})) }},

		// Keys.
		{name: "unknown kid", token: func() string { return access(cognitotest.WithKID("nope")) }, want: ErrKeyNotFound},
		{name: "signed by an unknown key", token: func() string { return access(cognitotest.SignWithUnknownKey()) },
			want: jwtverify.ErrSignature},
		{name: "tampered payload", token: func() string {
			s, o := segments(valid), segments(testIss.AccessToken("mallory", clientA))
			return s[0] + "." + o[1] + "." + s[2]
		}, want: jwtverify.ErrSignature},
		{name: "tampered signature", token: func() string {
			s := segments(valid)
			sig := []byte(s[2])
			// Another base64url character: flipping bits could leave the alphabet.
			if sig[10] == 'A' {
				sig[10] = 'B'
			} else {
				sig[10] = 'A'
			}
			return s[0] + "." + s[1] + "." + string(sig)
		}, want: jwtverify.ErrSignature},
		{name: "RS256 key without JWK alg", token: func() string { return access(cognitotest.WithKID(kidRSANoAlg)) },
			cfg: withAltKeys(t)},
		{name: "header alg differs from JWK alg", token: func() string { return access(cognitotest.WithKID(kidRSAWrongAlg)) },
			cfg: withAltKeys(t), want: ErrAlg},
		{name: "PS256 header on a key without alg but signed RS256", token: func() string {
			return access(cognitotest.WithKID(kidRSANoAlg), header(map[string]any{"alg": "PS256"}))
		}, cfg: withAltKeys(t), want: jwtverify.ErrSignature},
		{name: "ES256", token: func() string { return access(cognitotest.WithSigningKey(ecKey256), cognitotest.WithKID(kidEC256)) },
			cfg: withAltKeys(t)},
		{name: "ES256 without JWK alg", token: func() string {
			return access(cognitotest.WithSigningKey(ecKey256), cognitotest.WithKID(kidEC256NoAlg))
		}, cfg: withAltKeys(t)},
		{name: "ES384", token: func() string { return access(cognitotest.WithSigningKey(ecKey384), cognitotest.WithKID(kidEC384)) },
			cfg: withAltKeys(t)},
		{name: "ES256 header on a P-384 key", token: func() string {
			return access(cognitotest.WithSigningKey(ecKey384), cognitotest.WithKID(kidEC384AsEC256Alg), header(map[string]any{"alg": "ES256"}))
		}, cfg: withAltKeys(t), want: ErrInvalidKey},
		{name: "EdDSA", token: func() string { return access(cognitotest.WithSigningKey(edKey), cognitotest.WithKID(kidEd)) },
			cfg: withAltKeys(t)},
		{name: "ES256 header on an Ed25519 key", token: func() string {
			return access(cognitotest.WithSigningKey(edKey), cognitotest.WithKID(kidEdAsEC), header(map[string]any{"alg": "ES256"}))
		}, cfg: withAltKeys(t), want: ErrInvalidKey},
		{name: "RS256 header on an EC key", token: func() string { return access(cognitotest.WithKID(kidEC256AsRSA)) },
			cfg: withAltKeys(t), want: ErrInvalidKey},
		{name: "EdDSA header on an RSA key", token: func() string {
			return access(cognitotest.WithKID(kidRSANoAlg), header(map[string]any{"alg": "EdDSA"}))
		}, cfg: withAltKeys(t), want: ErrInvalidKey},
		{name: "RSA key under 2048 bits", token: func() string {
			return access(cognitotest.WithSigningKey(smallRSA), cognitotest.WithKID(kidSmallRSA))
		}, cfg: withAltKeys(t), want: ErrInvalidKey},
		{name: "key set returns no public key", token: func() string { return access(cognitotest.WithKID(kidNilPublic)) },
			cfg: withAltKeys(t), want: ErrInvalidKey},
		{name: "ES256 not in Algorithms", token: func() string {
			return access(cognitotest.WithSigningKey(ecKey256), cognitotest.WithKID(kidEC256))
		}, cfg: func(c *jwtverify.Config) { withAltKeys(t)(c); c.Algorithms = []string{"RS256"} }, want: ErrAlg},
		{name: "key set unavailable", token: func() string { return valid },
			cfg: pool(func(p *jwtverify.PoolConfig) {
				p.KeySet = &mapKeySet{err: fmt.Errorf("%w: endpoint down", jwtverify.ErrKeysUnavailable)}
			}), want: jwtverify.ErrKeysUnavailable},
		{name: "key set fails without a sentinel", token: func() string { return valid },
			cfg:  pool(func(p *jwtverify.PoolConfig) { p.KeySet = &mapKeySet{err: errors.New("boom")} }),
			want: jwtverify.ErrKeysUnavailable},

		// Issuer.
		{name: "unknown issuer", token: func() string {
			return access(claims(map[string]any{"iss": "https://evil.example/us-east-1_Gatehouse"}))
		},
			want: jwtverify.ErrIssuer},
		{name: "issuer with trailing slash", token: func() string { return access(claims(map[string]any{"iss": testIss.IssuerURL() + "/"})) },
			want: jwtverify.ErrIssuer},
		{name: "issuer missing", token: func() string { return access(claims(map[string]any{"iss": nil})) }, want: jwtverify.ErrIssuer},
		{name: "issuer not a string", token: func() string { return access(claims(map[string]any{"iss": []string{testIss.IssuerURL()}})) },
			want: ErrMalformed},
		{name: "Cognito issuer", token: func() string {
			return access(claims(map[string]any{"iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Gatehouse"}))
		}, cfg: pool(func(p *jwtverify.PoolConfig) { p.Issuer, p.JWKSURL, p.InsecureHTTP = "", "", false })},
		{name: "Cognito second issuer form", token: func() string {
			return access(claims(map[string]any{"iss": "https://issuer-cognito-idp.us-east-1.amazonaws.com/us-east-1_Gatehouse"}))
		}, cfg: pool(func(p *jwtverify.PoolConfig) { p.Issuer, p.JWKSURL, p.InsecureHTTP = "", "", false })},
		{name: "Cognito issuer of another region", token: func() string {
			return access(claims(map[string]any{"iss": "https://cognito-idp.eu-west-1.amazonaws.com/us-east-1_Gatehouse"}))
		}, cfg: pool(func(p *jwtverify.PoolConfig) { p.Issuer, p.JWKSURL, p.InsecureHTTP = "", "", false }), want: jwtverify.ErrIssuer},
		{name: "override replaces the Cognito issuers", token: func() string {
			return access(claims(map[string]any{"iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Gatehouse"}))
		}, want: jwtverify.ErrIssuer},

		// Time.
		{name: "exp missing", token: func() string { return access(claims(map[string]any{"exp": nil})) }, want: ErrMalformed},
		{name: "exp a string", token: func() string { return access(claims(map[string]any{"exp": "2099-01-01"})) }, want: ErrMalformed},
		{name: "expired", token: func() string { return access(cognitotest.WithTimes(testNow.Add(-2*time.Hour), time.Hour)) },
			want: jwtverify.ErrExpired},
		{name: "exp equals now", token: func() string { return access(claims(map[string]any{"exp": in(0)})) }, want: jwtverify.ErrExpired},
		{name: "exp one second ahead", token: func() string { return access(claims(map[string]any{"exp": in(time.Second)})) }},
		{name: "expired within grace", token: func() string { return access(claims(map[string]any{"exp": in(-30 * time.Second)})) },
			cfg: pool(func(p *jwtverify.PoolConfig) { p.Grace = time.Minute })},
		{name: "expired beyond grace", token: func() string { return access(claims(map[string]any{"exp": in(-61 * time.Second)})) },
			cfg: pool(func(p *jwtverify.PoolConfig) { p.Grace = time.Minute }), want: jwtverify.ErrExpired},
		{name: "fractional exp", token: func() string { return access(claims(map[string]any{"exp": float64(in(0)) + 0.5})) }},
		{name: "exp 1e20 is valid", token: func() string { return access(claims(map[string]any{"exp": 1e20})) },
			check: func(t *testing.T, c *jwtverify.Claims) {
				if c.ExpiresAt.Year() != 9999 {
					t.Errorf("ExpiresAt = %v, want clamped to year 9999", c.ExpiresAt)
				}
			}},
		{name: "exp near float max", token: func() string {
			return rawToken(rawHeader(), strings.Replace(rawPayload(""), `"exp":`, `"exp":1.7e308,"x":`, 1))
		}},
		{name: "number beyond float range", token: func() string { return rawToken(rawHeader(), rawPayload(`,"nbf":1e400`)) }, want: ErrMalformed},
		{name: "exp negative", token: func() string { return access(claims(map[string]any{"exp": -1e20})) }, want: jwtverify.ErrExpired},
		{name: "exp zero", token: func() string { return access(claims(map[string]any{"exp": 0})) }, want: jwtverify.ErrExpired},
		{name: "nbf in the future", token: func() string { return access(claims(map[string]any{"nbf": in(time.Minute)})) },
			want: jwtverify.ErrNotYetValid},
		{name: "nbf now", token: func() string { return access(claims(map[string]any{"nbf": in(0)})) }},
		{name: "nbf within grace", token: func() string { return access(claims(map[string]any{"nbf": in(30 * time.Second)})) },
			cfg: pool(func(p *jwtverify.PoolConfig) { p.Grace = time.Minute })},
		{name: "nbf 1e20", token: func() string { return access(claims(map[string]any{"nbf": 1e20})) }, want: jwtverify.ErrNotYetValid},
		{name: "nbf -1e20", token: func() string { return access(claims(map[string]any{"nbf": -1e20})) }},
		{name: "nbf a string", token: func() string { return access(claims(map[string]any{"nbf": "soon"})) }, want: ErrMalformed},
		{name: "iat a string", token: func() string { return access(claims(map[string]any{"iat": "now"})) }, want: ErrMalformed},
		{name: "auth_time null", token: func() string { return rawToken(rawHeader(), rawPayload(`,"auth_time":null`)) }, want: ErrMalformed},
		{name: "absurd iat is only reported", token: func() string { return access(claims(map[string]any{"iat": -1e300, "auth_time": 1e300})) },
			check: func(t *testing.T, c *jwtverify.Claims) {
				if c.IssuedAt.Year() != 1 || c.AuthTime.Year() != 9999 {
					t.Errorf("IssuedAt %v AuthTime %v, want clamped", c.IssuedAt, c.AuthTime)
				}
			}},

		// Token use.
		{name: "ID token refused by access-only pool", token: func() string { return id() },
			cfg:  pool(func(p *jwtverify.PoolConfig) { p.TokenUses = []jwtverify.TokenUse{jwtverify.TokenUseAccess} }),
			want: jwtverify.ErrTokenUse},
		{name: "access token refused by ID-only pool", token: func() string { return valid },
			cfg:  pool(func(p *jwtverify.PoolConfig) { p.TokenUses = []jwtverify.TokenUse{jwtverify.TokenUseID} }),
			want: jwtverify.ErrTokenUse},
		{name: "token_use missing", token: func() string { return access(claims(map[string]any{"token_use": nil})) }, want: jwtverify.ErrTokenUse},
		{name: "token_use refresh", token: func() string { return access(claims(map[string]any{"token_use": "refresh"})) }, want: jwtverify.ErrTokenUse},
		{name: "token_use not a string", token: func() string { return access(claims(map[string]any{"token_use": 1})) }, want: ErrMalformed},

		// Client id.
		{name: "access token of another client", token: func() string { return testIss.AccessToken("alice", clientB) },
			want: jwtverify.ErrClientID},
		{name: "ID token of another client", token: func() string { return testIss.IDToken("alice", clientB) },
			want: jwtverify.ErrClientID},
		{name: "access token judged by client_id, not aud", token: func() string {
			return testIss.AccessToken("alice", clientB, claims(map[string]any{"aud": clientA}))
		}, want: jwtverify.ErrClientID},
		{name: "ID token judged by aud, not client_id", token: func() string {
			return testIss.IDToken("alice", clientB, claims(map[string]any{"client_id": clientA}))
		}, want: jwtverify.ErrClientID},
		{name: "ID token aud as a list", token: func() string { return id(claims(map[string]any{"aud": []string{clientA}})) },
			want: ErrMalformed},
		{name: "client_id not a string", token: func() string { return access(claims(map[string]any{"client_id": 5})) }, want: ErrMalformed},
		{name: "second accepted client", token: func() string { return testIss.AccessToken("alice", clientB) },
			cfg: pool(func(p *jwtverify.PoolConfig) { p.ClientIDs = []string{clientA, clientB} })},
		{name: "client check skipped", token: func() string { return testIss.IDToken("alice", "anyone") },
			cfg: pool(func(p *jwtverify.PoolConfig) { p.ClientIDs, p.SkipClientIDCheck = nil, true })},
		{name: "client-credentials token of an unlisted client", token: func() string { return testIss.ClientCredentialsToken("program", []string{"orders/read"}) },
			want: jwtverify.ErrClientID},
		{name: "client-credentials token of any client, when allowed", token: func() string { return testIss.ClientCredentialsToken("program", []string{"orders/read"}) },
			cfg: pool(func(p *jwtverify.PoolConfig) { p.AnyClientForClientCredentials = true })},
		{name: "user access token of an unlisted client, any client for client credentials", token: func() string { return testIss.AccessToken("alice", "program") },
			cfg: pool(func(p *jwtverify.PoolConfig) { p.AnyClientForClientCredentials = true }), want: jwtverify.ErrClientID},
		{name: "ID token of an unlisted client, any client for client credentials", token: func() string { return testIss.IDToken("alice", "program") },
			cfg: pool(func(p *jwtverify.PoolConfig) { p.AnyClientForClientCredentials = true }), want: jwtverify.ErrClientID},

		// Groups.
		{name: "in a required group", token: func() string { return access(cognitotest.WithGroups("users", "admins")) },
			cfg: pool(func(p *jwtverify.PoolConfig) { p.Groups = []string{"admins", "ops"} })},
		{name: "not in a required group", token: func() string { return access(cognitotest.WithGroups("users")) },
			cfg: pool(func(p *jwtverify.PoolConfig) { p.Groups = []string{"admins"} }), want: jwtverify.ErrGroup},
		{name: "no groups", token: func() string { return valid },
			cfg: pool(func(p *jwtverify.PoolConfig) { p.Groups = []string{"admins"} }), want: jwtverify.ErrGroup},
		{name: "groups as a string", token: func() string { return access(claims(map[string]any{"cognito:groups": "admins"})) },
			want: ErrMalformed},
		{name: "groups holding a number", token: func() string { return access(claims(map[string]any{"cognito:groups": []any{"a", 1}})) },
			want: ErrMalformed},

		// Scopes.
		{name: "has a required scope", token: func() string { return access(cognitotest.WithScopes("openid", "orders/read")) },
			cfg: pool(func(p *jwtverify.PoolConfig) { p.Scopes = []string{"orders/read", "orders/write"} })},
		{name: "lacks the required scopes", token: func() string { return access(cognitotest.WithScopes("orders/write2")) },
			cfg: pool(func(p *jwtverify.PoolConfig) { p.Scopes = []string{"orders/read", "orders/write"} }), want: jwtverify.ErrScope},
		{name: "scope is not a prefix match", token: func() string { return access(cognitotest.WithScopes("orders/readall")) },
			cfg: pool(func(p *jwtverify.PoolConfig) { p.Scopes = []string{"orders/read"} }), want: jwtverify.ErrScope},
		{name: "ID tokens carry no scope", token: func() string { return id() },
			cfg: pool(func(p *jwtverify.PoolConfig) { p.Scopes = []string{"openid"} }), want: jwtverify.ErrScope},
		{name: "scope as a list", token: func() string { return access(claims(map[string]any{"scope": []string{"a"}})) }, want: ErrMalformed},
		// RFC 6749 §3.3: single spaces between scope-tokens, nothing else.
		// A tab is not a separator: the claim is malformed, not two scopes
		// one of which is required (aws-jwt-verify refuses it too).
		{name: "scopes separated by a tab", token: func() string { return access(claims(map[string]any{"scope": "rs/a	rs/b"})) },
			cfg: pool(func(p *jwtverify.PoolConfig) { p.Scopes = []string{"rs/b"} }), want: ErrMalformed},
		{name: "scopes separated by a tab, no scope required", token: func() string { return access(claims(map[string]any{"scope": "rs/a	rs/b"})) },
			want: ErrMalformed},
		{name: "scopes separated by two spaces", token: func() string { return access(claims(map[string]any{"scope": "rs/a  rs/b"})) },
			want: ErrMalformed},
		{name: "scope with a trailing space", token: func() string { return access(claims(map[string]any{"scope": "rs/b "})) },
			cfg: pool(func(p *jwtverify.PoolConfig) { p.Scopes = []string{"rs/b"} }), want: ErrMalformed},
		{name: "scope with a no-break space", token: func() string { return access(claims(map[string]any{"scope": "rs/a rs/b"})) },
			want: ErrMalformed},
		{name: "scope with a quote", token: func() string { return access(claims(map[string]any{"scope": `rs/"b"`})) },
			want: ErrMalformed},
		// An empty claim holds no scopes, as in aws-jwt-verify: accepted
		// unless a scope is required.
		{name: "empty scope claim", token: func() string { return access(claims(map[string]any{"scope": ""})) },
			check: func(t *testing.T, c *jwtverify.Claims) {
				if c.Scopes != nil {
					t.Errorf("Scopes = %q, want none", c.Scopes)
				}
			}},
		{name: "empty scope claim, a scope required", token: func() string { return access(claims(map[string]any{"scope": ""})) },
			cfg: pool(func(p *jwtverify.PoolConfig) { p.Scopes = []string{"rs/b"} }), want: jwtverify.ErrScope},

		// Other claims.
		{name: "sub missing", token: func() string { return access(claims(map[string]any{"sub": nil})) }, want: ErrMalformed},
		{name: "sub a number", token: func() string { return access(claims(map[string]any{"sub": 12})) }, want: ErrMalformed},
		{name: "username a number", token: func() string { return access(claims(map[string]any{"username": 12})) }, want: ErrMalformed},
		{name: "jti an object", token: func() string { return access(claims(map[string]any{"jti": map[string]any{}})) }, want: ErrMalformed},
		{name: "payload not JSON", token: func() string { return rawToken(rawHeader(), `exp`) }, want: ErrMalformed},
		{name: "payload is a string", token: func() string { return rawToken(rawHeader(), `"x"`) }, want: ErrMalformed},
		{name: "payload trailing data", token: func() string { return rawToken(rawHeader(), rawPayload("")+"x") }, want: ErrMalformed},
		{name: "duplicate exp", token: func() string { return rawToken(rawHeader(), rawPayload(`,"exp":1`)) }, want: ErrMalformed},
		{name: "duplicate sub through an escape", token: func() string { return rawToken(rawHeader(), rawPayload(`,"\u0073ub":"s-2"`)) },
			want: ErrMalformed},
		{name: "duplicate through a surrogate pair", token: func() string {
			return rawToken(rawHeader(), rawPayload(`,"😀":1,"\ud83d\ude00":2`))
		}, want: ErrMalformed},
		{name: "duplicate in a nested object", token: func() string { return rawToken(rawHeader(), rawPayload(`,"x":{"a":1,"b":{"c":1,"c":2}}`)) },
			want: ErrMalformed},
		{name: "duplicate in an object inside a list", token: func() string { return rawToken(rawHeader(), rawPayload(`,"x":[{"a":1,"a":1}]`)) },
			want: ErrMalformed},
		{name: "same name in sibling objects is fine", token: func() string {
			return rawToken(rawHeader(), rawPayload(`,"x":{"a":1},"y":{"a":1},"z":[{"a":1},{"a":2}]`))
		}},
		{name: "names differing only in case are fine", token: func() string { return rawToken(rawHeader(), rawPayload(`,"Exp":1`)) }},
		{name: "lone surrogate", token: func() string { return rawToken(rawHeader(), rawPayload(`,"x":"\ud800"`)) }, want: ErrMalformed},
		{name: "invalid UTF-8", token: func() string { return rawToken(rawHeader(), rawPayload(",\"x\":\"\xff\"")) }, want: ErrMalformed},
		{name: "deep nesting", token: func() string {
			return rawToken(rawHeader(), rawPayload(`,"x":`+strings.Repeat("[", 100)+strings.Repeat("]", 100)))
		}, want: ErrMalformed},

		// Custom check.
		{name: "custom check accepts", token: func() string { return valid },
			cfg: pool(func(p *jwtverify.PoolConfig) {
				p.Check = func(_ context.Context, c *jwtverify.Claims) error { return nil }
			})},
	}
}

func TestVerifyRules(t *testing.T) {
	for _, tc := range verifyCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			cfg := baseConfig(t)
			if tc.cfg != nil {
				tc.cfg(&cfg)
			}
			v := mustNew(t, cfg)
			tok := tc.token()
			c, err := v.Verify(context.Background(), tok)
			if !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
				t.Fatalf("Verify: err = %v, want %v", err, tc.want)
			}
			checkErrorContract(t, tok, c, err)
			if err == nil && tc.check != nil {
				tc.check(t, c)
			}
		})
	}
}

// checkErrorContract checks what every Verify result must satisfy.
func checkErrorContract(t *testing.T, tok string, c *jwtverify.Claims, err error) {
	t.Helper()
	if err == nil {
		if c == nil {
			t.Fatal("nil claims without an error")
		}
		return
	}
	n := 0
	for _, s := range sentinels {
		if errors.Is(err, s) {
			n++
		}
	}
	if n != 1 {
		t.Errorf("error %q wraps %d sentinels, want exactly 1", err, n)
	}
	for _, s := range preSignature {
		if errors.Is(err, s) && c != nil {
			t.Errorf("claims returned with %v, before the signature verified", err)
		}
	}
	for _, part := range strings.Split(tok, ".") {
		if len(part) >= 8 && strings.Contains(err.Error(), part) {
			t.Errorf("error %q contains token material", err)
		}
	}
	if strings.Contains(err.Error(), testIss.KID()) {
		t.Errorf("error %q contains the kid", err)
	}
}

func TestVerifyPostSignatureErrorsCarryClaims(t *testing.T) {
	cfg := baseConfig(t)
	cfg.Pools[0].Groups = []string{"admins"}
	v := mustNew(t, cfg)
	c, err := v.Verify(context.Background(), access())
	if !errors.Is(err, jwtverify.ErrGroup) || c == nil || c.Username != "alice" {
		t.Fatalf("Verify = %+v, %v; want alice's claims and ErrGroup", c, err)
	}
	c, err = v.Verify(context.Background(), access(cognitotest.WithExpiry(-time.Minute)))
	if !errors.Is(err, jwtverify.ErrExpired) || c == nil {
		t.Fatalf("Verify = %v, %v; want claims and ErrExpired", c, err)
	}
}

func TestVerifyFillsClaims(t *testing.T) {
	v := mustNew(t, baseConfig(t))
	ctx := context.Background()
	iat := testNow.Add(-10 * time.Minute)

	c, err := v.Verify(ctx, access(cognitotest.WithGroups("admins", "users"),
		cognitotest.WithScopes("openid", "orders/read"), cognitotest.WithTimes(iat, time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	want := jwtverify.Claims{
		Subject: testIss.Sub("alice"), Username: "alice", ClientID: clientA, TokenUse: jwtverify.TokenUseAccess,
		Issuer: testIss.IssuerURL(), Groups: []string{"admins", "users"}, Scopes: []string{"openid", "orders/read"},
		IssuedAt: iat, AuthTime: iat, ExpiresAt: iat.Add(time.Hour),
	}
	compareClaims(t, c, &want)
	if c.JTI == "" || c.OriginJTI == "" || c.Raw()["event_id"] == nil || c.Raw()["version"] != float64(2) {
		t.Errorf("jti %q origin_jti %q raw %v", c.JTI, c.OriginJTI, c.Raw())
	}
	if c.IsClientCredentials() || !c.InGroup("admins") || !c.HasScope("orders/read") {
		t.Error("helpers disagree with the claims")
	}

	c, err = v.Verify(ctx, id(cognitotest.WithGroups("admins"), cognitotest.WithTimes(iat, time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	want = jwtverify.Claims{
		Subject: testIss.Sub("alice"), Username: "alice", ClientID: clientA, TokenUse: jwtverify.TokenUseID,
		Issuer: testIss.IssuerURL(), Groups: []string{"admins"},
		IssuedAt: iat, AuthTime: iat, ExpiresAt: iat.Add(time.Hour),
	}
	compareClaims(t, c, &want)

	c, err = v.Verify(ctx, testIss.ClientCredentialsToken(clientA, []string{"orders/read", "orders/write"}))
	if err != nil {
		t.Fatal(err)
	}
	if !c.IsClientCredentials() || c.Subject != clientA || c.ClientID != clientA || len(c.Scopes) != 2 || c.Groups != nil {
		t.Errorf("client credentials claims: %+v", c)
	}
}

func compareClaims(t *testing.T, got, want *jwtverify.Claims) {
	t.Helper()
	if got.Subject != want.Subject || got.Username != want.Username || got.ClientID != want.ClientID ||
		got.TokenUse != want.TokenUse || got.Issuer != want.Issuer ||
		strings.Join(got.Groups, ",") != strings.Join(want.Groups, ",") ||
		strings.Join(got.Scopes, ",") != strings.Join(want.Scopes, ",") ||
		!got.IssuedAt.Equal(want.IssuedAt) || !got.AuthTime.Equal(want.AuthTime) || !got.ExpiresAt.Equal(want.ExpiresAt) {
		t.Errorf("claims\n got %+v\nwant %+v", got, want)
	}
}

func TestVerifyCustomCheck(t *testing.T) {
	errRevoked := errors.New("revoked")
	cfg := baseConfig(t)
	var seen *jwtverify.Claims
	cfg.Pools[0].Check = func(_ context.Context, c *jwtverify.Claims) error {
		seen = c
		if c.Username == "mallory" {
			return errRevoked
		}
		return nil
	}
	v := mustNew(t, cfg)
	if _, err := v.Verify(context.Background(), access()); err != nil || seen == nil {
		t.Fatalf("err %v, check saw %v", err, seen)
	}
	c, err := v.Verify(context.Background(), testIss.AccessToken("mallory", clientA))
	if !errors.Is(err, errRevoked) || c == nil || jwtverify.Code(err) != "error" {
		t.Fatalf("Verify = %v, %v (code %s); want claims and the check's error", c, err, jwtverify.Code(err))
	}
	// The check runs only after every built-in check passed.
	seen = nil
	if _, err := v.Verify(context.Background(), testIss.AccessToken("mallory", clientB)); !errors.Is(err, jwtverify.ErrClientID) || seen != nil {
		t.Fatalf("err %v, check ran: %v", err, seen != nil)
	}
}

func TestVerifyDoesNotFetchForUnknownIssuerOrTokenURLs(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		_, _ = w.Write(testIss.JWKS())
	}))
	defer srv.Close()
	ks := newMapKeySet(jwtverify.Key{KID: testIss.KID(), Algorithm: "RS256", Public: testIss.PublicKey()})
	cfg := baseConfig(t)
	cfg.Pools[0].KeySet = ks
	v := mustNew(t, cfg)
	ctx := context.Background()

	if _, err := v.Verify(ctx, access(claims(map[string]any{"iss": srv.URL}))); !errors.Is(err, jwtverify.ErrIssuer) {
		t.Fatalf("unknown issuer: %v", err)
	}
	if n := ks.calls.Load(); n != 0 {
		t.Fatalf("key set consulted %d times for an unknown issuer", n)
	}
	pointers := map[string]any{"jku": srv.URL, "x5u": srv.URL, "jwk": map[string]any{"kty": "RSA"}}
	if _, err := v.Verify(ctx, access(header(pointers))); err != nil {
		t.Fatalf("jku/x5u/jwk must be ignored, got %v", err)
	}
	pointers["kid"] = "elsewhere"
	if _, err := v.Verify(ctx, access(header(pointers), cognitotest.SignWithUnknownKey())); !errors.Is(err, jwtverify.ErrKeyNotFound) {
		t.Fatalf("unknown kid with jku: %v", err)
	}
	if hits.Load() != 0 {
		t.Fatalf("the verifier fetched a URL named by the token")
	}
}

func TestVerifyPicksPoolByIssuer(t *testing.T) {
	other, err := cognitotest.NewIssuer(cognitotest.WithUserPoolID("eu-west-1_Other"), cognitotest.WithNow(func() time.Time { return testNow }))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	cfg := baseConfig(t)
	pc := other.PoolConfig(jwtverify.TokenUseAccess)
	pc.ClientIDs = []string{clientB}
	pc.KeySet = staticSet(t, other)
	cfg.Pools = append(cfg.Pools, pc)
	v := mustNew(t, cfg)
	ctx := context.Background()
	if _, err := v.Verify(ctx, other.AccessToken("bob", clientB)); err != nil {
		t.Fatalf("second pool: %v", err)
	}
	if _, err := v.Verify(ctx, other.AccessToken("bob", clientA)); !errors.Is(err, jwtverify.ErrClientID) {
		t.Fatalf("second pool's client rules: %v", err)
	}
	// A token claiming the first pool but signed by the second pool's key
	// must be looked up only in the first pool's keys.
	forged := other.AccessToken("bob", clientA, claims(map[string]any{"iss": testIss.IssuerURL()}))
	if _, err := v.Verify(ctx, forged); !errors.Is(err, jwtverify.ErrKeyNotFound) {
		t.Fatalf("cross-pool token: %v", err)
	}
	forged = other.AccessToken("bob", clientA, claims(map[string]any{"iss": testIss.IssuerURL()}), cognitotest.WithKID(testIss.KID()))
	if _, err := v.Verify(ctx, forged); !errors.Is(err, jwtverify.ErrSignature) {
		t.Fatalf("cross-pool token with the first pool's kid: %v", err)
	}
}

func TestNewConfigValidation(t *testing.T) {
	ks := staticSet(t, testIss)
	good := func() jwtverify.PoolConfig {
		return jwtverify.PoolConfig{
			UserPoolID: "eu-west-1_AbCdEf123",
			TokenUses:  []jwtverify.TokenUse{jwtverify.TokenUseAccess},
			ClientIDs:  []string{clientA},
			KeySet:     ks,
		}
	}
	withPool := func(f func(*jwtverify.PoolConfig)) jwtverify.Config {
		p := good()
		f(&p)
		return jwtverify.Config{Pools: []jwtverify.PoolConfig{p}}
	}
	tests := []struct {
		name    string
		cfg     jwtverify.Config
		wantErr bool
	}{
		{"minimal", withPool(func(*jwtverify.PoolConfig) {}), false},
		{"no pools", jwtverify.Config{}, true},
		{"pool id empty", withPool(func(p *jwtverify.PoolConfig) { p.UserPoolID = "" }), true},
		{"pool id without region", withPool(func(p *jwtverify.PoolConfig) { p.UserPoolID = "AbCdEf123" }), true},
		{"pool id without id", withPool(func(p *jwtverify.PoolConfig) { p.UserPoolID = "eu-west-1_" }), true},
		{"pool id upper-case region", withPool(func(p *jwtverify.PoolConfig) { p.UserPoolID = "EU-WEST-1_abc" }), true},
		{"pool id with a path", withPool(func(p *jwtverify.PoolConfig) { p.UserPoolID = "eu-west-1_abc/../x" }), true},
		{"pool id with a host", withPool(func(p *jwtverify.PoolConfig) { p.UserPoolID = "evil.example/x-1_abc" }), true},
		{"pool id of a local stand-in without an issuer", withPool(func(p *jwtverify.PoolConfig) { p.UserPoolID = "local_abc" }), true},
		{"pool id too long", withPool(func(p *jwtverify.PoolConfig) { p.UserPoolID = "eu-west-1_" + strings.Repeat("a", 50) }), true},
		{"gov region", withPool(func(p *jwtverify.PoolConfig) { p.UserPoolID = "us-gov-west-1_abc" }), false},
		{"no token uses", withPool(func(p *jwtverify.PoolConfig) { p.TokenUses = nil }), true},
		{"unknown token use", withPool(func(p *jwtverify.PoolConfig) { p.TokenUses = []jwtverify.TokenUse{"refresh"} }), true},
		{"no client ids", withPool(func(p *jwtverify.PoolConfig) { p.ClientIDs = nil }), true},
		{"skip client ids", withPool(func(p *jwtverify.PoolConfig) { p.ClientIDs, p.SkipClientIDCheck = nil, true }), false},
		{"client ids and skip", withPool(func(p *jwtverify.PoolConfig) { p.SkipClientIDCheck = true }), true},
		{"empty client id", withPool(func(p *jwtverify.PoolConfig) { p.ClientIDs = []string{""} }), true},
		{"empty group", withPool(func(p *jwtverify.PoolConfig) { p.Groups = []string{"a", ""} }), true},
		{"empty scope", withPool(func(p *jwtverify.PoolConfig) { p.Scopes = []string{""} }), true},
		{"two scopes in one", withPool(func(p *jwtverify.PoolConfig) { p.Scopes = []string{"rs/a rs/b"} }), true},
		{"scope with a tab", withPool(func(p *jwtverify.PoolConfig) { p.Scopes = []string{"rs/a\trs/b"} }), true},
		{"scope with a quote", withPool(func(p *jwtverify.PoolConfig) { p.Scopes = []string{`rs/"a"`} }), true},
		{"non-ASCII scope", withPool(func(p *jwtverify.PoolConfig) { p.Scopes = []string{"rs/é"} }), true},
		{"scope-token punctuation", withPool(func(p *jwtverify.PoolConfig) { p.Scopes = []string{"https://api.example/rs:read!"} }), false},
		{"negative grace", withPool(func(p *jwtverify.PoolConfig) { p.Grace = -time.Second }), true},
		{"https issuer", withPool(func(p *jwtverify.PoolConfig) { p.Issuer = "https://idp.example/pool" }), false},
		{"http issuer", withPool(func(p *jwtverify.PoolConfig) { p.Issuer = "http://localhost:9229/pool" }), true},
		{"http issuer allowed", withPool(func(p *jwtverify.PoolConfig) {
			p.Issuer, p.InsecureHTTP = "http://localhost:9229/pool", true
		}), false},
		{"issuer of another scheme", withPool(func(p *jwtverify.PoolConfig) { p.Issuer, p.InsecureHTTP = "ftp://x/pool", true }), true},
		{"issuer without host", withPool(func(p *jwtverify.PoolConfig) { p.Issuer = "https:///pool" }), true},
		{"relative issuer", withPool(func(p *jwtverify.PoolConfig) { p.Issuer = "/pool" }), true},
		{"issuer with credentials", withPool(func(p *jwtverify.PoolConfig) { p.Issuer = "https://u:p@idp.example/pool" }), true},
		{"http JWKS URL", withPool(func(p *jwtverify.PoolConfig) { p.JWKSURL = "http://localhost/jwks.json" }), true},
		{"http JWKS URL allowed", withPool(func(p *jwtverify.PoolConfig) {
			p.JWKSURL, p.InsecureHTTP = "http://localhost/jwks.json", true
		}), false},
		{"remote key set", withPool(func(p *jwtverify.PoolConfig) { p.KeySet = nil }), false},
		{"algorithm none", jwtverify.Config{Pools: []jwtverify.PoolConfig{good()}, Algorithms: []string{"none"}}, true},
		{"algorithm HS256", jwtverify.Config{Pools: []jwtverify.PoolConfig{good()}, Algorithms: []string{"RS256", "HS256"}}, true},
		{"algorithm lower case", jwtverify.Config{Pools: []jwtverify.PoolConfig{good()}, Algorithms: []string{"rs256"}}, true},
		{"algorithm ES256", jwtverify.Config{Pools: []jwtverify.PoolConfig{good()}, Algorithms: []string{"ES256"}}, false},
		{"negative max size", jwtverify.Config{Pools: []jwtverify.PoolConfig{good()}, MaxTokenSize: -1}, true},
		{"negative cache size", jwtverify.Config{Pools: []jwtverify.PoolConfig{good()}, TokenCacheSize: -1}, true},
		{"negative JWKS fetch timeout", jwtverify.Config{Pools: []jwtverify.PoolConfig{good()}, JWKSFetchTimeout: -1}, true},
		{"two pools, one issuer", jwtverify.Config{Pools: []jwtverify.PoolConfig{good(), good()}}, true},
		{"issuer override colliding with a default", jwtverify.Config{Pools: []jwtverify.PoolConfig{good(), func() jwtverify.PoolConfig {
			p := good()
			p.UserPoolID = "us-east-1_Other"
			p.Issuer = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123"
			return p
		}()}}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel() // stops remote key sets
			v, err := jwtverify.New(ctx, tc.cfg)
			if (err != nil) != tc.wantErr {
				t.Fatalf("New: err = %v, wantErr %v", err, tc.wantErr)
			}
			if err != nil && v != nil {
				t.Fatal("New returned a Verifier with an error")
			}
		})
	}
}

func TestSupportedAlgorithms(t *testing.T) {
	for _, a := range jwtverify.SupportedAlgorithms() {
		if a == "none" || strings.HasPrefix(a, "HS") {
			t.Errorf("%s is supported", a)
		}
	}
}

// TestRemoteKeySetAndHydrate uses the default remote key set against the
// issuer's JWKS endpoint, including a key rotation.
func TestRemoteKeySetAndHydrate(t *testing.T) {
	iss, err := cognitotest.NewIssuer(cognitotest.WithNow(func() time.Time { return testNow }))
	if err != nil {
		t.Fatal(err)
	}
	defer iss.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pc := iss.PoolConfig(jwtverify.TokenUseAccess)
	pc.ClientIDs = []string{clientA}
	v := mustNew(t, jwtverify.Config{Pools: []jwtverify.PoolConfig{pc}, Now: func() time.Time { return testNow }})
	if err := v.Hydrate(ctx); err != nil {
		t.Fatalf("Hydrate: %v", err)
	}
	if _, err := v.Verify(ctx, iss.AccessToken("alice", clientA)); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	iss.Rotate()
	if _, err := v.Verify(ctx, iss.AccessToken("alice", clientA)); err != nil {
		t.Fatalf("Verify after rotation: %v", err)
	}

	pc.JWKSURL = iss.IssuerURL() + "/missing.json"
	v = mustNew(t, jwtverify.Config{Pools: []jwtverify.PoolConfig{pc}})
	if err := v.Hydrate(ctx); !errors.Is(err, jwtverify.ErrKeysUnavailable) || !strings.Contains(err.Error(), iss.UserPoolID()) {
		t.Fatalf("Hydrate of a missing JWKS: %v", err)
	}
	// A static set has nothing to hydrate.
	if err := mustNew(t, baseConfig(t)).Hydrate(ctx); err != nil {
		t.Fatalf("Hydrate with a static set: %v", err)
	}
}

func TestVerifyConcurrent(t *testing.T) {
	cfg := baseConfig(t)
	cfg.TokenCacheSize = 4
	v := mustNew(t, cfg)
	toks := []string{access(), id(), testIss.AccessToken("bob", clientA), access(cognitotest.WithGroups("g")),
		testIss.AccessToken("carol", clientA), access(cognitotest.WithExpiry(-time.Hour))}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 30 {
				tok := toks[(g+i)%len(toks)]
				c, err := v.Verify(context.Background(), tok)
				if (err == nil) == (tok == toks[5]) {
					t.Errorf("token %d: %v", (g+i)%len(toks), err)
					return
				}
				if err == nil && len(c.Groups) > 0 {
					c.Groups[0] = "changed" // must not leak into other results
				}
			}
		})
	}
	wg.Wait()
	c, err := v.Verify(context.Background(), toks[3])
	if err != nil || c.Groups[0] != "g" {
		t.Fatalf("groups %v, err %v", c.Groups, err)
	}
}
