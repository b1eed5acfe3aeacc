package envconfig_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse/internal/envconfig"
	"github.com/gatehouse-auth/gatehouse/jwtverify"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestPool(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		wantBad []string // variables named in the error
		check   func(t *testing.T, p jwtverify.PoolConfig)
	}{
		{name: "minimal", env: map[string]string{envconfig.UserPoolID: "eu-west-1_Abc", envconfig.ClientIDs: " a, b ,,"},
			check: func(t *testing.T, p jwtverify.PoolConfig) {
				if !slices.Equal(p.ClientIDs, []string{"a", "b"}) || len(p.TokenUses) != 2 || p.InsecureHTTP || p.Grace != 0 {
					t.Errorf("pool %+v", p)
				}
			}},
		{name: "everything", env: map[string]string{envconfig.UserPoolID: "local_x", envconfig.SkipClientIDCheck: "true",
			envconfig.TokenUses: "access", envconfig.Issuer: "http://127.0.0.1:1/local_x", envconfig.JWKSURL: "http://127.0.0.1:1/k",
			envconfig.InsecureHTTP: "1", envconfig.ClockSkew: "30s"},
			check: func(t *testing.T, p jwtverify.PoolConfig) {
				if !p.SkipClientIDCheck || !slices.Equal(p.TokenUses, []jwtverify.TokenUse{jwtverify.TokenUseAccess}) ||
					p.Issuer == "" || p.JWKSURL == "" || !p.InsecureHTTP || p.Grace != 30*time.Second {
					t.Errorf("pool %+v", p)
				}
			}},
		{name: "nothing", env: map[string]string{}, wantBad: []string{envconfig.UserPoolID, envconfig.ClientIDs}},
		{name: "clients and skip", env: map[string]string{envconfig.UserPoolID: "p_1", envconfig.ClientIDs: "a", envconfig.SkipClientIDCheck: "true"}, wantBad: []string{envconfig.ClientIDs}},
		{name: "bad values", env: map[string]string{envconfig.UserPoolID: "p_1", envconfig.ClientIDs: "a", envconfig.TokenUses: "refresh",
			envconfig.InsecureHTTP: "maybe", envconfig.ClockSkew: "-1s"}, wantBad: []string{envconfig.TokenUses, envconfig.InsecureHTTP, envconfig.ClockSkew}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := envconfig.NewReader(env(tt.env))
			p := r.Pool()
			err := r.Err()
			if len(tt.wantBad) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				tt.check(t, p)
				return
			}
			if err == nil {
				t.Fatal("no error")
			}
			for _, name := range tt.wantBad {
				if !strings.Contains(err.Error(), name+":") {
					t.Errorf("error does not name %s: %v", name, err)
				}
			}
		})
	}
}

func TestReader(t *testing.T) {
	r := envconfig.NewReader(env(map[string]string{"N": "7", "BADN": "-2", "D": "2m", "B": "false", "S": "  x "}))
	if r.Int("N", 1) != 7 || r.Int("UNSET", 3) != 3 || r.Duration("D", 0) != 2*time.Minute || r.Bool("B", true) || r.String("S") != "x" {
		t.Error("values misread")
	}
	if r.Err() != nil {
		t.Fatal(r.Err())
	}
	r.Int("BADN", 0)
	r.Required("MISSING", "something")
	if err := r.Err(); err == nil || !strings.Contains(err.Error(), "BADN:") || !strings.Contains(err.Error(), "MISSING: required (something)") {
		t.Errorf("errors: %v", err)
	}
}

func TestJWKSFetchTimeout(t *testing.T) {
	tests := []struct {
		value   string
		want    time.Duration
		wantBad bool
	}{
		{value: "", want: 0},
		{value: "1500ms", want: 1500 * time.Millisecond},
		{value: "-1s", wantBad: true},
		{value: "2", wantBad: true},
	}
	for _, tt := range tests {
		r := envconfig.NewReader(env(map[string]string{envconfig.JWKSTimeout: tt.value}))
		got := r.JWKSFetchTimeout()
		if err := r.Err(); (err != nil) != tt.wantBad || (err != nil && !strings.Contains(err.Error(), envconfig.JWKSTimeout)) {
			t.Errorf("%q: err = %v, want bad: %v", tt.value, err, tt.wantBad)
		}
		if !tt.wantBad && got != tt.want {
			t.Errorf("%q: %v, want %v", tt.value, got, tt.want)
		}
	}
}
