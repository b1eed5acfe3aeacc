package mapping

import (
	"crypto/rand"
	"fmt"
	"strconv"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Key layout (see doc.go for why each one exists).
const (
	attrPK = "PK"
	attrSK = "SK"

	prefixUser        = "USER#"        // USER#<internalId>: the user's partition
	prefixUsername    = "USERNAME#"    // USERNAME#<userPoolId>#<username> → internal id
	prefixClient      = "CLIENT#"      // CLIENT#<clientId> → internal id; also the SK of a membership item
	prefixPartner     = "PARTNER#"     // PARTNER#<partnerId> → partner record; also the SK of a membership item
	prefixFingerprint = "FINGERPRINT#" // FINGERPRINT#<hex> → partner id
	prefixPending     = "PENDING#"     // SK in the user's partition: a client slot taken but not bound
	// PARTNERADMIN#<userPoolId>#<username> → partner id: a partner's
	// administrator, a person. Never read by the authorizer, so its IAM
	// role cannot read it and no caller resolves to an internal id through it.
	prefixPartnerAdmin = "PARTNERADMIN#"

	skProfile      = "PROFILE"
	skUsername     = "USERNAME"
	skClient       = "CLIENT"
	skPartner      = "PARTNER"
	skFingerprint  = "FINGERPRINT"
	skPartnerAdmin = "PARTNERADMIN"
)

// Attribute names besides PK and SK. Expressions always alias them (#x), so
// DynamoDB's reserved words never matter.
const (
	attrType            = "type"
	attrInternalID      = "internalId"
	attrUsername        = "username"
	attrUserPool        = "userPool"  // user name item and profile: the pool that issued the user name
	attrSub             = "sub"       // user name item and profile: the Cognito sub the name is bound to
	attrSignedOut       = "signedOut" // user name item: last sign-out everywhere, Unix seconds rounded up
	attrKind            = "kind"
	attrCreated         = "created"
	attrClients         = "clients"  // profile: number of clients
	attrPartners        = "partners" // profile: number of partner credentials
	attrRev             = "rev"      // profile: bumped by every membership change
	attrClientID        = "clientId"
	attrLabel           = "label"
	attrScopes          = "scopes"
	attrPartnerID       = "partnerId"
	attrCognitoUsername = "cognitoUsername"
	attrAppClientID     = "appClientId"
	attrSealedToken     = "sealedRefreshToken"
	attrFingerprint     = "fingerprint"
	attrStatus          = "status"
	attrVersion         = "version"
	attrRotated         = "rotated"
	attrRevoked         = "revoked"
	attrAdminUsername   = "adminUsername" // partner record: its administrator's user name, of pool adminPool
	attrAdminPool       = "adminPool"
	attrAdminSub        = "adminSub"      // partner record: the Cognito sub its administrator was bound to
	attrReservation     = "reservationId" // pending client slot: its id
	attrReplaces        = "replaces"      // pending client slot of a reset: the client it replaces
)

// Limits on what one user may own, so that DeleteUser fits in one
// TransactWriteItems call (at most 100 items): the profile and the username
// item (2), two items per client (2×40) and three per partner credential
// (3×6) make exactly 100.
const (
	MaxClientsPerUser  = 40
	MaxPartnersPerUser = 6
	maxTransactItems   = 100
)

// Limits on names and values. DynamoDB allows 2048-byte partition keys; ours
// stay far below, and Cognito's own limits (128-character user names and
// client ids) fit.
const (
	maxIDLen     = 256
	maxLabelLen  = 256
	maxScopes    = 100
	maxScopeLen  = 256
	maxSecretLen = 64 << 10
)

type item = map[string]types.AttributeValue

func str(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }

func num(v int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(v, 10)}
}

func timeAttr(t time.Time) types.AttributeValue { return str(t.UTC().Format(time.RFC3339Nano)) }

func key(pk, sk string) item {
	return item{attrPK: str(pk), attrSK: str(sk)}
}

func userKey(internalID string) item           { return key(prefixUser+internalID, skProfile) }
func usernameKey(n poolName) item              { return key(prefixUsername+n.pool+"#"+n.username, skUsername) }
func clientKey(clientID string) item           { return key(prefixClient+clientID, skClient) }
func partnerKey(partnerID string) item         { return key(prefixPartner+partnerID, skPartner) }
func fingerprintKey(fp string) item            { return key(prefixFingerprint+fp, skFingerprint) }
func userClientKey(internalID, c string) item  { return key(prefixUser+internalID, prefixClient+c) }
func userPartnerKey(internalID, p string) item { return key(prefixUser+internalID, prefixPartner+p) }
func pendingKey(internalID, r string) item     { return key(prefixUser+internalID, prefixPending+r) }
func partnerAdminKey(n poolName) item {
	return key(prefixPartnerAdmin+n.pool+"#"+n.username, skPartnerAdmin)
}

// getS reads a string attribute; missing or mistyped is an error, because a
// lookup must never guess.
func getS(it item, name string) (string, error) {
	v, ok := it[name].(*types.AttributeValueMemberS)
	if !ok {
		return "", fmt.Errorf("mapping: malformed item: attribute %q missing or not a string", name)
	}
	return v.Value, nil
}

func getOptS(it item, name string) string {
	if v, ok := it[name].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

func getN(it item, name string) (int64, error) {
	v, ok := it[name].(*types.AttributeValueMemberN)
	if !ok {
		return 0, fmt.Errorf("mapping: malformed item: attribute %q missing or not a number", name)
	}
	n, err := strconv.ParseInt(v.Value, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("mapping: malformed item: attribute %q: %w", name, err)
	}
	return n, nil
}

func getTime(it item, name string) (time.Time, error) {
	s, err := getS(it, name)
	if err != nil {
		return time.Time{}, err
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("mapping: malformed item: attribute %q: %w", name, err)
	}
	return t, nil
}

func getOptTime(it item, name string) (time.Time, error) {
	if _, ok := it[name]; !ok {
		return time.Time{}, nil
	}
	return getTime(it, name)
}

func getStrings(it item, name string) ([]string, error) {
	av, ok := it[name]
	if !ok {
		return nil, nil
	}
	l, ok := av.(*types.AttributeValueMemberL)
	if !ok {
		return nil, fmt.Errorf("mapping: malformed item: attribute %q is not a list", name)
	}
	out := make([]string, 0, len(l.Value))
	for _, e := range l.Value {
		s, ok := e.(*types.AttributeValueMemberS)
		if !ok {
			return nil, fmt.Errorf("mapping: malformed item: attribute %q holds a non-string", name)
		}
		out = append(out, s.Value)
	}
	return out, nil
}

func strList(v []string) types.AttributeValue {
	l := make([]types.AttributeValue, len(v))
	for i, s := range v {
		l[i] = str(s)
	}
	return &types.AttributeValueMemberL{Value: l}
}

// checkName accepts what can safely be part of a key and shown in an error:
// 1..256 bytes of valid UTF-8 without control characters. It runs on the
// hot path, so it allocates only when it fails.
func checkName(what, v string) error {
	if v == "" {
		return invalidf("%s is empty", what)
	}
	if len(v) > maxIDLen {
		return invalidf("%s is longer than %d bytes", what, maxIDLen)
	}
	for i := 0; i < len(v); {
		c := v[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7f {
				return invalidf("%s contains a control character", what)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(v[i:])
		if r == utf8.RuneError && size == 1 {
			return invalidf("%s is not valid UTF-8", what)
		}
		if unicode.IsControl(r) {
			return invalidf("%s contains a control character", what)
		}
		i += size
	}
	return nil
}

// maxPoolIDLen is Cognito's limit on a user pool id.
const maxPoolIDLen = 55

// checkPool accepts a user pool id's characters, <region>_<id> in Cognito's
// form: 1..55 of A-Z a-z 0-9 _ -, with an underscore. That no '#' can occur
// is what keeps USERNAME#<pool>#<username> unambiguous whatever the user
// name holds. It allocates only when it fails.
func checkPool(pool string) error {
	if pool == "" || len(pool) > maxPoolIDLen {
		return invalidf("user pool id must be 1 to %d characters", maxPoolIDLen)
	}
	underscore := false
	for i := 0; i < len(pool); i++ {
		c := pool[i]
		switch {
		case c == '_':
			underscore = true
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-':
		default:
			return invalidf("user pool id may hold only A-Z a-z 0-9 _ - (<region>_<id>)")
		}
	}
	if !underscore {
		return invalidf("user pool id has no underscore (<region>_<id>)")
	}
	return nil
}

// poolName is a user name qualified by the pool that issued it: the lookup
// cache's key (no allocation to build) and what usernameKey is made of.
type poolName struct{ pool, username string }

func checkPoolName(n poolName) error {
	if err := checkPool(n.pool); err != nil {
		return err
	}
	return checkName("username", n.username)
}

func checkFingerprint(fp string) error {
	if len(fp) != 64 {
		return invalidf("fingerprint must be 64 lowercase hex digits")
	}
	for i := 0; i < len(fp); i++ {
		c := fp[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return invalidf("fingerprint must be 64 lowercase hex digits")
		}
	}
	return nil
}

// NewID returns a random identifier (26 base32 characters, 130 bits) for
// an internal user id or a partner id.
func NewID() string { return rand.Text() }
