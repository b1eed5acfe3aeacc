package authorizer

// Request is what a decision is made on, whichever front end asked: API
// Gateway's TOKEN or REQUEST authorizer, an HTTP API, or a forward-auth proxy.
type Request struct {
	// Authorization is the raw credential: "Bearer <jwt>" (any case of
	// "Bearer") or a bare JWT. Empty when the caller sent none.
	Authorization string
	// Method and Path are the protected request's HTTP method and path
	// (without the stage). For a TOKEN authorizer they come from the method
	// ARN. Empty Method or Path: only rules that match any route apply.
	Method string
	Path   string
}

// Outcome is the answer's kind.
type Outcome int

const (
	// OutcomeError: a dependency failed (no usable key, the mapping store
	// unavailable). Never an Allow. API Gateway: 500.
	OutcomeError Outcome = iota
	// OutcomeUnauthorized: no, malformed, invalid, expired, unmapped or
	// revoked credential. API Gateway: 401.
	OutcomeUnauthorized
	// OutcomeForbidden: authenticated, but this route needs a scope or group
	// the caller lacks. API Gateway: 403.
	OutcomeForbidden
	// OutcomeAllow: authenticated and allowed.
	OutcomeAllow
)

func (o Outcome) String() string {
	switch o {
	case OutcomeAllow:
		return "allow"
	case OutcomeUnauthorized:
		return "unauthorized"
	case OutcomeForbidden:
		return "forbidden"
	default:
		return "error"
	}
}

// CallerKind says who is calling.
type CallerKind string

const (
	CallerUser    CallerKind = "user"    // a person, with an ID or user access token
	CallerClient  CallerKind = "client"  // a person's own program, with a client-credentials token
	CallerPartner CallerKind = "partner" // a B2B partner, with the tokens of its credential exchange
)

// Identity is who a call acts for. It is set on every decision whose
// credential was authenticated (allow and forbidden).
type Identity struct {
	InternalID string
	Kind       CallerKind
	Username   string // "" for client-credentials tokens
	ClientID   string
	TokenUse   string // "id" or "access"
	Scopes     []string
	Groups     []string
}

// Decision is the answer to a Request.
type Decision struct {
	Outcome Outcome
	// Reason is a short stable code for logs and metrics ("expired",
	// "unmapped", "missing_scope", ...). Never token material.
	Reason string
	// Identity is set when the credential was authenticated.
	Identity *Identity
	// Grants are the route patterns the caller may and may not use, for a
	// cacheable policy covering every route (see apigateway.Policy). Set when
	// authenticated.
	Grants *Grants
}

// Grants splits the configured routes by whether the caller meets their
// requirements. With no rules configured, Allowed is the single route that
// matches everything.
type Grants struct {
	Allowed []Route
	Denied  []Route
}

// Route is a method and path pattern as API Gateway ARNs write them: "*"
// matches any method, and "*" in a path matches any run of characters
// (including "/").
type Route struct {
	Method string
	Path   string
}
