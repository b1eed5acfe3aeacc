package refresh_test

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/gatehouse-auth/gatehouse/cognitoauth"
	"github.com/gatehouse-auth/gatehouse/jwtverify/cognitotest"
)

// fakeCognito is an in-process issuer speaking Cognito's JSON protocol,
// for refresh-token rotation: no local stand-in implements
// GetTokensFromRefreshToken (cognito-local and moto_server both lack it).
// It implements just enough for the partner service: AdminCreateUser,
// AdminSetUserPassword, AdminDeleteUser, AdminInitiateAuth
// (ADMIN_USER_PASSWORD_AUTH with SECRET_HASH), GetTokensFromRefreshToken
// (rotating; a used token answers RefreshTokenReuseException) and
// RevokeToken, all checking the client secret. Tokens are signed by a
// cognitotest.Issuer.
type fakeCognito struct {
	srv      *httptest.Server
	issuer   *cognitotest.Issuer
	clientID string
	secret   string

	mu        sync.Mutex
	users     map[string]string // user name → password
	refresh   map[string]*fakeRefresh
	revoked   []string // refresh tokens revoked, in order
	grace     bool     // a used token may still be refreshed (Cognito's grace period)
	hold      int      // GetTokensFromRefreshToken waits until this many calls arrived
	arrived   int
	release   chan struct{}
	refreshes int  // GetTokensFromRefreshToken calls
	down      bool // every call answers 500 InternalErrorException
	noRevoke  bool // RevokeToken answers 500
	// failCreate: AdminCreateUser of this user name answers 500 (a
	// partner administrator's creation failing half way through a
	// registration).
	failCreate string
	// noSub: AdminCreateUser of this user name creates it but answers
	// without its sub.
	noSub string
}

type fakeRefresh struct {
	username string
	used     bool
	revoked  bool
}

func newFakeCognito(t *testing.T) *fakeCognito {
	t.Helper()
	is, err := cognitotest.NewIssuer()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(is.Close)
	f := &fakeCognito{
		issuer: is, clientID: "fake-partner-client", secret: "fake-secret-" + rand.Text(),
		users: map[string]string{}, refresh: map[string]*fakeRefresh{},
	}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// client is a Cognito SDK client pointed at the fake; these tests only.
func (f *fakeCognito) client() *cip.Client {
	return cip.New(cip.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(f.srv.URL), RetryMaxAttempts: 1,
		Credentials: aws.AnonymousCredentials{},
	})
}

// holdRefreshes makes the next n GetTokensFromRefreshToken calls wait for
// each other, so n concurrent exchanges overlap for certain.
func (f *fakeCognito) holdRefreshes(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hold, f.arrived, f.release = n, 0, make(chan struct{})
}

func (f *fakeCognito) set(down, noRevoke bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.down, f.noRevoke = down, noRevoke
}

func (f *fakeCognito) revokedTokens() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.revoked...)
}

// useOutOfBand refreshes token as if someone else had, so the stored copy
// becomes a used one.
func (f *fakeCognito) useOutOfBand(token string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if r := f.refresh[token]; r != nil {
		r.used = true
	}
}

func (f *fakeCognito) serve(w http.ResponseWriter, r *http.Request) {
	var in map[string]any
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		f.fail(w, "InvalidParameterException", "bad json")
		return
	}
	str := func(k string) string { s, _ := in[k].(string); return s }
	params := map[string]string{}
	if m, ok := in["AuthParameters"].(map[string]any); ok {
		for k, v := range m {
			params[k], _ = v.(string)
		}
	}
	op := r.Header.Get("X-Amz-Target")
	if op == "AWSCognitoIdentityProviderService.GetTokensFromRefreshToken" {
		f.waitForOthers()
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down || (f.noRevoke && op == "AWSCognitoIdentityProviderService.RevokeToken") {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.WriteHeader(http.StatusInternalServerError)
		fmt.Fprint(w, `{"__type":"InternalErrorException","message":"down"}`)
		return
	}
	switch op {
	case "AWSCognitoIdentityProviderService.AdminCreateUser":
		name := str("Username")
		if name == f.failCreate {
			w.Header().Set("Content-Type", "application/x-amz-json-1.1")
			w.WriteHeader(http.StatusInternalServerError)
			fmt.Fprint(w, `{"__type":"InternalErrorException","message":"down"}`)
			return
		}
		if _, ok := f.users[name]; ok {
			f.fail(w, "UsernameExistsException", "exists")
			return
		}
		f.users[name] = ""
		attrs := []map[string]string{{"Name": "sub", "Value": "sub-" + name}}
		if name == f.noSub {
			attrs = nil
		}
		f.ok(w, map[string]any{"User": map[string]any{"Username": name, "Enabled": true, "Attributes": attrs}})
	case "AWSCognitoIdentityProviderService.AdminSetUserPassword":
		if _, ok := f.users[str("Username")]; !ok {
			f.fail(w, "UserNotFoundException", "no user")
			return
		}
		f.users[str("Username")] = str("Password")
		f.ok(w, map[string]any{})
	case "AWSCognitoIdentityProviderService.AdminDeleteUser":
		delete(f.users, str("Username"))
		f.ok(w, map[string]any{})
	case "AWSCognitoIdentityProviderService.AdminInitiateAuth":
		name := params["USERNAME"]
		pw, ok := f.users[name]
		switch {
		case str("ClientId") != f.clientID || params["SECRET_HASH"] != cognitoauth.SecretHash(f.secret, name, f.clientID):
			f.fail(w, "NotAuthorizedException", "bad client secret")
		case str("AuthFlow") != "ADMIN_USER_PASSWORD_AUTH":
			f.fail(w, "InvalidParameterException", "unsupported flow")
		case !ok || pw == "" || params["PASSWORD"] != pw:
			f.fail(w, "NotAuthorizedException", "bad credentials")
		default:
			f.ok(w, map[string]any{"AuthenticationResult": f.issue(name)})
		}
	case "AWSCognitoIdentityProviderService.GetTokensFromRefreshToken":
		f.refreshes++
		rt := f.refresh[str("RefreshToken")]
		switch {
		case str("ClientId") != f.clientID || str("ClientSecret") != f.secret:
			f.fail(w, "NotAuthorizedException", "bad client secret")
		case rt == nil || rt.revoked:
			f.fail(w, "NotAuthorizedException", "invalid refresh token")
		case rt.used && !f.grace:
			f.fail(w, "RefreshTokenReuseException", "refresh token reused")
		default:
			rt.used = true
			f.ok(w, map[string]any{"AuthenticationResult": f.issue(rt.username)})
		}
	case "AWSCognitoIdentityProviderService.RevokeToken":
		if str("ClientId") != f.clientID || str("ClientSecret") != f.secret {
			f.fail(w, "NotAuthorizedException", "bad client secret")
			return
		}
		if rt := f.refresh[str("Token")]; rt != nil {
			rt.revoked = true
			f.revoked = append(f.revoked, str("Token"))
		}
		f.ok(w, map[string]any{})
	default:
		f.fail(w, "InvalidActionException", "not implemented: "+op)
	}
}

func (f *fakeCognito) waitForOthers() {
	f.mu.Lock()
	if f.hold == 0 {
		f.mu.Unlock()
		return
	}
	f.arrived++
	release := f.release
	if f.arrived == f.hold {
		f.hold = 0
		close(release)
	}
	f.mu.Unlock()
	select {
	case <-release:
	case <-time.After(20 * time.Second): // a safety net against a hung test, not an assertion
	}
}

// issue mints tokens and a new refresh token for name; f.mu is held.
func (f *fakeCognito) issue(name string) map[string]any {
	rt := "fake-rt-" + rand.Text() + rand.Text()
	f.refresh[rt] = &fakeRefresh{username: name}
	return map[string]any{
		"IdToken":      f.issuer.IDToken(name, f.clientID),
		"AccessToken":  f.issuer.AccessToken(name, f.clientID),
		"RefreshToken": rt,
		"ExpiresIn":    3600,
		"TokenType":    "Bearer",
	}
}

func (f *fakeCognito) ok(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	_ = json.NewEncoder(w).Encode(v)
}

func (f *fakeCognito) fail(w http.ResponseWriter, code, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.WriteHeader(http.StatusBadRequest)
	fmt.Fprintf(w, `{"__type":%q,"message":%q}`, code, msg)
}
