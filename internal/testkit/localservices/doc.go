// Package localservices starts the local stand-ins for AWS that Gatehouse's
// integration tests run against: moto_server (DynamoDB, KMS, Cognito) and
// cognito-local (Cognito user-pool flows, RevokeToken, JWKS), and finds the
// other programs tests run (nginx, caddy, python3).
//
// A test package declares the services its tests may use in its TestMain,
// and each test that uses one asks for it before building a client:
//
//	func TestMain(m *testing.M) {
//		os.Exit(localservices.Run(m, localservices.DynamoDB, localservices.KMS))
//	}
//
//	func TestStore(t *testing.T) {
//		localservices.Require(t, localservices.DynamoDB)
//		cfg, err := config.LoadDefaultConfig(ctx)
//		...
//	}
//
// Run starts nothing, so tests that need no service run on a machine with
// only Go. Require starts the package's shared stand-in the first time a
// test asks for it, unless the AWS SDK's standard endpoint variables
// (AWS_ENDPOINT_URL_<SERVICE>, then AWS_ENDPOINT_URL) already point
// somewhere: then the tests use that. A stand-in answers on a free loopback
// port, and Require sets the standard variable so that code under test
// reaches it the ordinary way (config.LoadDefaultConfig). Test credentials
// and a region are set only when they are missing. Run stops every stand-in
// when the tests end.
//
// Until a test requires a declared service, its variable points at a
// placeholder that refuses every call with an error naming Require: a test
// that forgets Require fails at once instead of reaching AWS.
//
// When a stand-in's program is not installed, Require skips the test with
// one line naming it; Tool does the same for nginx, caddy or python3. With
// GATEHOUSE_REQUIRE_SERVICES=1 (make unit sets it) or CI set, the test fails
// instead, so nothing is skipped silently where the services are expected.
// A stand-in that is installed but does not start fails the test either way.
//
// A test that stops, pauses or restarts a stand-in (an outage test) starts
// one of its own with StartMoto, points the SDK's variables at it with
// t.Setenv, and uses Pause (SIGSTOP), Resume (SIGCONT) and Restart (which
// loses every table and key: moto keeps its state in memory).
//
// Two user pools: a deployment has the people's pool and the partners'
// pool, and the tests run with both on one cognito-local (the demo does
// not: see below), which holds any number of pools, each
// with its own issuer (http://<host>:<port>/<pool id>) and JWKS: create each
// with userpool.Create and point the verifier's second pool at its
// LocalIssuer. One instance was chosen over two because nothing failed
// with it (pools on cognito-local are as separate as Cognito's: users,
// clients and tokens of one are unknown to the other) and it halves the
// processes the tests start.
//
// Servers are started with a parent-death signal, so they do not outlive a
// test binary that crashes.
//
// Which stand-in answers a Cognito flow: cognito-local 5.3.0 serves the
// people's pools (sign-in, refresh, RevokeToken, JWKS under its own
// issuer) but has no AdminRespondToAuthChallenge, GlobalSignOut or
// AdminUserGlobalSignOut; moto_server 5.2.1 has those three (and answers a
// FORCE_CHANGE_PASSWORD user's AdminInitiateAuth with
// NEW_PASSWORD_REQUIRED) but no RevokeToken, and issues tokens under
// Cognito's real issuer. So challenge completion is tested on a moto of
// the test's own (StartMoto), e.g. cognitoauth's and portal's
// TestNewPasswordRequiredOnMoto. MFA challenges are not issued by either
// here: internal/testkit/mfacognito stands in for them in process.
//
// Partner administrators (the partners' pool, package refresh) stay on
// cognito-local with the rest of that pool — their partner's machine user
// needs RevokeToken, which moto lacks — and sign in with the public pair
// (cognitoauth.Config.Public: InitiateAuth USER_PASSWORD_AUTH, then
// RespondToAuthChallenge), which cognito-local implements: an invited
// user's first sign-in answers NEW_PASSWORD_REQUIRED and
// RespondToAuthChallenge completes it, so every call of the tests and the
// demo is answered there (cognitoauth's
// TestPublicNewPasswordRequiredOnCognitoLocal, refresh's
// TestPartnerAdminSelfService, make demo's step 6). cognito-local checks
// neither the temporary password nor the session of that challenge
// (Cognito does): the tests check what Gatehouse sends and gets back, not
// Cognito's own checks.
// Sign-out everywhere (issue 14) is chosen per flow the same way: the
// people's pool of a sign-out test is on a moto of the test's own
// (StartMoto), since only moto has GlobalSignOut and
// AdminUserGlobalSignOut (portal's TestSignOutOnMoto), while partner
// revocation stays on cognito-local, since only it has RevokeToken
// (refresh's TestPartnerLifecycleCognitoLocal, which also shows a revoked
// and a rotated partner's ID tokens refused). Two checked facts about moto
// 5.2.1 shape those tests: GlobalSignOut is sent unsigned, so moto cannot
// tell its region and looks only in us-east-1 — create the pool there (the
// Cognito client's region us-east-1); and its tokens name Cognito's real
// issuer (https://cognito-idp.<region>.amazonaws.com/<pool>, not the local
// host) with the JWKS at <moto>/<pool>/.well-known/jwks.json, so a
// verifier is given both explicitly. Its NotAuthorizedException message
// contains the access token verbatim: no Cognito error message reaches a
// log or an answer (cognitoauth keeps the error code only; the moto test
// scans the logs). The binding tests (a user name re-created with a new
// sub is refused) run on cognito-local, which gives a re-created user a
// new sub like Cognito (authorizer's TestRealCognitoLocalTokens).
//
// The demo (make demo, make dev; internal/demo) has its people's pool on
// moto_server — the moto that serves its DynamoDB and KMS — because its
// sign-out step needs GlobalSignOut, and its partners' pool on
// cognito-local, which has RevokeToken: the portal reaches moto and the
// partner service cognito-local through
// AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER. The facts above shape it:
// everything it provisions is in us-east-1, and its verifiers get the
// people's pool's issuer (Cognito's real one) and keys URL explicitly. The
// keys URL is the client-credentials stand-in's
// (internal/demo/clientcredentials): moto's key is not published in a form
// the stand-in can load, so it signs with one of its own and serves it
// with moto's keys. Every other test's people's pool stays on
// cognito-local.
package localservices
