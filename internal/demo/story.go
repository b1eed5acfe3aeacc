package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/gatehouse-auth/gatehouse/internal/testkit/userpool"
	"github.com/gatehouse-auth/gatehouse/jwtverify/cognitotest"
	"github.com/gatehouse-auth/gatehouse/mapping"
)

// stepError names the step that misbehaved.
type stepError struct {
	step string
	err  error
}

func (e *stepError) Error() string { return "step " + e.step + ": " + e.err.Error() }
func (e *stepError) Unwrap() error { return e.err }

// answer is one HTTP exchange's outcome.
type answer struct {
	status int
	body   map[string]any
}

func (a answer) str(key string) string { s, _ := a.body[key].(string); return s }

// walk tells the story of the issues: eight steps, each checked.
func walk(ctx context.Context, s *stack, out io.Writer) error {
	w := newWalker(ctx, s, out)
	for _, st := range []struct {
		id, title string
		run       func() error
	}{
		{"1", "a person signs in and calls the sample API", w.personCalls},
		{"2", "they create API credentials; their program calls with a client-credentials token", w.programCalls},
		{"3", "they reset the credentials: the old client is refused, the new one works", w.reset},
		{"4", "an administrator registers a partner; the partner exchanges its credential and calls; it is revoked", w.partner},
		{"5", "a bad token, an expired token, a missing scope", w.refusals},
		{"6", "the partner administrator rotates its own credential", w.selfService},
		{"7", "alice signs out everywhere: her earlier tokens are refused, a fresh sign-in is admitted", w.signOut},
		{"8", "alice is deleted in Cognito and her name re-created: the new person is refused, never given her internal id", w.recreated},
	} {
		fmt.Fprintf(out, "\n== step %s: %s\n", st.id, st.title)
		if err := st.run(); err != nil {
			return &stepError{step: st.id + " (" + st.title + ")", err: err}
		}
	}
	return nil
}

func newWalker(ctx context.Context, s *stack, out io.Writer) *walker {
	return &walker{ctx: ctx, s: s, out: out, client: &http.Client{Timeout: 10 * time.Second}}
}

type walker struct {
	ctx    context.Context
	s      *stack
	out    io.Writer
	client *http.Client

	// What the story carries from step to step. Tokens and secrets are
	// never printed.
	aliceID, aliceToken string
	clientID, secret    string
	clientToken         string
}

func (w *walker) say(format string, args ...any) { fmt.Fprintf(w.out, "   "+format+"\n", args...) }

// call sends a JSON request (body may be nil) with an optional bearer token
// and checks the answer's status; what names the request for messages.
func (w *walker) call(method, url, token string, body any, want int, what string) (answer, error) {
	a, err := w.send(method, url, token, body)
	return expect(a, err, want, what)
}

func (w *walker) send(method, url, token string, body any) (answer, error) {
	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return answer{}, err
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(w.ctx, method, url, rd)
	if err != nil {
		return answer{}, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return w.do(req)
}

func (w *walker) do(req *http.Request) (answer, error) {
	resp, err := w.client.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	a := answer{status: resp.StatusCode, body: map[string]any{}}
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if len(bytes.TrimSpace(data)) > 0 {
		json.Unmarshal(data, &a.body)
	}
	return a, nil
}

// expect checks the status; what names the request for the message.
func expect(a answer, err error, status int, what string) (answer, error) {
	if err != nil {
		return a, fmt.Errorf("%s: %w", what, err)
	}
	if a.status != status {
		return a, fmt.Errorf("%s: status %d, want %d (%v)", what, a.status, status, a.body["error"])
	}
	return a, nil
}

// signIn signs user in through the portal and returns the ID token.
func (w *walker) signIn(user string) (string, error) {
	id, _, err := w.signInTokens(user)
	return id, err
}

// signInTokens signs user in through the portal and returns the ID and
// access tokens.
func (w *walker) signInTokens(user string) (id, access string, err error) {
	a, err := w.call("POST", w.s.portal+"/auth/sign-in", "", map[string]string{"username": user, "password": w.s.passwords[user]}, 200, "POST /auth/sign-in")
	if err != nil {
		return "", "", err
	}
	if a.str("id_token") == "" || a.str("access_token") == "" {
		return "", "", fmt.Errorf("sign-in returned no tokens")
	}
	w.say("POST %s/auth/sign-in as %s -> 200: ID, access and refresh tokens (not shown)", w.s.portal, user)
	return a.str("id_token"), a.str("access_token"), nil
}

// callAPI calls the sample API through gatehouse serve and returns who it
// saw; want is the status expected.
func (w *walker) callAPI(method, path, token string, want int, who string) (answer, error) {
	a, err := w.call(method, w.s.api+path, token, nil, want, method+" "+path+" as "+who)
	if err != nil {
		return a, err
	}
	if want == 200 {
		w.say("%s %s%s as %s -> 200: internal_user_id=%s caller_kind=%s", method, w.s.api, path, who, a.str("internal_user_id"), a.str("caller_kind"))
	} else {
		w.say("%s %s%s as %s -> %d", method, w.s.api, path, who, a.status)
	}
	return a, nil
}

func (w *walker) personCalls() error {
	token, err := w.signIn(person)
	if err != nil {
		return err
	}
	w.aliceToken = token
	a, err := w.callAPI("GET", "/orders", token, 200, "alice (ID token)")
	if err != nil {
		return err
	}
	if w.aliceID = a.str("internal_user_id"); w.aliceID == "" || a.str("caller_kind") != "user" {
		return fmt.Errorf("the API saw %v, want alice's internal id and kind user", a.body)
	}
	return nil
}

// newClient creates (or, with replace, resets) alice's API client and gets
// a client-credentials token for it.
func (w *walker) newClient(path, what string, body any, status int) error {
	a, err := w.call("POST", w.s.portal+path, w.aliceToken, body, status, "POST "+path)
	if err != nil {
		return err
	}
	w.clientID, w.secret = a.str("client_id"), a.str("client_secret")
	if w.clientID == "" || w.secret == "" || a.str("token_endpoint") == "" {
		return fmt.Errorf("%s returned no client id, secret or token endpoint", what)
	}
	w.say("POST %s%s -> %d: client_id=%s, client_secret shown once (not here), token_endpoint=%s", w.s.portal, path, a.status, w.clientID, a.str("token_endpoint"))
	token, err := w.clientCredentials(a.str("token_endpoint"), w.clientID, w.secret, 200)
	if err != nil {
		return err
	}
	w.clientToken = token
	return nil
}

func (w *walker) clientCredentials(endpoint, id, secret string, want int) (string, error) {
	req, err := http.NewRequestWithContext(w.ctx, "POST", endpoint, strings.NewReader(url.Values{"grant_type": {"client_credentials"}}.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(id, secret)
	a, err := w.do(req)
	if a, err = expect(a, err, want, "POST /oauth2/token for client "+id); err != nil {
		return "", err
	}
	w.say("POST %s (client_credentials, client %s) -> %d %s", endpoint, id, a.status, a.str("error"))
	return a.str("access_token"), nil
}

func (w *walker) programCalls() error {
	if err := w.newClient("/clients", "POST /clients", map[string]string{"name": "alice's script"}, 201); err != nil {
		return err
	}
	a, err := w.callAPI("POST", "/orders", w.clientToken, 200, "alice's program (client credentials)")
	if err != nil {
		return err
	}
	if a.str("internal_user_id") != w.aliceID || a.str("caller_kind") != "client" {
		return fmt.Errorf("the API saw %v, want alice's internal id %s and kind client", a.body, w.aliceID)
	}
	w.say("same internal id as alice herself: %s", w.aliceID)
	return nil
}

func (w *walker) reset() error {
	oldID, oldSecret, oldToken := w.clientID, w.secret, w.clientToken
	if err := w.newClient("/clients/"+oldID+"/reset", "the reset", nil, 200); err != nil {
		return err
	}
	if _, err := w.callAPI("GET", "/orders", oldToken, 401, "the old client's unexpired token"); err != nil {
		return err
	}
	if _, err := w.clientCredentials(w.s.tokenEP, oldID, oldSecret, 401); err != nil {
		return fmt.Errorf("the old secret: %w", err)
	}
	a, err := w.callAPI("GET", "/orders", w.clientToken, 200, "the new client")
	if err != nil {
		return err
	}
	if a.str("internal_user_id") != w.aliceID {
		return fmt.Errorf("the new client acts for %q, want %s", a.str("internal_user_id"), w.aliceID)
	}
	return nil
}

func (w *walker) partner() error {
	adminToken, err := w.signIn(administrator)
	if err != nil {
		return err
	}
	a, err := w.call("POST", w.s.partners+"/partners", adminToken, map[string]string{"partner_id": partnerID}, 201, "POST /partners")
	if err != nil {
		return err
	}
	credential := a.str("refresh_token")
	if credential == "" {
		return fmt.Errorf("registration returned no credential")
	}
	w.say("POST %s/partners {partner_id: %s} as admin -> 201: internal_id=%s, the partner's credential given once (not shown)", w.s.partners, partnerID, a.str("internal_id"))
	exchange := func(want int) (answer, error) {
		a, err := w.call("POST", w.s.partners+"/partners/token", "", map[string]string{"refresh_token": credential}, want, "POST /partners/token")
		if err == nil {
			w.say("POST %s/partners/token with the credential -> %d", w.s.partners, a.status)
		}
		return a, err
	}
	t, err := exchange(200)
	if err != nil {
		return err
	}
	api, err := w.callAPI("GET", "/orders", t.str("id_token"), 200, "the partner (its ID token)")
	if err != nil {
		return err
	}
	if api.str("caller_kind") != "partner" || api.str("internal_user_id") == "" || api.str("internal_user_id") == w.aliceID {
		return fmt.Errorf("the API saw %v, want the partner's own internal id", api.body)
	}
	if _, err := w.call("DELETE", w.s.partners+"/partners/"+partnerID, adminToken, nil, 200, "DELETE /partners/"+partnerID); err != nil {
		return err
	}
	w.say("DELETE %s/partners/%s as admin -> 200: revoked", w.s.partners, partnerID)
	_, err = exchange(401)
	return err
}

// selfService: an administrator registers a partner with its own
// administrator; that administrator signs in (its first sign-in completes
// NEW_PASSWORD_REQUIRED), rotates the partner's credential — the old one
// is refused at the exchange, the new one works — and is refused on
// another partner.
func (w *walker) selfService() error {
	old, err := w.registerSelfServe()
	if err != nil {
		return err
	}

	ch, err := w.call("POST", w.s.partners+"/partners/auth/sign-in", "", map[string]string{
		"username": partnerAdmin, "password": w.s.passwords[partnerAdmin+"-temporary"],
	}, 200, "POST /partners/auth/sign-in")
	if err != nil {
		return err
	}
	c, _ := ch.body["challenge"].(map[string]any)
	name, _ := c["name"].(string)
	session, _ := c["session"].(string)
	if name != "NEW_PASSWORD_REQUIRED" || session == "" {
		return fmt.Errorf("the first sign-in answered %v, want the challenge NEW_PASSWORD_REQUIRED", ch.body)
	}
	w.say("POST %s/partners/auth/sign-in as %s with the temporary password -> 200: challenge NEW_PASSWORD_REQUIRED", w.s.partners, partnerAdmin)
	t, err := w.call("POST", w.s.partners+"/partners/auth/respond", "", map[string]any{
		"username": partnerAdmin, "challenge": name, "session": session,
		"responses": map[string]string{"NEW_PASSWORD": w.s.passwords[partnerAdmin]},
	}, 200, "POST /partners/auth/respond")
	if err != nil {
		return err
	}
	token := t.str("id_token")
	if token == "" {
		return fmt.Errorf("respond returned no tokens")
	}
	w.say("POST %s/partners/auth/respond with a new password -> 200: the administrator's tokens (not shown)", w.s.partners)

	rot, err := w.call("POST", w.s.partners+"/partners/"+selfServePartner+"/rotate", token, nil, 200, "POST /partners/"+selfServePartner+"/rotate as its administrator")
	if err != nil {
		return err
	}
	fresh := rot.str("refresh_token")
	if fresh == "" || fresh == old {
		return fmt.Errorf("rotation returned no new credential")
	}
	w.say("POST %s/partners/%s/rotate as %s -> 200: a new credential, shown once (not shown here)", w.s.partners, selfServePartner, partnerAdmin)
	for _, c := range []struct {
		what, credential string
		want             int
	}{{"the old credential", old, 401}, {"the new credential", fresh, 200}} {
		if _, err := w.call("POST", w.s.partners+"/partners/token", "", map[string]string{"refresh_token": c.credential}, c.want, "POST /partners/token with "+c.what); err != nil {
			return err
		}
		w.say("POST %s/partners/token with %s -> %d", w.s.partners, c.what, c.want)
	}
	if _, err := w.call("POST", w.s.partners+"/partners/"+partnerID+"/rotate", token, nil, 403, "POST /partners/"+partnerID+"/rotate as "+partnerAdmin); err != nil {
		return err
	}
	w.say("POST %s/partners/%s/rotate as %s -> 403: another partner's", w.s.partners, partnerID, partnerAdmin)
	return nil
}

// registerSelfServe registers the partner of step 6 with its administrator
// (make dev does it too, for the guide's commands) and returns the
// partner's credential.
func (w *walker) registerSelfServe() (string, error) {
	adminToken, err := w.signIn(administrator)
	if err != nil {
		return "", err
	}
	reg, err := w.call("POST", w.s.partners+"/partners", adminToken, map[string]string{
		"partner_id": selfServePartner, "admin_username": partnerAdmin, "admin_email": partnerAdmin + "@example.com",
		"admin_temporary_password": w.s.passwords[partnerAdmin+"-temporary"],
	}, 201, "POST /partners with an administrator")
	if err != nil {
		return "", err
	}
	w.say("POST %s/partners {partner_id: %s, admin_username: %s} as admin -> 201: the partner's credential given once (not shown)", w.s.partners, selfServePartner, partnerAdmin)
	return reg.str("refresh_token"), nil
}

func (w *walker) refusals() error {
	if _, err := w.callAPI("GET", "/orders", "not-a-jwt", 401, "a bad token"); err != nil {
		return err
	}
	// Signed with a key the verifier takes for the people's pool's (the
	// client-credentials stand-in's, published with the pool's keys) and
	// issued under the pool's issuer, but expired an hour ago.
	iss, err := cognitotest.NewIssuer(cognitotest.WithUserPoolID(w.s.poolID))
	if err != nil {
		return err
	}
	defer iss.Close()
	expired := iss.IDToken(person, w.s.webClientID, cognitotest.WithSigningKey(w.s.key), cognitotest.WithKID(w.s.kid),
		cognitotest.WithClaims(map[string]any{"iss": w.s.issuer}), cognitotest.WithTimes(time.Now().Add(-2*time.Hour), time.Hour))
	if _, err := w.callAPI("GET", "/orders", expired, 401, "alice with an expired token"); err != nil {
		return err
	}
	_, err = w.callAPI("POST", "/orders", w.aliceToken, 403, "alice (POST /orders needs the orders/write scope; an ID token has none)")
	return err
}

// signOut: alice signs out everywhere on the portal (GlobalSignOut with
// her access token, then the sign-out time on her mapping item). Every
// token issued before it is refused — by the API (serve's log says
// signed_out) and by the portal itself — while her API client, a separate
// credential, still works; a sign-in from the next whole second on is
// admitted ("iat" has whole seconds).
func (w *walker) signOut() error {
	id, access, err := w.signInTokens(person)
	if err != nil {
		return err
	}
	if _, err := w.callAPI("GET", "/orders", id, 200, "alice (a fresh ID token)"); err != nil {
		return err
	}
	if _, err := w.call("POST", w.s.portal+"/auth/sign-out", access, nil, 204, "POST /auth/sign-out"); err != nil {
		return err
	}
	signedOutBy := time.Now()
	w.say("POST %s/auth/sign-out with alice's access token -> 204: signed out everywhere", w.s.portal)
	for _, t := range []struct{ what, token string }{{"alice's ID token from before", id}, {"alice's ID token from step 1", w.aliceToken}} {
		if _, err := w.callAPI("GET", "/orders", t.token, 401, t.what); err != nil {
			return err
		}
	}
	a, err := w.call("GET", w.s.portal+"/clients", id, nil, 401, "GET /clients with the signed-out token")
	if err != nil {
		return err
	}
	if e, _ := a.body["error"].(map[string]any); e["code"] != "signed_out" {
		return fmt.Errorf("the portal refused the signed-out token with %v, want code signed_out", a.body["error"])
	}
	w.say("GET %s/clients with the same token -> 401 signed_out", w.s.portal)
	if err := w.logSays("serve", "reason=signed_out"); err != nil {
		return err
	}
	if _, err := w.callAPI("GET", "/orders", w.clientToken, 200, "alice's program (its API client is not signed out)"); err != nil {
		return err
	}
	// A token issued in the sign-out's own second is refused too: sign in
	// again from the next whole second.
	userpool.WaitForSecond(mapping.SignOutSecond(signedOutBy))
	fresh, err := w.signIn(person)
	if err != nil {
		return err
	}
	api, err := w.callAPI("GET", "/orders", fresh, 200, "alice (signed in again after the next whole second)")
	if err != nil {
		return err
	}
	if api.str("internal_user_id") != w.aliceID {
		return fmt.Errorf("after signing in again the API saw %v, want alice's internal id %s", api.body, w.aliceID)
	}
	return nil
}

// logSays checks that gatehouse name's log (text format) holds want.
func (w *walker) logSays(name, want string) error {
	data, err := os.ReadFile(filepath.Join(w.s.dir, name+".log"))
	if err != nil {
		return err
	}
	if !bytes.Contains(data, []byte(want)) {
		return fmt.Errorf("gatehouse %s's log lacks %s", name, want)
	}
	return nil
}

// recreatedPassword keys the re-created alice's password in stack.passwords.
const recreatedPassword = person + " (re-created)"

// recreated deletes alice in Cognito without `gatehouse users remove` and
// creates the name again (a new sub): the mapping is bound to the old sub,
// so the new alice's tokens are refused (identity_rebound in serve's log).
func (w *walker) recreated() error {
	pool := userpool.Pool{API: w.s.idp, ID: w.s.poolID}
	if _, err := w.s.idp.AdminDeleteUser(w.ctx, &cip.AdminDeleteUserInput{UserPoolId: &w.s.poolID, Username: aws.String(person)}); err != nil {
		return fmt.Errorf("AdminDeleteUser: %w", err)
	}
	password := "Demo-" + rand.Text() + "1!"
	if err := pool.User(w.ctx, person, password, apiClientsGroup); err != nil {
		return err
	}
	w.s.passwords[recreatedPassword] = password
	w.say("AdminDeleteUser %s, then AdminCreateUser %s again (a new person, a new sub)", person, person)
	a, err := w.call("POST", w.s.portal+"/auth/sign-in", "", map[string]string{"username": person, "password": password}, 200, "POST /auth/sign-in (re-created)")
	if err != nil {
		return err
	}
	w.say("POST %s/auth/sign-in as the new %s -> 200 (Cognito knows her)", w.s.portal, person)
	if _, err := w.callAPI("GET", "/orders", a.str("id_token"), 401, "the new alice"); err != nil {
		return err
	}
	if err := w.logSays("serve", "reason=identity_rebound"); err != nil {
		return err
	}
	w.say("refused (identity_rebound): the name is bound to the old alice's sub; %s stays hers", w.aliceID)
	return nil
}
