package clientcredentials

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/subtle"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/gatehouse-auth/gatehouse/jwtverify"
	"github.com/gatehouse-auth/gatehouse/jwtverify/cognitotest"
)

// ClientDescriber is the Cognito call the endpoint makes;
// *cognitoidentityprovider.Client satisfies it.
type ClientDescriber interface {
	DescribeUserPoolClient(ctx context.Context, in *cip.DescribeUserPoolClientInput, optFns ...func(*cip.Options)) (*cip.DescribeUserPoolClientOutput, error)
}

// Config configures an Endpoint. All fields but Lifetime are required.
type Config struct {
	Cognito    ClientDescriber
	UserPoolID string
	// Issuer is the "iss" of minted tokens: the pool's own (cognito-local's
	// http://<host>:<port>/<pool>, moto_server's
	// https://cognito-idp.<region>.amazonaws.com/<pool>).
	Issuer string
	// Key and KID sign the tokens: a key the pool publishes (cognito-local's
	// development key, see CognitoLocalKey), or one of the caller's own,
	// published by JWKS beside the pool's keys (PoolJWKSURL).
	Key crypto.Signer
	KID string
	// PoolJWKSURL is where the pool publishes its keys, for JWKS to serve
	// them with Key's public half: set it when Key is not the pool's, and
	// point the verifier's JWKS URL at JWKS. Used for moto_server, whose
	// signing key is not published in a form the demo can load.
	PoolJWKSURL string
	// Lifetime of a token. Default: 1 hour, as Cognito's default.
	Lifetime time.Duration
}

// Endpoint serves POST /oauth2/token with grant_type=client_credentials.
type Endpoint struct {
	cfg    Config
	issuer *cognitotest.Issuer
}

// New checks cfg. Close the Endpoint when done.
func New(cfg Config) (*Endpoint, error) {
	if cfg.Cognito == nil || cfg.UserPoolID == "" || cfg.Issuer == "" || cfg.Key == nil || cfg.KID == "" {
		return nil, errors.New("clientcredentials: Cognito, UserPoolID, Issuer, Key and KID are required")
	}
	if cfg.Lifetime <= 0 {
		cfg.Lifetime = time.Hour
	}
	iss, err := cognitotest.NewIssuer(cognitotest.WithUserPoolID(cfg.UserPoolID))
	if err != nil {
		return nil, err
	}
	return &Endpoint{cfg: cfg, issuer: iss}, nil
}

// Close releases the minting issuer.
func (e *Endpoint) Close() { e.issuer.Close() }

func (e *Endpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		oauthError(w, http.StatusMethodNotAllowed, "invalid_request")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request")
		return
	}
	if r.PostForm.Get("grant_type") != "client_credentials" {
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type")
		return
	}
	id, secret, ok := r.BasicAuth()
	if !ok {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if id == "" || secret == "" {
		oauthError(w, http.StatusUnauthorized, "invalid_client")
		return
	}
	out, err := e.cfg.Cognito.DescribeUserPoolClient(r.Context(), &cip.DescribeUserPoolClientInput{
		UserPoolId: aws.String(e.cfg.UserPoolID), ClientId: aws.String(id),
	})
	var notFound *types.ResourceNotFoundException
	switch {
	case errors.As(err, &notFound):
		oauthError(w, http.StatusUnauthorized, "invalid_client")
		return
	case err != nil:
		oauthError(w, http.StatusServiceUnavailable, "temporarily_unavailable")
		return
	}
	c := out.UserPoolClient
	if c == nil || c.ClientSecret == nil || subtle.ConstantTimeCompare([]byte(*c.ClientSecret), []byte(secret)) != 1 {
		oauthError(w, http.StatusUnauthorized, "invalid_client")
		return
	}
	if !slices.Contains(c.AllowedOAuthFlows, types.OAuthFlowTypeClientCredentials) {
		oauthError(w, http.StatusBadRequest, "unauthorized_client")
		return
	}
	scopes := c.AllowedOAuthScopes
	// Cognito's own grammar for the form's scope is RFC 6749's: one parser
	// (jwtverify.ParseScope), so the stand-in never mints a claim the
	// verifier would refuse.
	requested, err := jwtverify.ParseScope(r.PostForm.Get("scope"))
	if err != nil || slices.ContainsFunc(scopes, func(s string) bool { return !jwtverify.IsScopeToken(s) }) {
		oauthError(w, http.StatusBadRequest, "invalid_scope")
		return
	}
	if len(requested) > 0 {
		for _, s := range requested {
			if !slices.Contains(c.AllowedOAuthScopes, s) {
				oauthError(w, http.StatusBadRequest, "invalid_scope")
				return
			}
		}
		scopes = requested
	}
	token := e.issuer.ClientCredentialsToken(id, scopes,
		cognitotest.WithSigningKey(e.cfg.Key), cognitotest.WithKID(e.cfg.KID),
		cognitotest.WithClaims(map[string]any{"iss": e.cfg.Issuer}),
		cognitotest.WithExpiry(e.cfg.Lifetime))
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(map[string]any{
		"access_token": token,
		"expires_in":   int(e.cfg.Lifetime.Seconds()),
		"token_type":   "Bearer",
	})
}

// JWKS serves GET: the keys at PoolJWKSURL, read on each request (the pool
// is local), followed by Key's public half under KID, so one JWKS URL
// verifies both the pool's tokens and the minted ones. When the pool's
// keys cannot be read it answers 502, and a verifier refuses what it
// cannot check.
func (e *Endpoint) JWKS() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet {
			w.Header().Set("Allow", http.MethodGet)
			w.WriteHeader(http.StatusMethodNotAllowed)
			return
		}
		var set struct {
			Keys []json.RawMessage `json:"keys"`
		}
		if e.cfg.PoolJWKSURL != "" {
			if err := fetchJSON(r.Context(), e.cfg.PoolJWKSURL, &set); err != nil {
				http.Error(w, "the pool's keys are unavailable", http.StatusBadGateway)
				return
			}
		}
		own, err := publicJWK(e.cfg.Key, e.cfg.KID)
		if err != nil {
			http.Error(w, "no public key", http.StatusInternalServerError)
			return
		}
		set.Keys = append(set.Keys, own)
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(set)
	})
}

func fetchJSON(ctx context.Context, url string, v any) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: status %d", url, resp.StatusCode)
	}
	return json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(v)
}

// publicJWK is key's public half as an RS256 JSON Web Key.
func publicJWK(key crypto.Signer, kid string) (json.RawMessage, error) {
	pub, ok := key.Public().(*rsa.PublicKey)
	if !ok {
		return nil, errors.New("clientcredentials: the signing key is not RSA")
	}
	return json.Marshal(cognitotest.RSAJWK(kid, pub))
}

func oauthError(w http.ResponseWriter, status int, code string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"error":%q}`+"\n", code)
}

// CognitoLocalKey loads the development signing key that cognito-local ships
// and publishes (kid "CognitoLocal") from its installed package at
// moduleDir/lib/keys (moduleDir: node_modules/cognito-local).
func CognitoLocalKey(moduleDir string) (crypto.Signer, string, error) {
	data, err := os.ReadFile(filepath.Join(moduleDir, "lib", "keys", "cognitoLocal.private.json"))
	if err != nil {
		return nil, "", fmt.Errorf("clientcredentials: cognito-local key: %w", err)
	}
	var file struct {
		PEM string `json:"pem"`
		JWK struct {
			KID string `json:"kid"`
		} `json:"jwk"`
	}
	if err := json.Unmarshal(data, &file); err != nil {
		return nil, "", fmt.Errorf("clientcredentials: cognito-local key: %w", err)
	}
	block, _ := pem.Decode([]byte(file.PEM))
	if block == nil {
		return nil, "", errors.New("clientcredentials: cognito-local key: no PEM block")
	}
	var key any
	if key, err = x509.ParsePKCS1PrivateKey(block.Bytes); err != nil {
		if key, err = x509.ParsePKCS8PrivateKey(block.Bytes); err != nil {
			return nil, "", fmt.Errorf("clientcredentials: cognito-local key: %w", err)
		}
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, "", errors.New("clientcredentials: cognito-local key is not a signing key")
	}
	kid := file.JWK.KID
	if kid == "" {
		kid = "CognitoLocal"
	}
	return signer, kid, nil
}
