package mapping_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/gatehouse-auth/gatehouse/mapping"
)

func TestSeal(t *testing.T) {
	t.Parallel()
	e := testEnv(t)
	ctx := ctxT(t)
	sealer, err := mapping.NewSealer(keysOf(t, e.kms, e.keyID))
	if err != nil {
		t.Fatal(err)
	}
	secret := []byte("eyJjdHkiOiJKV1QiLCJlbmMiOiJBMjU2R0NNIn0.refresh-token")
	bind := mapping.Binding{Table: "gatehouse", Record: "PARTNER#p-1", Purpose: mapping.PurposePartnerRefreshToken}
	sealed, err := sealer.Seal(ctx, secret, bind)
	if err != nil {
		t.Fatalf("Seal: %v", err)
	}
	if bytes.Contains(sealed, secret) || bytes.Contains(sealed, secret[:16]) {
		t.Fatal("the sealed value contains the plaintext")
	}
	plain, err := sealer.Open(ctx, sealed, bind)
	if err != nil || !bytes.Equal(plain, secret) {
		t.Fatalf("Open = %q, %v", plain, err)
	}
	again, _ := sealer.Seal(ctx, secret, bind)
	if bytes.Equal(again, sealed) {
		t.Fatal("two seals of one secret are equal: no fresh key or nonce")
	}

	flip := func(i int) mapping.Sealed {
		b := bytes.Clone(sealed)
		b[i] ^= 0x01
		return b
	}
	tests := []struct {
		name    string
		sealed  mapping.Sealed
		bind    mapping.Binding
		wantErr error
	}{
		{"another record", sealed, mapping.Binding{Table: "gatehouse", Record: "PARTNER#p-2", Purpose: bind.Purpose}, mapping.ErrSealBroken},
		{"another purpose", sealed, mapping.Binding{Table: "gatehouse", Record: bind.Record, Purpose: "api-secret"}, mapping.ErrSealBroken},
		{"another table", sealed, mapping.Binding{Table: "gatehouse-2", Record: bind.Record, Purpose: bind.Purpose}, mapping.ErrSealBroken},
		{"tampered ciphertext", flip(len(sealed) - 20), bind, mapping.ErrSealBroken},
		{"tampered tag", flip(len(sealed) - 1), bind, mapping.ErrSealBroken},
		{"tampered nonce", flip(len(sealed) - len(secret) - 16 - 1), bind, mapping.ErrSealBroken},
		// The last byte of the KMS blob: its authentication tag, in KMS as in
		// moto.
		{"tampered data key", flip(3 + int(sealed[1])<<8 + int(sealed[2]) - 1), bind, mapping.ErrSealBroken},
		{"unknown version", flip(0), bind, mapping.ErrSealBroken},
		{"truncated", sealed[:len(sealed)/2], bind, mapping.ErrSealBroken},
		{"empty", nil, bind, mapping.ErrSealBroken},
		{"no binding", sealed, mapping.Binding{}, mapping.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plain, err := sealer.Open(ctx, tt.sealed, tt.bind)
			if !errors.Is(err, tt.wantErr) || plain != nil {
				t.Fatalf("Open = %q, %v; want %v", plain, err, tt.wantErr)
			}
			if err != nil && bytes.Contains([]byte(err.Error()), secret[:16]) {
				t.Fatal("the error contains the secret")
			}
		})
	}

	if _, err := sealer.Seal(ctx, nil, bind); !errors.Is(err, mapping.ErrInvalid) {
		t.Fatalf("Seal of nothing: err = %v, want ErrInvalid", err)
	}
	if _, err := sealer.Seal(ctx, secret, mapping.Binding{Table: "t"}); !errors.Is(err, mapping.ErrInvalid) {
		t.Fatalf("Seal without binding: err = %v, want ErrInvalid", err)
	}
}

func TestStoreWithoutKMS(t *testing.T) {
	t.Parallel()
	st, err := mapping.New(mapping.Config{Table: "gatehouse", DynamoDB: testEnv(t).ddb})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.SealPartnerToken(ctxT(t), "p-1", []byte("x")); err == nil {
		t.Fatal("SealPartnerToken without a KMS key succeeded")
	}
}
