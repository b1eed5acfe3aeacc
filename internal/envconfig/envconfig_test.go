package envconfig_test

import (
	"log/slog"
	"net/http"
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
			v := r.Verifier(envconfig.VerifierSpec{Pools: []envconfig.PoolSpec{{}}})
			err := r.Err()
			if len(v.Pools) != 1 {
				t.Fatalf("%d pools, want 1", len(v.Pools))
			}
			p := v.First()
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
		got := r.Verifier(envconfig.VerifierSpec{}).JWKSFetchTimeout
		if err := r.Err(); (err != nil) != tt.wantBad || (err != nil && !strings.Contains(err.Error(), envconfig.JWKSTimeout)) {
			t.Errorf("%q: err = %v, want bad: %v", tt.value, err, tt.wantBad)
		}
		if !tt.wantBad && got != tt.want {
			t.Errorf("%q: %v, want %v", tt.value, got, tt.want)
		}
	}
}

// TestVerifier reads the parts that differ between services: a list of
// pools (the second with its own variables), a refused skip, programs of
// any app client, the token cache; and checks that Config hands everything
// to jwtverify.
func TestVerifier(t *testing.T) {
	partner := envconfig.PoolSpec{Prefix: "PARTNER_", AnyClientForClientCredentials: true}
	twoPools := envconfig.VerifierSpec{Pools: []envconfig.PoolSpec{{}, partner}, TokenCache: true}
	peopleAndPartners := envconfig.VerifierSpec{Pools: []envconfig.PoolSpec{{}, envconfig.PartnerPool}}
	if envconfig.PartnerPool.Var(envconfig.UserPoolID) != envconfig.PartnerUserPoolID {
		t.Fatalf("PartnerUserPoolID %s is not the partners' pool's variable", envconfig.PartnerUserPoolID)
	}
	tests := []struct {
		name    string
		spec    envconfig.VerifierSpec
		env     map[string]string
		wantBad []string
		absent  int // optional pools not configured
		check   func(t *testing.T, v envconfig.Verifier)
	}{
		{name: "partners' pool", spec: peopleAndPartners, env: map[string]string{
			envconfig.UserPoolID: "eu-west-1_A", envconfig.ClientIDs: "web",
			envconfig.PartnerUserPoolID: "eu-west-1_P", "GATEHOUSE_PARTNER_CLIENT_IDS": "machine"},
			check: func(t *testing.T, v envconfig.Verifier) {
				a, b := v.Pools[0], v.Pools[1]
				if len(a.TokenUses) != 2 || b.UserPoolID != "eu-west-1_P" || !slices.Equal(b.ClientIDs, []string{"machine"}) ||
					!slices.Equal(b.TokenUses, []jwtverify.TokenUse{jwtverify.TokenUseID}) {
					t.Errorf("pools %+v", v.Pools)
				}
			}},
		{name: "partners' pool with its own token uses", spec: peopleAndPartners, env: map[string]string{
			envconfig.UserPoolID: "eu-west-1_A", envconfig.ClientIDs: "web", envconfig.TokenUses: "access",
			envconfig.PartnerUserPoolID: "eu-west-1_P", "GATEHOUSE_PARTNER_CLIENT_IDS": "machine", "GATEHOUSE_PARTNER_TOKEN_USES": "id,access"},
			check: func(t *testing.T, v envconfig.Verifier) {
				if len(v.Pools[0].TokenUses) != 1 || len(v.Pools[1].TokenUses) != 2 {
					t.Errorf("pools %+v", v.Pools)
				}
			}},
		{name: "no partners' pool", spec: peopleAndPartners, absent: 1,
			env: map[string]string{envconfig.UserPoolID: "eu-west-1_A", envconfig.ClientIDs: "web"},
			check: func(t *testing.T, v envconfig.Verifier) {
				if v.Pools[0].UserPoolID != "eu-west-1_A" {
					t.Errorf("pools %+v", v.Pools)
				}
			}},
		{name: "partners' variables without its pool id", spec: peopleAndPartners, absent: 1,
			env:     map[string]string{envconfig.UserPoolID: "eu-west-1_A", envconfig.ClientIDs: "web", "GATEHOUSE_PARTNER_CLIENT_IDS": "machine"},
			wantBad: []string{"GATEHOUSE_PARTNER_CLIENT_IDS"}},
		{name: "two pools", spec: twoPools, env: map[string]string{
			envconfig.UserPoolID: "eu-west-1_A", envconfig.ClientIDs: "web",
			"GATEHOUSE_PARTNER_USER_POOL_ID": "eu-west-1_B", "GATEHOUSE_PARTNER_SKIP_CLIENT_ID_CHECK": "true",
			"GATEHOUSE_PARTNER_TOKEN_USES": "access", envconfig.TokenCacheSize: "5", envconfig.JWKSTimeout: "1s"},
			check: func(t *testing.T, v envconfig.Verifier) {
				a, b := v.Pools[0], v.Pools[1]
				if a.UserPoolID != "eu-west-1_A" || !slices.Equal(a.ClientIDs, []string{"web"}) || a.SkipClientIDCheck || a.AnyClientForClientCredentials || len(a.TokenUses) != 2 {
					t.Errorf("first pool %+v", a)
				}
				if b.UserPoolID != "eu-west-1_B" || !b.SkipClientIDCheck || !b.AnyClientForClientCredentials || len(b.TokenUses) != 1 {
					t.Errorf("second pool %+v", b)
				}
				if v.TokenCacheSize != 5 || v.JWKSFetchTimeout != time.Second || v.First().UserPoolID != "eu-west-1_A" {
					t.Errorf("verifier %+v", v)
				}
			}},
		{name: "second pool's variables are its own", spec: twoPools,
			env:     map[string]string{envconfig.UserPoolID: "eu-west-1_A", envconfig.ClientIDs: "web"},
			wantBad: []string{"GATEHOUSE_PARTNER_USER_POOL_ID", "GATEHOUSE_PARTNER_CLIENT_IDS"}},
		{name: "cache default", spec: envconfig.VerifierSpec{Pools: []envconfig.PoolSpec{{}}, TokenCache: true},
			env: map[string]string{envconfig.UserPoolID: "eu-west-1_A", envconfig.ClientIDs: "web"},
			check: func(t *testing.T, v envconfig.Verifier) {
				if v.TokenCacheSize != envconfig.DefaultTokenCacheSize {
					t.Errorf("cache %d", v.TokenCacheSize)
				}
			}},
		{name: "no cache unless asked", spec: envconfig.VerifierSpec{Pools: []envconfig.PoolSpec{{}}},
			env: map[string]string{envconfig.UserPoolID: "eu-west-1_A", envconfig.ClientIDs: "web", envconfig.TokenCacheSize: "bad"},
			check: func(t *testing.T, v envconfig.Verifier) {
				if v.TokenCacheSize != 0 {
					t.Errorf("cache %d", v.TokenCacheSize)
				}
			}},
		{name: "bad cache", spec: twoPools, env: map[string]string{envconfig.TokenCacheSize: "-1"}, wantBad: []string{envconfig.TokenCacheSize}},
		{name: "skip refused", spec: envconfig.VerifierSpec{Pools: []envconfig.PoolSpec{{SkipClientIDCheckRefused: "not here"}}},
			env:     map[string]string{envconfig.UserPoolID: "eu-west-1_A", envconfig.SkipClientIDCheck: "true"},
			wantBad: []string{envconfig.SkipClientIDCheck}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := envconfig.NewReader(env(tt.env))
			v := r.Verifier(tt.spec)
			if want := len(tt.spec.Pools) - tt.absent; len(v.Pools) != want {
				t.Fatalf("%d pools, want %d", len(v.Pools), want)
			}
			err := r.Err()
			if len(tt.wantBad) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				tt.check(t, v)
				return
			}
			for _, name := range tt.wantBad {
				if err == nil || !strings.Contains(err.Error(), name+":") {
					t.Errorf("error does not name %s: %v", name, err)
				}
			}
		})
	}
}

func TestVerifierConfig(t *testing.T) {
	v := envconfig.Verifier{Pools: []jwtverify.PoolConfig{{UserPoolID: "eu-west-1_A"}}, Algorithms: []string{"ES256"},
		JWKSFetchTimeout: time.Second, TokenCacheSize: 7}
	hc, logger := &http.Client{}, slog.New(slog.DiscardHandler)
	c := v.Config(hc, logger)
	if len(c.Pools) != 1 || c.Pools[0].UserPoolID != "eu-west-1_A" || !slices.Equal(c.Algorithms, v.Algorithms) ||
		c.JWKSFetchTimeout != time.Second || c.TokenCacheSize != 7 || c.HTTPClient != hc || c.Logger != logger {
		t.Errorf("config %+v", c)
	}
	if (envconfig.Verifier{}).First().UserPoolID != "" {
		t.Error("First of no pools")
	}
}
