package mapping

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

// KeyService makes and unwraps the data keys a Sealer seals with, each
// bound to an encryption context: AWS KMS through package
// mapping/kmskeys, kept out of this package so that readers of the mapping
// (the authorizer) do not link the KMS client. Errors wrap ErrUnavailable
// (no answer now), ErrMisconfigured (the key is missing, disabled or
// pending deletion, or access is denied: the error names the key) or, from
// Decrypt, ErrSealBroken (the wrapped key does not unwrap under this
// context or key). The plaintext keys returned are the caller's to clear.
type KeyService interface {
	GenerateDataKey(ctx context.Context, encryptionContext map[string]string) (plaintext, wrapped []byte, err error)
	Decrypt(ctx context.Context, wrapped []byte, encryptionContext map[string]string) (plaintext []byte, err error)
}

// Binding is what a sealed value belongs to. It becomes the KMS encryption
// context (and the AES-GCM additional data), so a value opens only with the
// binding it was sealed with: copied into another record, or offered for
// another purpose, it fails with ErrSealBroken.
type Binding struct {
	Table   string // the DynamoDB table
	Record  string // the record's partition key, e.g. "PARTNER#p-123"
	Purpose string // what the secret is, e.g. PurposePartnerRefreshToken
}

// Encryption-context keys. KMS logs the context in CloudTrail in the clear:
// it names the record, never holds a secret.
const (
	contextTable   = "gatehouse:table"
	contextRecord  = "gatehouse:record"
	contextPurpose = "gatehouse:purpose"
)

func (b Binding) check() error {
	if b.Table == "" || b.Record == "" || b.Purpose == "" {
		return invalidf("seal binding needs a table, a record and a purpose")
	}
	return nil
}

func (b Binding) encryptionContext() map[string]string {
	return map[string]string{contextTable: b.Table, contextRecord: b.Record, contextPurpose: b.Purpose}
}

// aad is the binding in an unambiguous form (length-prefixed fields) for
// AES-GCM's additional data, with the envelope header in front.
func (b Binding) aad(header []byte) []byte {
	out := append([]byte(nil), header...)
	for _, f := range []string{b.Table, b.Record, b.Purpose} {
		out = binary.BigEndian.AppendUint32(out, uint32(len(f)))
		out = append(out, f...)
	}
	return out
}

// Sealed is an envelope-encrypted secret, safe to store: a version byte,
// the KMS-encrypted data key (2-byte length, then the blob), a 12-byte
// nonce, and the AES-256-GCM ciphertext with its tag.
type Sealed []byte

const (
	sealVersion  = 1
	nonceSize    = 12
	gcmTagSize   = 16
	dataKeyBytes = 32
)

type envelope struct {
	header     []byte // version and wrapped-key length and key
	wrappedKey []byte
	nonce      []byte
	ciphertext []byte
}

// parseSealed splits a sealed value. It checks structure only; whether it
// opens is for KMS and AES-GCM to say.
func parseSealed(s Sealed) (envelope, error) {
	if len(s) < 3 {
		return envelope{}, fmt.Errorf("%w: too short", ErrSealBroken)
	}
	if s[0] != sealVersion {
		return envelope{}, fmt.Errorf("%w: unknown format version %d", ErrSealBroken, s[0])
	}
	n := int(binary.BigEndian.Uint16(s[1:3]))
	rest := s[3:]
	if n == 0 || len(rest) < n+nonceSize+gcmTagSize {
		return envelope{}, fmt.Errorf("%w: truncated", ErrSealBroken)
	}
	return envelope{
		header:     s[:3+n],
		wrappedKey: rest[:n],
		nonce:      rest[n : n+nonceSize],
		ciphertext: rest[n+nonceSize:],
	}, nil
}

// Sealer seals secrets with envelope encryption: a fresh AES-256 data key
// from the KeyService (KMS GenerateDataKey) for every value, bound to its
// Binding through the encryption context. It never logs and never puts a
// secret in an error. It is safe for concurrent use.
type Sealer struct {
	keys    KeyService
	timeout time.Duration
}

// NewSealer returns a Sealer using keys (kmskeys.New), with DefaultTimeout
// per call to it.
func NewSealer(keys KeyService) (*Sealer, error) {
	if keys == nil {
		return nil, errors.New("mapping: a Sealer needs a key service")
	}
	return &Sealer{keys: keys, timeout: DefaultTimeout}, nil
}

// Seal encrypts plaintext (1 byte to 64 KiB) for b. When the key service
// cannot answer the error is ErrUnavailable, when the key is missing,
// disabled or pending deletion ErrMisconfigured; nothing is returned.
func (s *Sealer) Seal(ctx context.Context, plaintext []byte, b Binding) (Sealed, error) {
	if err := b.check(); err != nil {
		return nil, err
	}
	if len(plaintext) == 0 || len(plaintext) > maxSecretLen {
		return nil, invalidf("a secret to seal must be 1 to %d bytes", maxSecretLen)
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	dataKey, wrapped, err := s.keys.GenerateDataKey(ctx, b.encryptionContext())
	if err != nil {
		return nil, err
	}
	defer clear(dataKey)
	if len(dataKey) != dataKeyBytes || len(wrapped) == 0 || len(wrapped) > 0xffff {
		return nil, fmt.Errorf("%w: kms GenerateDataKey returned a malformed data key", ErrUnavailable)
	}
	aead, err := newGCM(dataKey)
	if err != nil {
		return nil, err
	}
	n := len(wrapped)
	sealed := make([]byte, 0, 3+n+nonceSize+len(plaintext)+gcmTagSize)
	sealed = append(sealed, sealVersion)
	sealed = binary.BigEndian.AppendUint16(sealed, uint16(n))
	sealed = append(sealed, wrapped...)
	header := sealed[:len(sealed):len(sealed)]
	nonce := make([]byte, nonceSize)
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("mapping: random nonce: %w", err)
	}
	sealed = append(sealed, nonce...)
	sealed = aead.Seal(sealed, nonce, plaintext, b.aad(header))
	return Sealed(sealed), nil
}

// Open decrypts sealed, which must have been sealed for exactly b under
// this Sealer's key. A value that does not open (wrong binding, other key,
// altered) is ErrSealBroken; the key service failing to answer is
// ErrUnavailable. Either way no plaintext is returned.
func (s *Sealer) Open(ctx context.Context, sealed Sealed, b Binding) ([]byte, error) {
	if err := b.check(); err != nil {
		return nil, err
	}
	env, err := parseSealed(sealed)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	dataKey, err := s.keys.Decrypt(ctx, env.wrappedKey, b.encryptionContext())
	if err != nil {
		return nil, err
	}
	defer clear(dataKey)
	if len(dataKey) != dataKeyBytes {
		return nil, fmt.Errorf("%w: data key has the wrong size", ErrSealBroken)
	}
	aead, err := newGCM(dataKey)
	if err != nil {
		return nil, err
	}
	plain, err := aead.Open(nil, env.nonce, env.ciphertext, b.aad(env.header))
	if err != nil {
		return nil, fmt.Errorf("%w: authentication failed", ErrSealBroken)
	}
	return plain, nil
}

func newGCM(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("mapping: aes: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("mapping: gcm: %w", err)
	}
	return aead, nil
}

// Fingerprint returns the lowercase hex SHA-256 of a credential, the form in
// which the table stores and finds it. A plain hash suffices because the
// credentials it is used for (refresh tokens, generated API secrets) carry
// well over 128 bits of entropy: the hash cannot be reversed or guessed,
// and it needs no key of its own. Do not use it for low-entropy secrets such
// as passwords; those need a keyed or slow hash.
func Fingerprint(credential []byte) string {
	sum := sha256.Sum256(credential)
	return hex.EncodeToString(sum[:])
}

// FingerprintEqual compares two fingerprints in constant time.
func FingerprintEqual(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
