package cognitotest

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/gatehouse-auth/gatehouse/jwtverify"
)

// DefaultUserPoolID is the pool id of an Issuer made without WithUserPoolID.
const DefaultUserPoolID = "us-east-1_Gatehouse"

// DefaultLifetime is how long minted tokens are valid, as in Cognito.
const DefaultLifetime = time.Hour

// DefaultAccessScope is the scope of a user access token minted without
// WithScopes.
const DefaultAccessScope = "aws.cognito.signin.user.admin"

// Issuer is a fake Cognito user pool: it mints signed tokens and serves its
// public keys over HTTP. It is safe for concurrent use.
type Issuer struct {
	srv    *httptest.Server
	poolID string
	now    func() time.Time

	mu      sync.Mutex
	keys    []signingKey // published; the last one signs
	unknown *rsa.PrivateKey
}

type signingKey struct {
	kid  string
	priv *rsa.PrivateKey
}

// IssuerOption configures NewIssuer.
type IssuerOption func(*issuerSettings)

type issuerSettings struct {
	poolID string
	now    func() time.Time
}

// WithUserPoolID sets the pool id ("<region>_<id>"). Default DefaultUserPoolID.
func WithUserPoolID(id string) IssuerOption {
	return func(s *issuerSettings) { s.poolID = id }
}

// WithNow sets the clock used for "iat", "auth_time" and "exp". Default time.Now.
func WithNow(now func() time.Time) IssuerOption {
	return func(s *issuerSettings) { s.now = now }
}

// NewIssuer generates a 2048-bit RSA signing key and starts an HTTP server
// that serves the JWKS at /<poolId>/.well-known/jwks.json, like cognito-local.
// Call Close when done.
func NewIssuer(opts ...IssuerOption) (*Issuer, error) {
	s := issuerSettings{poolID: DefaultUserPoolID, now: time.Now}
	for _, o := range opts {
		o(&s)
	}
	if s.poolID == "" || strings.ContainsAny(s.poolID, "/?#% ") {
		return nil, fmt.Errorf("cognitotest: invalid user pool id %q", s.poolID)
	}
	key, err := newSigningKey()
	if err != nil {
		return nil, err
	}
	is := &Issuer{poolID: s.poolID, now: s.now, keys: []signingKey{key}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /"+s.poolID+"/.well-known/jwks.json", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(is.JWKS())
	})
	is.srv = httptest.NewServer(mux)
	return is, nil
}

func newSigningKey() (signingKey, error) {
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return signingKey{}, fmt.Errorf("cognitotest: generating a key: %w", err)
	}
	return signingKey{kid: randomID(16), priv: priv}, nil
}

// Close stops the HTTP server.
func (is *Issuer) Close() { is.srv.Close() }

// UserPoolID returns the pool id.
func (is *Issuer) UserPoolID() string { return is.poolID }

// IssuerURL returns the "iss" of minted tokens: the server URL followed by
// "/<poolId>" (plain http).
func (is *Issuer) IssuerURL() string { return is.srv.URL + "/" + is.poolID }

// JWKSURL returns where the server publishes the public keys.
func (is *Issuer) JWKSURL() string { return is.IssuerURL() + "/.well-known/jwks.json" }

// PoolConfig returns a jwtverify.PoolConfig for this issuer: UserPoolID,
// Issuer, JWKSURL and InsecureHTTP are set and TokenUses is tokenUses (both
// kinds when none is given). ClientIDs is empty and SkipClientIDCheck false:
// the caller must choose.
func (is *Issuer) PoolConfig(tokenUses ...jwtverify.TokenUse) jwtverify.PoolConfig {
	if len(tokenUses) == 0 {
		tokenUses = []jwtverify.TokenUse{jwtverify.TokenUseID, jwtverify.TokenUseAccess}
	}
	return jwtverify.PoolConfig{
		UserPoolID:   is.poolID,
		TokenUses:    tokenUses,
		Issuer:       is.IssuerURL(),
		JWKSURL:      is.JWKSURL(),
		InsecureHTTP: true,
	}
}

// JWKS returns the current public JSON Web Key Set.
func (is *Issuer) JWKS() []byte {
	is.mu.Lock()
	defer is.mu.Unlock()
	set := struct {
		Keys []JWK `json:"keys"`
	}{Keys: []JWK{}}
	for _, k := range is.keys {
		set.Keys = append(set.Keys, RSAJWK(k.kid, &k.priv.PublicKey))
	}
	out, err := json.Marshal(set)
	if err != nil {
		panic("cognitotest: " + err.Error()) // cannot happen: plain strings
	}
	return out
}

// JWK is an RSA signing key's public half as a JSON Web Key, as Cognito
// publishes it.
type JWK struct {
	Kty string `json:"kty"`
	Kid string `json:"kid"`
	Use string `json:"use"`
	Alg string `json:"alg"`
	N   string `json:"n"`
	E   string `json:"e"`
}

// RSAJWK is pub under kid as an RS256 JSON Web Key.
func RSAJWK(kid string, pub *rsa.PublicKey) JWK {
	return JWK{
		Kty: "RSA", Kid: kid, Use: "sig", Alg: "RS256",
		N: b64(pub.N.Bytes()),
		E: b64(big.NewInt(int64(pub.E)).Bytes()),
	}
}

// KID returns the key id of the current signing key.
func (is *Issuer) KID() string {
	is.mu.Lock()
	defer is.mu.Unlock()
	return is.keys[len(is.keys)-1].kid
}

// PublicKey returns the current signing key's public key.
func (is *Issuer) PublicKey() *rsa.PublicKey {
	is.mu.Lock()
	defer is.mu.Unlock()
	return &is.keys[len(is.keys)-1].priv.PublicKey
}

// Rotate adds a new key, which signs from now on, and returns its kid. The
// previous keys stay published until RetireOldKeys. It panics only if the
// system's random source fails.
func (is *Issuer) Rotate() string {
	k, err := newSigningKey()
	if err != nil {
		panic(err)
	}
	is.mu.Lock()
	defer is.mu.Unlock()
	is.keys = append(is.keys, k)
	return k.kid
}

// RetireOldKeys unpublishes every key except the current signing key.
func (is *Issuer) RetireOldKeys() {
	is.mu.Lock()
	defer is.mu.Unlock()
	is.keys = is.keys[len(is.keys)-1:]
}

// Sub returns the "sub" the issuer gives username: a stable UUID-like value,
// the same for every token of that user in this pool.
func (is *Issuer) Sub(username string) string { return Sub(is.poolID, username) }

// Sub returns the "sub" an Issuer of user pool poolID gives username, for
// tests that bind a user before (or without) an Issuer at hand.
func Sub(poolID, username string) string {
	h := sha256.Sum256([]byte(poolID + "\x00" + username))
	h[6] = h[6]&0x0f | 0x40 // version 4 layout
	h[8] = h[8]&0x3f | 0x80
	x := hex.EncodeToString(h[:16])
	return x[0:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:32]
}

// TokenOption changes one minted token.
type TokenOption func(*tokenSettings)

type tokenSettings struct {
	groups     []string
	scopes     []string
	scopesSet  bool
	issuedAt   time.Time
	lifetime   time.Duration
	claims     map[string]any
	header     map[string]any
	kid        string
	signer     crypto.Signer
	unknownKey bool
}

// WithGroups sets "cognito:groups" (ID and user access tokens).
func WithGroups(groups ...string) TokenOption {
	return func(s *tokenSettings) { s.groups = groups }
}

// WithScopes sets the scopes of an access token, replacing the default.
func WithScopes(scopes ...string) TokenOption {
	return func(s *tokenSettings) { s.scopes, s.scopesSet = scopes, true }
}

// WithExpiry sets the token's lifetime (exp - iat). Default DefaultLifetime;
// a negative lifetime mints an expired token.
func WithExpiry(lifetime time.Duration) TokenOption {
	return func(s *tokenSettings) { s.lifetime = lifetime }
}

// WithTimes sets "iat" and "auth_time" to issuedAt and "exp" to issuedAt+lifetime.
func WithTimes(issuedAt time.Time, lifetime time.Duration) TokenOption {
	return func(s *tokenSettings) { s.issuedAt, s.lifetime = issuedAt, lifetime }
}

// WithClaims overrides claims after all others are set; a nil value deletes
// the claim.
func WithClaims(claims map[string]any) TokenOption {
	return func(s *tokenSettings) {
		if s.claims == nil {
			s.claims = map[string]any{}
		}
		for k, v := range claims {
			s.claims[k] = v
		}
	}
}

// WithHeader overrides JOSE header members ("alg", "kid", "typ", ...) after
// signing parameters are chosen, so the signature is still made with the
// real key and algorithm; a nil value deletes the member.
func WithHeader(header map[string]any) TokenOption {
	return func(s *tokenSettings) {
		if s.header == nil {
			s.header = map[string]any{}
		}
		for k, v := range header {
			s.header[k] = v
		}
	}
}

// WithKID sets the header "kid" (default: the current signing key's).
func WithKID(kid string) TokenOption {
	return func(s *tokenSettings) { s.kid = kid }
}

// WithSigningKey signs with key instead of the issuer's current key: an
// *rsa.PrivateKey (RS256), *ecdsa.PrivateKey (ES256, ES384 or ES512 by curve)
// or ed25519.PrivateKey (EdDSA). The kid stays the current key's unless
// WithKID is given.
func WithSigningKey(key crypto.Signer) TokenOption {
	return func(s *tokenSettings) { s.signer = key }
}

// SignWithUnknownKey signs with a key the issuer never publishes while keeping
// the current kid, so the token's signature does not verify.
func SignWithUnknownKey() TokenOption {
	return func(s *tokenSettings) { s.unknownKey = true }
}

// IDToken mints an ID token for username issued to app client clientID.
func (is *Issuer) IDToken(username, clientID string, opts ...TokenOption) string {
	s := is.settings(opts)
	c := is.baseClaims(s, jwtverify.TokenUseID, is.Sub(username))
	c["cognito:username"] = username
	c["aud"] = clientID
	c["origin_jti"] = randomUUID()
	c["event_id"] = randomUUID()
	if s.groups != nil {
		c["cognito:groups"] = s.groups
	}
	return is.sign(s, c)
}

// AccessToken mints a user access token for username issued to app client
// clientID, with scope DefaultAccessScope unless WithScopes is given.
func (is *Issuer) AccessToken(username, clientID string, opts ...TokenOption) string {
	s := is.settings(opts)
	c := is.baseClaims(s, jwtverify.TokenUseAccess, is.Sub(username))
	c["username"] = username
	c["client_id"] = clientID
	c["origin_jti"] = randomUUID()
	c["event_id"] = randomUUID()
	c["version"] = 2
	scopes := []string{DefaultAccessScope}
	if s.scopesSet {
		scopes = s.scopes
	}
	c["scope"] = scopeClaim(scopes)
	if s.groups != nil {
		c["cognito:groups"] = s.groups
	}
	return is.sign(s, c)
}

// ClientCredentialsToken mints a machine-to-machine access token for app
// client clientID: no user name, "sub" equal to the client id, and the given
// resource-server scopes (WithScopes replaces them).
func (is *Issuer) ClientCredentialsToken(clientID string, scopes []string, opts ...TokenOption) string {
	s := is.settings(opts)
	if s.scopesSet {
		scopes = s.scopes
	}
	c := is.baseClaims(s, jwtverify.TokenUseAccess, clientID)
	c["client_id"] = clientID
	c["version"] = 2
	c["scope"] = scopeClaim(scopes)
	return is.sign(s, c)
}

// scopeClaim joins scopes into a claim of RFC 6749 §3.3's grammar, as
// Cognito issues them. A scope that is not one scope-token (empty, holding
// a space, a tab, a quote, ...) is a programming error in the test: a
// malformed claim is made with WithClaims.
func scopeClaim(scopes []string) string {
	for _, sc := range scopes {
		if !jwtverify.IsScopeToken(sc) {
			panic(fmt.Sprintf("cognitotest: scope %q is not one RFC 6749 scope-token (use WithClaims for a malformed claim)", sc))
		}
	}
	return strings.Join(scopes, " ")
}

func (is *Issuer) settings(opts []TokenOption) *tokenSettings {
	s := &tokenSettings{lifetime: DefaultLifetime}
	for _, o := range opts {
		o(s)
	}
	if s.issuedAt.IsZero() {
		s.issuedAt = is.now()
	}
	return s
}

func (is *Issuer) baseClaims(s *tokenSettings, use jwtverify.TokenUse, sub string) map[string]any {
	iat := s.issuedAt.Unix()
	return map[string]any{
		"sub":       sub,
		"iss":       is.IssuerURL(),
		"token_use": string(use),
		"auth_time": iat,
		"iat":       iat,
		"exp":       s.issuedAt.Add(s.lifetime).Unix(),
		"jti":       randomUUID(),
	}
}

// sign applies the claim and header overrides and signs. It panics when an
// override cannot be encoded as JSON (a bug in the calling test).
func (is *Issuer) sign(s *tokenSettings, claims map[string]any) string {
	for k, v := range s.claims {
		if v == nil {
			delete(claims, k)
		} else {
			claims[k] = v
		}
	}
	is.mu.Lock()
	cur := is.keys[len(is.keys)-1]
	var signer crypto.Signer = cur.priv
	switch {
	case s.signer != nil:
		signer = s.signer
	case s.unknownKey:
		if is.unknown == nil {
			k, err := newSigningKey()
			if err != nil {
				is.mu.Unlock()
				panic(err)
			}
			is.unknown = k.priv
		}
		signer = is.unknown
	}
	is.mu.Unlock()

	alg, err := algorithmFor(signer)
	if err != nil {
		panic(err)
	}
	kid := cur.kid
	if s.kid != "" {
		kid = s.kid
	}
	header := map[string]any{"kid": kid, "alg": alg}
	for k, v := range s.header {
		if v == nil {
			delete(header, k)
		} else {
			header[k] = v
		}
	}
	input := b64(mustJSON(header)) + "." + b64(mustJSON(claims))
	sig, err := signJWS(signer, alg, []byte(input))
	if err != nil {
		panic(fmt.Sprintf("cognitotest: signing: %v", err))
	}
	return input + "." + b64(sig)
}

// SignRaw signs header and payload exactly as given (RS256, current key) and
// returns the compact token. It is for tests of malformed JSON, such as
// duplicate member names, that the other minting functions cannot produce.
func (is *Issuer) SignRaw(header, payload []byte) string {
	is.mu.Lock()
	priv := is.keys[len(is.keys)-1].priv
	is.mu.Unlock()
	input := b64(header) + "." + b64(payload)
	sig, err := signJWS(priv, "RS256", []byte(input))
	if err != nil {
		panic(fmt.Sprintf("cognitotest: signing: %v", err))
	}
	return input + "." + b64(sig)
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("cognitotest: encoding an override: %v", err))
	}
	return b
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func randomID(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b64(b)
}

func randomUUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	x := hex.EncodeToString(b)
	return x[0:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:32]
}
