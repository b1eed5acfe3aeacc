package jwtv5_test

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse/jwtverify"
)

// FuzzParse signs arbitrary headers and payloads with a trusted key (Ed25519,
// cheap to sign) and checks that whatever Pool.Parse accepts meets the pool's
// rules, and that every refusal keeps the error contract: it does not panic,
// it names exactly one jwtverify reason, and it quotes no token material.
func FuzzParse(f *testing.F) {
	_, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		f.Fatal(err)
	}
	s := base(f)
	s.algs = []string{"EdDSA"}
	s.pc.KeySet = &mapKeySet{keys: map[string]jwtverify.Key{"ed": {KID: "ed", Algorithm: "EdDSA", Public: priv.Public()}}}
	p := s.pool(f)
	iss, exp := testIss.IssuerURL(), testNow.Add(time.Hour).Unix()

	hdr := `{"alg":"EdDSA","kid":"ed"}`
	for _, payload := range []string{
		fmt.Sprintf(`{"sub":"s","iss":%q,"token_use":"access","client_id":%q,"exp":%d,"scope":"a b"}`, iss, clientA, exp),
		fmt.Sprintf(`{"sub":"s","iss":%q,"token_use":"id","aud":%q,"exp":%d,"cognito:groups":["g"]}`, iss, clientA, exp),
		fmt.Sprintf(`{"sub":"s","iss":%q,"token_use":"access","client_id":%q,"exp":%d,"Client_ID":"x"}`, iss, clientA, exp),
		fmt.Sprintf(`{"sub":"s","iss":%q,"token_use":"access","client_id":%q,"exp":%d,"client_id":"client-b"}`, iss, clientA, exp),
	} {
		f.Add(hdr, payload)
	}
	f.Add(`{"alg":"EdDSA","kid":"ed","crit":[]}`, `{}`)
	f.Add(`{"alg":"none","kid":"ed"}`, `{}`)

	f.Fuzz(func(t *testing.T, header, payload string) {
		enc := base64.RawURLEncoding
		input := enc.EncodeToString([]byte(header)) + "." + enc.EncodeToString([]byte(payload))
		tok := input + "." + enc.EncodeToString(ed25519.Sign(priv, []byte(input)))
		c, err := p.Parse(context.Background(), tok)
		if err != nil {
			n := 0
			for _, r := range []*jwtverify.Error{
				jwtverify.ErrMalformed, jwtverify.ErrKeyNotFound, jwtverify.ErrInvalidKey,
				jwtverify.ErrAlgorithmNotAllowed, jwtverify.ErrSignature, jwtverify.ErrExpired,
				jwtverify.ErrNotYetValid, jwtverify.ErrIssuer, jwtverify.ErrClientID,
				jwtverify.ErrTokenUse, jwtverify.ErrGroup, jwtverify.ErrScope, jwtverify.ErrKeysUnavailable,
			} {
				if errors.Is(err, r) {
					n++
				}
			}
			if n != 1 {
				t.Fatalf("error %q matches %d reasons", err, n)
			}
			for _, part := range strings.Split(tok, ".") {
				if len(part) >= 8 && strings.Contains(err.Error(), part) {
					t.Fatalf("error %q holds token material", err)
				}
			}
			return
		}
		vc, err := c.Verified()
		switch {
		case err != nil:
			t.Fatalf("accepted claims whose scope does not parse: %v", err)
		case vc.Issuer != iss:
			t.Fatalf("accepted issuer %q", vc.Issuer)
		case vc.TokenUse != jwtverify.TokenUseID && vc.TokenUse != jwtverify.TokenUseAccess:
			t.Fatalf("accepted token use %q", vc.TokenUse)
		case vc.ClientID != clientA:
			t.Fatalf("accepted client %q", vc.ClientID)
		case vc.Subject == "" || c.ExpiresAt == nil || !testNow.Before(c.ExpiresAt.Time):
			t.Fatalf("accepted without sub or a future exp: %+v", c)
		}
	})
}
