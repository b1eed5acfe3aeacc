package jwtv5_test

import (
	"testing"

	"github.com/golang-jwt/jwt/v5"

	"github.com/gatehouse-auth/gatehouse/jwtverify"
)

// TestAlgorithmsKnownToGolangJWT checks that golang-jwt verifies every alg
// jwtverify's one table supports, so a pool configured through jwtv5 accepts
// what jwtverify.Verify accepts.
func TestAlgorithmsKnownToGolangJWT(t *testing.T) {
	for _, alg := range jwtverify.SupportedAlgorithms() {
		if m := jwt.GetSigningMethod(alg); m == nil || m.Alg() != alg {
			t.Errorf("golang-jwt has no signing method %s", alg)
		}
	}
}
