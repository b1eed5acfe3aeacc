// Package jwtverify verifies Amazon Cognito ID and access tokens (including
// client-credentials tokens of app clients) locally, against the user pool's
// published keys, and returns their claims. It fails closed: any doubt about
// a token or about the configuration is an error, never an acceptance.
//
// # Quick start
//
//	v, err := jwtverify.New(ctx, jwtverify.Config{
//		Pools: []jwtverify.PoolConfig{{
//			UserPoolID: "eu-west-1_AbCdEf123",
//			TokenUses:  []jwtverify.TokenUse{jwtverify.TokenUseAccess},
//			ClientIDs:  []string{"1example23456789abcdefghij"},
//		}},
//		TokenCacheSize: 10000,
//	})
//	if err != nil { ... }           // the configuration is refused
//	if err := v.Hydrate(ctx); err != nil { ... } // optional: fetch keys now
//	claims, err := v.Verify(ctx, token)
//	if err != nil {
//		log.Print(jwtverify.Code(err)) // "expired", "bad_signature", ...
//	}
//
// A pool without KeySet gets a RemoteKeySet for its JWKS URL (by default
// https://cognito-idp.<region>.amazonaws.com/<pool>/.well-known/jwks.json);
// the ctx given to New bounds its background refresh. NewStaticKeySet serves
// tests and air-gapped use; package cognitotest mints tokens for tests.
//
// # What Verify checks, in order
//
//  1. Size: at most Config.MaxTokenSize bytes (16 KiB), before anything else.
//  2. Form: a compact JWS, exactly three non-empty segments of strict
//     base64url (no padding, whitespace, line breaks or non-zero trailing
//     bits). A "Bearer " prefix is not stripped: it is malformed.
//  3. Header: JSON without duplicate member names; "alg" in Config.Algorithms
//     (default RS256; "none" and HMAC can never be configured); a non-empty
//     string "kid"; no "crit". "jku", "x5u", "jwk" and "x5c" are ignored:
//     nothing the token points at is ever fetched.
//  4. Payload: JSON without duplicate member names (at any depth, escapes
//     decoded), known claims of the right JSON type, "exp" and "sub" present,
//     and "scope" of RFC 6749 §3.3's grammar: scope-tokens of %x21 / %x23-5B
//     / %x5D-7E separated by single spaces. A tab, a doubled, leading or
//     trailing space, `"`, `\`, a control or non-ASCII character is
//     malformed, never a different list of scopes; a claim accepted here
//     reads exactly as aws-jwt-verify reads it (split on single spaces). An
//     empty "scope" holds no scopes, as in aws-jwt-verify: it fails only a
//     scope requirement (ErrScope).
//  5. Issuer: "iss" picks the pool by exact match: both Cognito forms,
//     https://cognito-idp.<region>.amazonaws.com/<pool> and
//     https://issuer-cognito-idp.<region>.amazonaws.com/<pool>, or only
//     PoolConfig.Issuer when set. An unknown issuer causes no key lookup.
//  6. Key: "kid" is looked up in that pool's KeySet only; no other key is
//     tried. The header "alg" must equal the JWK's "alg" when it has one,
//     and always fit the key type (RS*/PS* RSA of 2048 to 8192 bits with an
//     odd exponent, ES256/ES384/ES512 ECDSA on P-256/P-384/P-521, EdDSA
//     Ed25519). One table decides this for Verify, Key.CheckAlgorithm and
//     the JWKS loader, which skips a key no supported alg could verify.
//  7. Signature.
//  8. Time: "exp" (required) and "nbf" against Config.Now, allowing the
//     pool's Grace. Absurd NumericDates neither overflow nor panic: a
//     far-future exp is valid, and times in Claims are clamped to years
//     1 to 9999.
//  9. "token_use" in the pool's TokenUses.
//  10. Client: "aud" (ID token, a single string) or "client_id" (access
//     token) in ClientIDs, unless SkipClientIDCheck.
//  11. Groups ("cognito:groups", a list of strings) and scopes ("scope"):
//     when configured, at least one must match.
//  12. PoolConfig.Check, on every call, including token-cache hits.
//
// Claims come with an error only when the signature verified and a check
// from step 8 on failed; otherwise they are nil.
//
// # Errors
//
// Every error from Verify wraps exactly one sentinel, and its message never
// contains token material: ErrMalformed, ErrKeyNotFound, ErrInvalidKey,
// ErrAlgorithmNotAllowed, ErrSignature, ErrExpired, ErrNotYetValid,
// ErrIssuer, ErrClientID, ErrTokenUse, ErrGroup, ErrScope and
// ErrKeysUnavailable. The one exception is a refusal by PoolConfig.Check,
// which wraps the Check's own error (Code reports "error"). Code gives the
// stable name of the reason for logs and metrics.
//
// # HTTP and other libraries
//
// BearerToken takes a token from a request by RFC 6750 (one Authorization
// header, "Bearer", one space, a token68; no query or form tokens), and
// Verifier.Middleware verifies it for net/http handlers, with per-handler
// RequireAnyScope and RequireAnyGroup, the claims in the request context
// (ClaimsFromContext) and RFC 6750 challenges on refusal. Claims.Decode reads
// claims Claims has no field for. Package jwtverify/jwtv5 adapts the keys and
// rules to github.com/golang-jwt/jwt/v5, which this package does not import.
//
// # Key endpoint outages
//
// A RemoteKeySet keeps serving the last good keys whatever happens to the
// endpoint. A fetch is bounded by Config.JWKSFetchTimeout (2 s), and for
// FailurePenalty (10 s) after a failed fetch a token with an unknown kid is
// refused at once with ErrKeysUnavailable, without another fetch: a
// request never waits on an endpoint known to be failing. Verifier
// KeySetStats reports each pool's last successful fetch and failures by
// cause, for metrics and readiness; warnings go to Config.Logger.
//
// # Token cache
//
// With Config.TokenCacheSize > 0, a token verified before skips parsing and
// the signature check. A token is found by the SHA-256 of its signing input
// (the digest an RS256 check computes anyway, so a first sight pays no extra
// hash) and is a hit only if its signature segment is byte for byte the one
// that verified: another signature on the same header and payload is
// verified in full. Entries hold the verified claims, so the cache is as
// sensitive as the tokens themselves. They are evicted oldest-first when
// full, checked against the clock on every hit, and dropped when the key
// that signed them is no longer in the key set. Each call gets Claims of its
// own: Raw and Decode decode the verified payload afresh on every call.
//
// A caller that derives something from the claims of tokens it sees again
// can keep it in the token's entry: Verifier.VerifyMemo returns the
// entry's Memo and the value it holds, after every check a hit makes
// (key, times), except for a pool with a Check (which may change the
// claims): none there. The value goes with the entry (eviction, expiry, a
// key gone or changed), so memos are bounded by TokenCacheSize; a value
// derived from anything besides the claims must carry its own validity.
package jwtverify
