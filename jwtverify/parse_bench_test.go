package jwtverify

import (
	"encoding/base64"
	"strings"
	"testing"
)

// benchParseToken is shaped like a Cognito user access token (about 1 KB);
// its signature is 256 random-looking bytes and is not checked here.
var benchParseToken = func() string {
	enc := base64.RawURLEncoding.EncodeToString
	header := `{"kid":"Jq0E2bW8xYxq1rL0a5n3s9XoV2c4QmYt7Hk1Zp6Ud8A=","alg":"RS256"}`
	payload := `{"sub":"6f9c2a1e-4b7d-4e8a-9c3f-2d1b0a9e8f7c","cognito:groups":["admins","users","eu-west-1_AbCdEf123_Google"],` +
		`"iss":"https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123","version":2,"client_id":"1example23456789abcdefghij",` +
		`"origin_jti":"a1b2c3d4-e5f6-7890-abcd-ef1234567890","event_id":"0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0","token_use":"access",` +
		`"scope":"aws.cognito.signin.user.admin phone openid profile email","auth_time":1700000000,"exp":1700003600,` +
		`"iat":1700000000,"jti":"98765432-10fe-dcba-9876-543210fedcba","username":"jane.doe@example.com"}`
	return enc([]byte(header)) + "." + enc([]byte(payload)) + "." + enc([]byte(strings.Repeat("\x5a\xa5", 128)))
}()

// BenchmarkParse measures what Verify does besides the signature check on
// a fresh token: split, strict base64, both JSON documents, claim typing.
func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(benchParseToken)))
	for b.Loop() {
		jws, _, detail := splitToken(benchParseToken, new([maxSignatureSize]byte))
		if detail != "" {
			b.Fatal(detail)
		}
		if _, err := parseHeader(jws.header); err != nil {
			b.Fatal(err)
		}
		if _, err := parseClaims(jws.payload); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSplitToken(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, _, detail := splitToken(benchParseToken, new([maxSignatureSize]byte)); detail != "" {
			b.Fatal(detail)
		}
	}
}
