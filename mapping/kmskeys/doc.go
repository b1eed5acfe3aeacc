// Package kmskeys is the AWS KMS side of sealing secrets in the mapping
// table: it makes the AES-256 data keys a mapping.Sealer seals with
// (GenerateDataKey) and unwraps them again (Decrypt), each bound to the
// encryption context the Sealer gives, under one KMS key. Pass it to
// mapping.Config.Keys (or mapping.NewSealer).
//
// It is a package of its own so that only the programs that seal or open
// partner refresh tokens (the refresh service, the gatehouse binary for
// its partner and mapping commands) link the KMS client: the authorizer
// Lambda reads the mapping and never a secret, and skips its package
// initialisation at every cold start. `gatehouse serve` never calls it,
// but is the gatehouse binary, which links it (tested in cmd/gatehouse:
// serve's own imports do not).
//
// The envelope, the AES-GCM sealing and the binding of a value to its
// record stay in package mapping, which checks a value is sealed before it
// stores it. KMS errors are classified here (internal/awserr): a key that
// is missing, disabled or pending deletion, or access denied, is
// mapping.ErrMisconfigured naming the key; no answer is
// mapping.ErrUnavailable; a wrapped key KMS refuses to unwrap (another key,
// another context, altered) is mapping.ErrSealBroken.
package kmskeys
