package authorizer

import "strings"

// The caller's identity as the backend receives it: API Gateway's context
// keys and the headers `gatehouse serve` sets (package forwardauth). Every
// value is a string; lists are joined with spaces. identityFields below is
// the one list of them.
const (
	ContextInternalID = "internalId" // the internal user id; also principalId
	ContextKind       = "kind"       // "user", "client" or "partner"
	ContextUsername   = "username"   // Cognito user name; "" for clients
	ContextClientID   = "clientId"   // the app client the token was issued to
	ContextTokenUse   = "tokenUse"   // "id" or "access"
	ContextScopes     = "scopes"     // space-separated; "" when none
	ContextGroups     = "groups"     // space-separated Cognito groups; "" when none

	HeaderUserID     = "X-Gatehouse-User-Id"
	HeaderCallerKind = "X-Gatehouse-Caller-Kind"
	HeaderUsername   = "X-Gatehouse-Username"
	HeaderClientID   = "X-Gatehouse-Client-Id"
	HeaderTokenUse   = "X-Gatehouse-Token-Use"
	HeaderScopes     = "X-Gatehouse-Scopes"
	HeaderGroups     = "X-Gatehouse-Groups"
)

// IdentityField is one field of the caller's identity: the same string
// under a context key (API Gateway) and a header (gatehouse serve).
type IdentityField struct {
	// ContextKey is the key in the authorizer's context.
	ContextKey string
	// Header is the header gatehouse serve sets, in canonical form; it
	// starts with "X-Gatehouse-", the prefix forwardauth strips and refuses
	// from clients.
	Header string
	// List: the value is a list, sent as its items joined with single
	// spaces ("" when empty). Otherwise it is one string.
	List bool

	str   func(*Identity) string   // when !List
	items func(*Identity) []string // when List
}

// identityFields is the one table of identity fields, in documentation
// order: the context, the headers and their checks are derived from it; the
// documentation (IdentityFields below, README.md) and the proxy examples are
// tested against it (forwardauth's TestIdentityFieldsDocumented). Adding a
// field is adding a row, its line in IdentityFields' documentation, and the
// Identity field it reads.
var identityFields = []IdentityField{
	{ContextKey: ContextInternalID, Header: HeaderUserID, str: func(id *Identity) string { return id.InternalID }},
	{ContextKey: ContextKind, Header: HeaderCallerKind, str: func(id *Identity) string { return string(id.Kind) }},
	{ContextKey: ContextUsername, Header: HeaderUsername, str: func(id *Identity) string { return id.Username }},
	{ContextKey: ContextClientID, Header: HeaderClientID, str: func(id *Identity) string { return id.ClientID }},
	{ContextKey: ContextTokenUse, Header: HeaderTokenUse, str: func(id *Identity) string { return id.TokenUse }},
	{ContextKey: ContextScopes, Header: HeaderScopes, List: true, items: func(id *Identity) []string { return id.Scopes }},
	{ContextKey: ContextGroups, Header: HeaderGroups, List: true, items: func(id *Identity) []string { return id.Groups }},
}

// IdentityFields returns the identity fields (a copy: callers cannot change
// what Context sends). Every value is a string, empty when there is nothing
// to say:
//
//	context key  header                   value
//	internalId   X-Gatehouse-User-Id      the internal user id (same as principalId)
//	kind         X-Gatehouse-Caller-Kind  "user", "client" or "partner"
//	username     X-Gatehouse-Username     the Cognito user name; "" for client-credentials tokens
//	clientId     X-Gatehouse-Client-Id    the app client the token was issued to
//	tokenUse     X-Gatehouse-Token-Use    "id" or "access"
//	scopes       X-Gatehouse-Scopes       the token's scopes, space-separated
//	groups       X-Gatehouse-Groups       the token's Cognito groups, space-separated
func IdentityFields() []IdentityField { return append([]IdentityField(nil), identityFields...) }

// ContextKeys lists every context key, in documentation order.
var ContextKeys = func() []string {
	keys := make([]string, len(identityFields))
	for i, f := range identityFields {
		keys[i] = f.ContextKey
	}
	return keys
}()

// Value returns the field's value for id: the string, or the list's items
// joined with spaces.
func (f IdentityField) Value(id *Identity) string {
	if f.List {
		return strings.Join(f.items(id), " ")
	}
	return f.str(id)
}

// Items returns a list field's items for id (shared with id: read only),
// and nil for a string field.
func (f IdentityField) Items(id *Identity) []string {
	if f.List {
		return f.items(id)
	}
	return nil
}

// Context returns the context map for id: strings only, lists joined with
// spaces.
func Context(id *Identity) map[string]any {
	m := make(map[string]any, len(identityFields))
	for _, f := range identityFields {
		m[f.ContextKey] = f.Value(id)
	}
	return m
}
