package kmskeys

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/gatehouse-auth/gatehouse/internal/awserr"
	"github.com/gatehouse-auth/gatehouse/mapping"
)

// KMSAPI is the part of the KMS API Keys uses. A *kms.Client satisfies it.
type KMSAPI interface {
	GenerateDataKey(ctx context.Context, in *kms.GenerateDataKeyInput, optFns ...func(*kms.Options)) (*kms.GenerateDataKeyOutput, error)
	Decrypt(ctx context.Context, in *kms.DecryptInput, optFns ...func(*kms.Options)) (*kms.DecryptOutput, error)
}

var (
	_ KMSAPI             = (*kms.Client)(nil)
	_ mapping.KeyService = (*Keys)(nil)
)

// Keys is a mapping.KeyService on one KMS key. It is safe for concurrent
// use.
type Keys struct {
	kms   KMSAPI
	keyID string
	opts  []func(*kms.Options)
}

// New returns the data keys of keyID (id, ARN, alias name such as
// "alias/gatehouse", or alias ARN) through api. Each call makes at most
// mapping.DefaultMaxAttempts attempts; optFns apply after that to every
// call (e.g. RetryMaxAttempts).
func New(api KMSAPI, keyID string, optFns ...func(*kms.Options)) (*Keys, error) {
	if api == nil || keyID == "" {
		return nil, errors.New("kmskeys: a KMS client and a key id are required")
	}
	opts := append([]func(*kms.Options){func(o *kms.Options) { o.RetryMaxAttempts = mapping.DefaultMaxAttempts }}, optFns...)
	return &Keys{kms: api, keyID: keyID, opts: opts}, nil
}

// GenerateDataKey makes an AES-256 data key bound to encryptionContext:
// its plaintext and its KMS-wrapped form.
func (k *Keys) GenerateDataKey(ctx context.Context, encryptionContext map[string]string) (plaintext, wrapped []byte, err error) {
	out, err := k.kms.GenerateDataKey(ctx, &kms.GenerateDataKeyInput{
		KeyId:             &k.keyID,
		KeySpec:           kmstypes.DataKeySpecAes256,
		EncryptionContext: encryptionContext,
	}, k.opts...)
	if err != nil {
		return nil, nil, k.classify("GenerateDataKey", err)
	}
	return out.Plaintext, out.CiphertextBlob, nil
}

// Decrypt unwraps a data key made by GenerateDataKey with the same
// encryptionContext under this key.
func (k *Keys) Decrypt(ctx context.Context, wrapped []byte, encryptionContext map[string]string) ([]byte, error) {
	out, err := k.kms.Decrypt(ctx, &kms.DecryptInput{
		CiphertextBlob:    wrapped,
		EncryptionContext: encryptionContext,
		// Naming the key refuses a blob from any other key.
		KeyId: &k.keyID,
	}, k.opts...)
	if err != nil {
		var ic *kmstypes.InvalidCiphertextException
		var ik *kmstypes.IncorrectKeyException
		if errors.As(err, &ic) || errors.As(err, &ik) {
			return nil, fmt.Errorf("%w: kms Decrypt: %w", mapping.ErrSealBroken, err)
		}
		return nil, k.classify("Decrypt", err)
	}
	return out.Plaintext, nil
}

// classify: a key that is missing, disabled or pending deletion is
// ErrMisconfigured (naming the key), no answer ErrUnavailable.
func (k *Keys) classify(op string, err error) error {
	switch awserr.Classify(err) {
	case awserr.Unavailable:
		return fmt.Errorf("%w: kms %s: %w", mapping.ErrUnavailable, op, err)
	case awserr.Misconfigured:
		return fmt.Errorf("%w: kms %s on key %q: %w", mapping.ErrMisconfigured, op, k.keyID, err)
	}
	return fmt.Errorf("mapping: kms %s: %w", op, err)
}
