// Package localservices starts the local stand-ins for AWS that Gatehouse's
// integration tests run against: moto_server (DynamoDB, KMS, Cognito) and
// cognito-local (Cognito user-pool flows, RevokeToken, JWKS).
//
// A test package asks for the services it needs from its TestMain:
//
//	func TestMain(m *testing.M) {
//		os.Exit(localservices.Run(m, localservices.DynamoDB, localservices.KMS))
//	}
//
// For each service, Run first looks at the AWS SDK's standard endpoint
// variables (AWS_ENDPOINT_URL_<SERVICE>, then AWS_ENDPOINT_URL). When one is
// set, the tests use what it points at and nothing is started. Otherwise Run
// starts the stand-in on a free loopback port, waits until it answers, sets the
// standard variable so that code under test reaches it the ordinary way
// (config.LoadDefaultConfig), runs the tests, and stops it. Test credentials
// and a region are set only when they are missing.
//
// A test that stops, pauses or restarts a stand-in (an outage test) starts
// one of its own with StartMoto, points the SDK's variables at it with
// t.Setenv, and uses Pause (SIGSTOP), Resume (SIGCONT) and Restart (which
// loses every table and key: moto keeps its state in memory).
//
// Servers are started with a parent-death signal, so they do not outlive a
// test binary that crashes.
package localservices
