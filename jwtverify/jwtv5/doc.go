// Package jwtv5 lets code built on github.com/golang-jwt/jwt/v5 (echo-jwt,
// gin and chi middlewares, plain jwt.ParseWithClaims) verify Cognito tokens
// with jwtverify's keys and rules. It is the only package of the module that
// imports golang-jwt, so importers of jwtverify alone do not get it.
//
//	pool, err := jwtv5.NewPool(ctx, poolConfig, jwtv5.Options{})
//	claims := pool.NewClaims()
//	_, err = jwt.ParseWithClaims(token, claims, pool.Keyfunc(ctx), pool.ParserOptions()...)
//	err = jwtv5.MapError(err) // matches jwt.ErrTokenExpired and jwtverify.ErrExpired alike
//
// or pool.Parse(ctx, token), which does the same after a size limit.
//
// # What it checks
//
// Keyfunc, from any jwtverify.KeySet, allows only its algorithms (RS256 by
// default; never "none" or HMAC), requires a non-empty string "kid" and
// refuses "crit"; it looks up that kid only (a token without kid is refused,
// never tried against every key), and requires the header "alg" to equal the
// JWK's "alg" when it has one and to fit the key (RSA of 2048 to 8192 bits
// with an odd exponent, the ECDSA curve of the alg, Ed25519). ParserOptions allow the same
// algorithms, require "exp", apply the pool's Grace and strict base64.
// Claims.Validate requires "exp" and "sub", an issuer of the pool (both
// Cognito forms, or PoolConfig.Issuer), a "scope" by jwtverify.ParseScope,
// and applies the pool's token use, client id, group and scope rules, the
// same code jwtverify.Verify runs (jwtverify.PoolPolicy). PoolConfig.Check is
// refused: a ClaimsValidator has no context to run it with.
//
// # Where golang-jwt is laxer than jwtverify.Verify
//
// golang-jwt decodes the header and payload with encoding/json, so with this
// package, unlike with jwtverify.Verify:
//   - duplicate member names are accepted, the last one winning (a header
//     with two "kid", a payload with two "exp");
//   - member names match claim fields case-insensitively ("Exp" sets exp);
//   - invalid UTF-8 in strings is replaced rather than refused, and a JSON
//     null claim counts as absent;
//   - line breaks inside a segment are skipped by the base64 decoder (the
//     signature, computed over the token as sent, then fails);
//   - no size limit applies unless you use Pool.Parse or check it yourself.
//
// None of this lets a token through that its issuer did not sign, but two
// parsers could read one signed token differently; jwtverify.Verify refuses
// such tokens. golang-jwt is stricter in two ways: NumericDates are truncated
// to whole seconds (a fractional "exp" expires up to a second early) and an
// absurd "exp" such as 1e20 overflows into the past. Its errors can report
// several failures at once; MapError picks the first in Verify's order.
// Tests run jwtverify's table of cases through both.
//
// # keyfunc v3
//
// There is no adapter for github.com/MicahParks/keyfunc/v3. Its one job, a
// jwt.Keyfunc over a JWKS URL, is Pool.Keyfunc over a jwtverify.RemoteKeySet;
// an adapter either way would bring back what jwtverify avoids: a
// RemoteKeySet as a jwkset.Storage would be handed to keyfunc, which tries
// every key for a token without "kid" (and Storage's write methods mean
// nothing for a fetched set); a KeySet over a keyfunc.Keyfunc would inherit
// jwkset's HTTP storage (a blocking first fetch, no response size limit, a
// whole refresh refused over one bad key). Moving from keyfunc is one line:
// keyfunc.NewDefault(urls).Keyfunc becomes pool.Keyfunc(ctx).
package jwtv5
