// Package mfacognito is an in-process stand-in speaking Cognito's JSON
// protocol for one sign-in that requires MFA (SOFTWARE_TOKEN_MFA): tests
// of the challenge hand-back and answer use it because MFA is not
// exercised on a local service here (neither moto_server nor cognito-local
// sends SMS or e-mail codes, and TOTP on them was not tried).
//
// AdminInitiateAuth with the right password answers SOFTWARE_TOKEN_MFA
// with a session, USER_ID_FOR_SRP and a parameter no client needs
// (userAttributes); AdminRespondToAuthChallenge checks that exactly
// USERNAME, SOFTWARE_TOKEN_MFA_CODE and the right SECRET_HASH came with the
// session, then answers tokens, CodeMismatchException or
// NotAuthorizedException (an unknown or used session) as Cognito does.
package mfacognito

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/gatehouse-auth/gatehouse/cognitoauth"
)

// The one user and app client the stand-in knows.
const (
	PoolID   = "us-east-1_Mfa"
	ClientID = "mfaclient"
	Secret   = "mfa-client-secret"
	Username = "frank"
	Password = "Frank-Password-1!"
	Code     = "123456"
)

// Server is the stand-in.
type Server struct {
	srv      *httptest.Server
	mu       sync.Mutex
	sessions map[string]bool // issued, not yet used
}

// New starts a stand-in for tb.
func New(tb testing.TB) *Server {
	s := &Server{sessions: map[string]bool{}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	tb.Cleanup(s.srv.Close)
	return s
}

// API is a Cognito client for the stand-in.
func (s *Server) API() *cip.Client {
	return cip.New(cip.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(s.srv.URL),
		Credentials: aws.AnonymousCredentials{}, RetryMaxAttempts: 1,
	})
}

// Auth is a cognitoauth client of the stand-in's app client.
func (s *Server) Auth(tb testing.TB) *cognitoauth.Client {
	c, err := cognitoauth.New(cognitoauth.Config{API: s.API(), UserPoolID: PoolID, ClientID: ClientID, ClientSecret: Secret})
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	var in struct {
		ClientId           string
		ChallengeName      string
		Session            string
		AuthParameters     map[string]string
		ChallengeResponses map[string]string
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.ClientId != ClientID {
		fail(w, "InvalidParameterException", "unexpected request")
		return
	}
	hash := cognitoauth.SecretHash(Secret, Username, ClientID)
	switch r.Header.Get("X-Amz-Target") {
	case "AWSCognitoIdentityProviderService.AdminInitiateAuth":
		if !maps.Equal(in.AuthParameters, map[string]string{"USERNAME": Username, "PASSWORD": Password, "SECRET_HASH": hash}) {
			fail(w, "NotAuthorizedException", "Incorrect username or password.")
			return
		}
		session := "mfa-session-" + rand.Text()
		s.mu.Lock()
		s.sessions[session] = true
		s.mu.Unlock()
		fmt.Fprintf(w, `{"ChallengeName":"SOFTWARE_TOKEN_MFA","Session":%q,"ChallengeParameters":{"USER_ID_FOR_SRP":%q,"userAttributes":"{\"email\":\"frank@example.com\"}"}}`, session, Username)
	case "AWSCognitoIdentityProviderService.AdminRespondToAuthChallenge":
		code := in.ChallengeResponses["SOFTWARE_TOKEN_MFA_CODE"]
		if in.ChallengeName != "SOFTWARE_TOKEN_MFA" || !maps.Equal(in.ChallengeResponses, map[string]string{"USERNAME": Username, "SOFTWARE_TOKEN_MFA_CODE": code, "SECRET_HASH": hash}) {
			fail(w, "InvalidParameterException", "unexpected challenge responses")
			return
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		switch {
		case !s.sessions[in.Session]:
			fail(w, "NotAuthorizedException", "Invalid session for the user, session is expired.")
		case code != Code:
			fail(w, "CodeMismatchException", "Invalid code received for user")
		default:
			delete(s.sessions, in.Session)
			fmt.Fprint(w, `{"AuthenticationResult":{"IdToken":"mfa-id-token","AccessToken":"mfa-access-token","RefreshToken":"mfa-refresh-token","ExpiresIn":3600,"TokenType":"Bearer"},"ChallengeParameters":{}}`)
		}
	default:
		fail(w, "InvalidParameterException", "unexpected call")
	}
}

func fail(w http.ResponseWriter, code, msg string) {
	w.WriteHeader(http.StatusBadRequest)
	fmt.Fprintf(w, `{"__type":%q,"message":%q}`, code, msg)
}
