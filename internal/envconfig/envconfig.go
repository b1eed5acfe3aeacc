package envconfig

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The variables Verifier reads. Every service that verifies tokens uses
// these names with the same meaning; the pool variables are those of the
// first pool (PoolSpec.Prefix "").
const (
	UserPoolID        = "GATEHOUSE_USER_POOL_ID"
	ClientIDs         = "GATEHOUSE_CLIENT_IDS"
	SkipClientIDCheck = "GATEHOUSE_SKIP_CLIENT_ID_CHECK"
	TokenUses         = "GATEHOUSE_TOKEN_USES"
	Issuer            = "GATEHOUSE_ISSUER"
	JWKSURL           = "GATEHOUSE_JWKS_URL"
	InsecureHTTP      = "GATEHOUSE_INSECURE_HTTP"
	ClockSkew         = "GATEHOUSE_CLOCK_SKEW"

	JWKSTimeout    = "GATEHOUSE_JWKS_TIMEOUT"
	TokenCacheSize = "GATEHOUSE_TOKEN_CACHE_SIZE"
)

// poolVars are the variables of one pool, those PoolSpec.Var qualifies.
var poolVars = []string{UserPoolID, ClientIDs, SkipClientIDCheck, TokenUses, Issuer, JWKSURL, InsecureHTTP, ClockSkew}

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
