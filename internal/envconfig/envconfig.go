package envconfig

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse-auth/gatehouse/jwtverify"
)

// The variables Pool reads. Every service that verifies tokens uses these
// names with the same meaning.
const (
	UserPoolID        = "GATEHOUSE_USER_POOL_ID"
	ClientIDs         = "GATEHOUSE_CLIENT_IDS"
	SkipClientIDCheck = "GATEHOUSE_SKIP_CLIENT_ID_CHECK"
	TokenUses         = "GATEHOUSE_TOKEN_USES"
	Issuer            = "GATEHOUSE_ISSUER"
	JWKSURL           = "GATEHOUSE_JWKS_URL"
	InsecureHTTP      = "GATEHOUSE_INSECURE_HTTP"
	ClockSkew         = "GATEHOUSE_CLOCK_SKEW"
	JWKSTimeout       = "GATEHOUSE_JWKS_TIMEOUT"
)

// The mapping table's settings, also shared by every service.
const (
	Table          = "GATEHOUSE_TABLE"
	MappingTimeout = "GATEHOUSE_MAPPING_TIMEOUT"
)

// Reader reads variables through getenv and remembers what was wrong.
type Reader struct {
	getenv func(string) string
	errs   []error
}

// NewReader reads through getenv (usually os.Getenv).
func NewReader(getenv func(string) string) *Reader { return &Reader{getenv: getenv} }

// Bad records a problem with variable name.
func (r *Reader) Bad(name, format string, args ...any) {
	r.errs = append(r.errs, fmt.Errorf("%s: %s", name, fmt.Sprintf(format, args...)))
}

// Err joins every recorded problem; nil when there was none.
func (r *Reader) Err() error { return errors.Join(r.errs...) }

// String is the variable's value with surrounding space removed.
func (r *Reader) String(name string) string { return strings.TrimSpace(r.getenv(name)) }

// Required is String, recording a problem when the value is empty; what says
// what the variable is for.
func (r *Reader) Required(name, what string) string {
	v := r.String(name)
	if v == "" {
		r.Bad(name, "required (%s)", what)
	}
	return v
}

// Bool reads true/false (strconv.ParseBool); def when unset.
func (r *Reader) Bool(name string, def bool) bool {
	v := r.String(name)
	if v == "" {
		return def
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		r.Bad(name, "%q is not true or false", v)
	}
	return b
}

// Int reads a non-negative integer; def when unset.
func (r *Reader) Int(name string, def int) int {
	v := r.String(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		r.Bad(name, "%q is not a non-negative integer", v)
	}
	return n
}

// Duration reads a non-negative Go duration such as 60s; def when unset.
func (r *Reader) Duration(name string, def time.Duration) time.Duration {
	v := r.String(name)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		r.Bad(name, "%q is not a non-negative duration such as 60s", v)
	}
	return d
}

// List reads a comma-separated list, dropping empty items.
func (r *Reader) List(name string) []string {
	var out []string
	for _, s := range strings.Split(r.getenv(name), ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// Pool reads the token-verification settings of one user pool:
//
//	GATEHOUSE_USER_POOL_ID          (required) the pool id, <region>_<id>
//	GATEHOUSE_CLIENT_IDS            accepted app client ids, comma-separated; required
//	                                unless GATEHOUSE_SKIP_CLIENT_ID_CHECK=true
//	GATEHOUSE_SKIP_CLIENT_ID_CHECK  accept every app client of the pool (default false)
//	GATEHOUSE_TOKEN_USES            id, access or both (default id,access)
//	GATEHOUSE_ISSUER                expected iss instead of Cognito's (local stand-ins)
//	GATEHOUSE_JWKS_URL              keys URL (default <issuer>/.well-known/jwks.json)
//	GATEHOUSE_INSECURE_HTTP         allow http issuer and JWKS URLs (default false)
//	GATEHOUSE_CLOCK_SKEW            tolerance on exp and nbf (default 0s)
//
// jwtverify.New validates the result further (pool id form, URLs).
// GATEHOUSE_JWKS_TIMEOUT is read apart (JWKSFetchTimeout): it is a setting
// of the verifier, not of the pool.
func (r *Reader) Pool() jwtverify.PoolConfig {
	var p jwtverify.PoolConfig
	p.UserPoolID = r.Required(UserPoolID, "the Cognito user pool id, such as eu-west-1_AbCdEf123")
	p.SkipClientIDCheck = r.Bool(SkipClientIDCheck, false)
	p.ClientIDs = r.List(ClientIDs)
	switch {
	case p.SkipClientIDCheck && len(p.ClientIDs) > 0:
		r.Bad(ClientIDs, "set together with %s=true: choose one", SkipClientIDCheck)
	case !p.SkipClientIDCheck && len(p.ClientIDs) == 0:
		r.Bad(ClientIDs, "required: the comma-separated app client ids whose tokens are accepted (or %s=true)", SkipClientIDCheck)
	}
	uses := r.List(TokenUses)
	if r.String(TokenUses) == "" {
		uses = []string{string(jwtverify.TokenUseID), string(jwtverify.TokenUseAccess)}
	}
	for _, u := range uses {
		if u != string(jwtverify.TokenUseID) && u != string(jwtverify.TokenUseAccess) {
			r.Bad(TokenUses, "%q is neither id nor access", u)
			continue
		}
		p.TokenUses = append(p.TokenUses, jwtverify.TokenUse(u))
	}
	if len(p.TokenUses) == 0 {
		r.Bad(TokenUses, "lists no token use")
	}
	p.Issuer = r.String(Issuer)
	p.JWKSURL = r.String(JWKSURL)
	p.InsecureHTTP = r.Bool(InsecureHTTP, false)
	p.Grace = r.Duration(ClockSkew, 0)
	return p
}

// JWKSFetchTimeout reads GATEHOUSE_JWKS_TIMEOUT, the bound on one JWKS fetch
// (jwtverify.Config.JWKSFetchTimeout); 0 when unset, which means jwtverify's
// default of 2s. It must stay well under the decision timeout, so that a
// hanging key endpoint is answered keys_unavailable rather than timed out.
func (r *Reader) JWKSFetchTimeout() time.Duration { return r.Duration(JWKSTimeout, 0) }
