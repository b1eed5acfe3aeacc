package mapping

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/gatehouse-auth/gatehouse/mapping/record"
)

// Store keeps the mappings in one DynamoDB table. It is safe for concurrent
// use. See the package documentation for the table layout and guarantees.
type Store struct {
	table   string
	ddb     DynamoDBAPI
	sealer  *Sealer // nil without a key service
	now     func() time.Time
	timeout time.Duration
	ddbOpts []func(*dynamodb.Options)

	users   *lookupCache[poolName, User] // by pool and user name; nil when caching is off
	clients *lookupCache[string, Client] // by client id
}

// New checks cfg and returns a Store. It does no I/O.
func New(cfg Config) (*Store, error) {
	if err := checkTableName(cfg.Table); err != nil {
		return nil, err
	}
	if cfg.DynamoDB == nil {
		return nil, errors.New("mapping: Config.DynamoDB is nil")
	}
	if cfg.CacheSize == 0 {
		cfg.CacheSize = DefaultCacheSize
	}
	if cfg.CacheTTL == 0 {
		cfg.CacheTTL = DefaultCacheTTL
	}
	if cfg.NegativeCacheTTL == 0 {
		cfg.NegativeCacheTTL = DefaultNegativeCacheTTL
	}
	// "Not found" never outlives a found entry.
	cfg.NegativeCacheTTL = min(cfg.NegativeCacheTTL, cfg.CacheTTL)
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = DefaultMaxAttempts
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	attempts := cfg.MaxAttempts
	s := &Store{
		table:   cfg.Table,
		ddb:     cfg.DynamoDB,
		now:     cfg.Now,
		timeout: cfg.Timeout,
		ddbOpts: []func(*dynamodb.Options){func(o *dynamodb.Options) { o.RetryMaxAttempts = attempts }},
	}
	if cfg.Keys != nil {
		s.sealer = &Sealer{keys: cfg.Keys, timeout: cfg.Timeout}
	}
	s.users = newLookupCache(cfg.CacheSize, cfg.CacheTTL, cfg.NegativeCacheTTL, cfg.Now, s.fetchUserByUsername)
	s.clients = newLookupCache(cfg.CacheSize, cfg.CacheTTL, cfg.NegativeCacheTTL, cfg.Now, s.fetchClient)
	return s, nil
}

// Table returns the table name the Store uses.
func (s *Store) Table() string { return s.table }

// Sealer returns the Store's Sealer, or an error when Config has no key
// service.
func (s *Store) Sealer() (*Sealer, error) {
	if s.sealer == nil {
		return nil, errors.New("mapping: no KMS key configured (Config.Keys)")
	}
	return s.sealer, nil
}

func (s *Store) withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, s.timeout)
}

func (s *Store) nowUTC() time.Time { return s.now().UTC().Truncate(time.Millisecond) }

// UserByUsername returns the user a Cognito user name of user pool pool
// maps to. Take pool from the verified token (jwtverify.Claims.UserPoolID),
// never from the caller: the same name in another pool is another user. It
// is one of the authorizer's two hot lookups: served from the cache when
// fresh, otherwise one strongly consistent GetItem.
func (s *Store) UserByUsername(ctx context.Context, pool, username string) (User, error) {
	u, _, err := s.UserByUsernameLease(ctx, pool, username)
	return u, err
}

// UserByUsernameLease is UserByUsername that also returns the Lease of the
// cache entry the user came from, for a caller that keeps something
// derived from the answer (the authorizer's per-token memo). The lease is
// nil on an error and when the answer is not cached (caching off, or a
// write through this Store dropped the key while it was being read).
func (s *Store) UserByUsernameLease(ctx context.Context, pool, username string) (User, Lease, error) {
	n := poolName{pool, username}
	if err := checkPoolName(n); err != nil {
		return User{}, nil, err
	}
	if s.users == nil {
		u, err := s.fetchUserByUsername(ctx, n)
		return u, nil, err
	}
	return s.users.lease(ctx, n)
}

func (s *Store) fetchUserByUsername(ctx context.Context, n poolName) (User, error) {
	it, err := s.getItem(ctx, "GetItem (user by username)", usernameKey(n))
	if err != nil {
		return User{}, err
	}
	if it == nil {
		return User{}, notFoundf("no user with user name %q in pool %s", n.username, n.pool)
	}
	u, err := decodeUser(it)
	if err != nil {
		return User{}, err
	}
	// The key alone is not trusted: an item written before pools were
	// recorded has no pool, and must never answer for one.
	if u.Pool != n.pool || u.Username != n.username {
		return User{}, fmt.Errorf("mapping: malformed item: user name item for %q in pool %s holds user name %q in pool %q", n.username, n.pool, u.Username, u.Pool)
	}
	return u, nil
}

// ClientByID returns the app client with this Cognito client id and the
// user it acts for. It is the authorizer's other hot lookup, and for client
// tokens it is the revocation check: served from the cache when fresh,
// otherwise one strongly consistent GetItem.
func (s *Store) ClientByID(ctx context.Context, clientID string) (Client, error) {
	c, _, err := s.ClientByIDLease(ctx, clientID)
	return c, err
}

// LeaseSource returns s, the Store whose lookups the Lease methods make. A
// type embedding a *Store inherits them (and this method) without the
// lookups it overrides: the authorizer uses the Lease methods only of a
// Directory that is their LeaseSource.
func (s *Store) LeaseSource() any { return s }

// ClientByIDLease is ClientByID that also returns the Lease of the cache
// entry the client came from (nil as for UserByUsernameLease).
func (s *Store) ClientByIDLease(ctx context.Context, clientID string) (Client, Lease, error) {
	if err := checkName("client id", clientID); err != nil {
		return Client{}, nil, err
	}
	var c Client
	var l Lease
	var err error
	if s.clients == nil {
		c, err = s.fetchClient(ctx, clientID)
	} else {
		c, l, err = s.clients.lease(ctx, clientID)
	}
	if err != nil {
		return Client{}, nil, err
	}
	// The cached value is shared: the caller gets its own scopes slice.
	return cloneClient(c), l, nil
}

func (s *Store) fetchClient(ctx context.Context, clientID string) (Client, error) {
	it, err := s.getItem(ctx, "GetItem (client by id)", clientKey(clientID))
	if err != nil {
		return Client{}, err
	}
	if it == nil {
		return Client{}, notFoundf("no client with id %q", clientID)
	}
	c, err := decodeClient(it)
	if err != nil {
		return Client{}, err
	}
	if c.ClientID != clientID {
		return Client{}, fmt.Errorf("mapping: malformed item: client item %q holds client id %q", clientID, c.ClientID)
	}
	return c, nil
}

// User returns the user with this internal id (strongly consistent, not
// cached).
func (s *Store) User(ctx context.Context, internalID string) (User, error) {
	if err := checkName("internal id", internalID); err != nil {
		return User{}, err
	}
	it, err := s.getItem(ctx, "GetItem (user)", userKey(internalID))
	if err != nil {
		return User{}, err
	}
	if it == nil {
		return User{}, notFoundf("no user with internal id %q", internalID)
	}
	u, err := decodeUser(it)
	if err != nil {
		return User{}, err
	}
	if u.InternalID != internalID {
		return User{}, fmt.Errorf("mapping: malformed item: user %q holds internal id %q", internalID, u.InternalID)
	}
	return u, nil
}

// Clients returns the user's app clients in client id order (one strongly
// consistent Query of the user's partition, not cached). A user without
// clients gets an empty slice; an unknown user gets ErrNotFound.
func (s *Store) Clients(ctx context.Context, internalID string) ([]Client, error) {
	p, err := s.readUser(ctx, internalID)
	if err != nil {
		return nil, err
	}
	return p.clients, nil
}

// userPartition is everything stored under USER#<internalId>.
type userPartition struct {
	user       User
	rev        int64
	clients    []Client
	pending    []PendingClient
	partnerIDs []string
}

func (s *Store) readUser(ctx context.Context, internalID string) (userPartition, error) {
	if err := checkName("internal id", internalID); err != nil {
		return userPartition{}, err
	}
	items, err := s.queryPartition(ctx, "Query (user partition)", prefixUser+internalID)
	if err != nil {
		return userPartition{}, err
	}
	var p userPartition
	found := false
	p.clients = []Client{}
	for _, it := range items {
		sk, err := getS(it, attrSK)
		if err != nil {
			return userPartition{}, err
		}
		switch {
		case sk == skProfile:
			if p.user, err = decodeUser(it); err != nil {
				return userPartition{}, err
			}
			if p.rev, err = getN(it, attrRev); err != nil {
				return userPartition{}, err
			}
			found = true
		case strings.HasPrefix(sk, prefixClient):
			c, err := decodeClient(it)
			if err != nil {
				return userPartition{}, err
			}
			p.clients = append(p.clients, c)
		case strings.HasPrefix(sk, prefixPending):
			pc, err := decodePending(it)
			if err != nil {
				return userPartition{}, err
			}
			p.pending = append(p.pending, pc)
		case strings.HasPrefix(sk, prefixPartner):
			id, err := getS(it, attrPartnerID)
			if err != nil {
				return userPartition{}, err
			}
			p.partnerIDs = append(p.partnerIDs, id)
		}
	}
	if !found {
		return userPartition{}, notFoundf("no user with internal id %q", internalID)
	}
	return p, nil
}

func decodeUser(it item) (User, error) {
	var u User
	var err error
	if u.InternalID, err = getS(it, attrInternalID); err != nil {
		return User{}, err
	}
	if u.Username, err = getS(it, attrUsername); err != nil {
		return User{}, err
	}
	u.Pool = getOptS(it, attrUserPool) // fetchUserByUsername requires it
	u.Sub = getOptS(it, attrSub)       // the authorizer refuses a user without one
	if _, ok := it[attrSignedOut]; ok {
		if u.SignedOut, err = getN(it, attrSignedOut); err != nil {
			return User{}, err
		}
	}
	k, err := getS(it, attrKind)
	if err != nil {
		return User{}, err
	}
	u.Kind = Kind(k)
	if !validKind(u.Kind) {
		return User{}, fmt.Errorf("mapping: malformed item: unknown kind %q", k)
	}
	if u.Created, err = getTime(it, attrCreated); err != nil {
		return User{}, err
	}
	return u, nil
}

func decodeClient(it item) (Client, error) {
	var c Client
	var err error
	if c.ClientID, err = getS(it, attrClientID); err != nil {
		return Client{}, err
	}
	if c.InternalID, err = getS(it, attrInternalID); err != nil {
		return Client{}, err
	}
	c.Label = getOptS(it, attrLabel)
	if c.Scopes, err = getStrings(it, attrScopes); err != nil {
		return Client{}, err
	}
	if c.Created, err = getTime(it, attrCreated); err != nil {
		return Client{}, err
	}
	return c, nil
}

// CreateUser records a user: internal id ↔ user name of user pool pool,
// both unique (the name within its pool), bound to the Cognito user's sub
// (required: read it from the verified token or AdminGetUser, never from
// the caller). An empty internalID gets a random one (NewID); an empty kind
// means KindUser. If either is taken, nothing is written and the error is
// ErrConflict.
func (s *Store) CreateUser(ctx context.Context, internalID, pool, username, sub string, kind Kind) (User, error) {
	if internalID == "" {
		internalID = NewID()
	}
	if kind == "" {
		kind = KindUser
	}
	if err := checkName("internal id", internalID); err != nil {
		return User{}, err
	}
	n := poolName{pool, username}
	if err := checkPoolName(n); err != nil {
		return User{}, err
	}
	if err := checkName("sub", sub); err != nil {
		return User{}, err
	}
	if !validKind(kind) {
		return User{}, invalidf("kind %q is neither %q nor %q", kind, KindUser, KindPartner)
	}
	u := User{InternalID: internalID, Pool: pool, Username: username, Sub: sub, Kind: kind, Created: s.nowUTC()}
	profile := userAttrs(userKey(internalID), u)
	profile[attrType] = str("user")
	profile[attrClients] = num(0)
	profile[attrPartners] = num(0)
	profile[attrRev] = num(0)
	// The user name item carries the whole User, so the hot lookup is one
	// GetItem. A user name is never reassigned in place: only its sign-out
	// time (SignOut) changes, and a legacy item's sub is set once (BindSub).
	byName := userAttrs(usernameKey(n), u)
	byName[attrType] = str("username")

	// A legacy item (no pool) still holding the name is a person not yet
	// migrated: recording them anew would split them from their internal id
	// for good (migrate could not re-key it any more). A read, not a
	// ConditionCheck: the partner service's role has no
	// dynamodb:ConditionCheckItem (DynamoDBActions).
	switch old, err := s.getItem(ctx, "GetItem (legacy user name)", legacyUsernameKey(username)); {
	case err != nil:
		return User{}, err
	case old != nil && getOptS(old, attrUserPool) == "":
		return User{}, conflictf("user name %q is held by an item from before pools were recorded: run gatehouse users migrate first", username)
	}
	notExists := expr{names: map[string]string{"#pk": attrPK}}
	err := s.transact(ctx, "CreateUser", []write{
		s.put(profile, "attribute_not_exists(#pk)", notExists, always(conflictf("internal id %q is taken", internalID))),
		s.put(byName, "attribute_not_exists(#pk)", notExists, always(conflictf("user name %q is taken", username))),
	})
	// Whatever the outcome (a timeout may hide a success), drop a cached
	// "not found" for this name.
	s.users.invalidate(n)
	if err != nil {
		return User{}, err
	}
	return u, nil
}

// userAttrs adds u's attributes, those decodeUser reads, to the key k.
func userAttrs(k item, u User) item {
	k[attrInternalID] = str(u.InternalID)
	k[attrUserPool] = str(u.Pool)
	k[attrUsername] = str(u.Username)
	if u.Sub != "" {
		k[attrSub] = str(u.Sub)
	}
	if u.SignedOut != 0 {
		k[attrSignedOut] = num(u.SignedOut)
	}
	k[attrKind] = str(string(u.Kind))
	k[attrCreated] = timeAttr(u.Created)
	return k
}

// DeleteUser removes the user and everything of theirs — user name, clients,
// partner credentials and their fingerprints — in one transaction. It reads
// the user's partition first; if anything of theirs changes between that
// read and the write, the write fails with ErrConflict and nothing is
// removed (retry it). A user with pending client slots is ErrConflict too:
// clean them up first (they record app clients that may still exist).
func (s *Store) DeleteUser(ctx context.Context, internalID string) error {
	p, err := s.readUser(ctx, internalID)
	if err != nil {
		return err
	}
	if len(p.pending) > 0 {
		// They record app clients that may still exist elsewhere; deleting
		// them would lose the only trace.
		return conflictf("user %q has %d client slots pending clean-up; clean them up first", internalID, len(p.pending))
	}
	partners := make([]Partner, 0, len(p.partnerIDs))
	for _, id := range p.partnerIDs {
		pt, err := s.Partner(ctx, id)
		if err != nil {
			if errors.Is(err, ErrNotFound) {
				return conflictf("partner %q of user %q vanished while deleting; retry", id, internalID)
			}
			return err
		}
		partners = append(partners, pt)
	}

	idIs := expr{names: map[string]string{"#iid": attrInternalID}, values: item{":iid": str(internalID)}}
	exists := expr{names: map[string]string{"#pk": attrPK}}
	changed := always(conflictf("user %q changed while being deleted; retry", internalID))
	writes := []write{
		s.del(userKey(internalID), "#rev = :rev", expr{
			names: map[string]string{"#rev": attrRev}, values: item{":rev": num(p.rev)},
		}, func(old item) error {
			if len(old) == 0 {
				return notFoundf("no user with internal id %q", internalID)
			}
			return conflictf("user %q changed while being deleted; retry", internalID)
		}),
		s.del(usernameItemKey(p.user), "#iid = :iid", idIs, changed),
	}
	for _, c := range p.clients {
		writes = append(writes,
			s.del(clientKey(c.ClientID), "#iid = :iid", idIs, changed),
			s.del(userClientKey(internalID, c.ClientID), "attribute_exists(#pk)", exists, changed))
	}
	for _, pt := range partners {
		writes = append(writes,
			s.del(partnerKey(pt.PartnerID), "#ver = :ver AND #iid = :iid", expr{
				names:  map[string]string{"#ver": attrVersion, "#iid": attrInternalID},
				values: item{":ver": num(pt.Version), ":iid": str(internalID)},
			}, changed),
			s.del(userPartnerKey(internalID, pt.PartnerID), "attribute_exists(#pk)", exists, changed))
		if pt.CredentialFingerprint != "" {
			writes = append(writes, s.del(fingerprintKey(pt.CredentialFingerprint), "#pid = :pid", expr{
				names: map[string]string{"#pid": attrPartnerID}, values: item{":pid": str(pt.PartnerID)},
			}, changed))
		}
	}
	err = s.transact(ctx, "DeleteUser", writes)
	s.users.invalidate(poolName{p.user.Pool, p.user.Username})
	ids := make([]string, len(p.clients))
	for i, c := range p.clients {
		ids[i] = c.ClientID
	}
	s.clients.invalidate(ids...)
	return err
}

var tableNameOK = func(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '.'
}

// checkTableName applies DynamoDB's rule: 3 to 255 of [A-Za-z0-9_.-].
func checkTableName(t string) error {
	if len(t) < 3 || len(t) > 255 || strings.IndexFunc(t, func(r rune) bool { return !tableNameOK(r) }) >= 0 {
		return invalidf("table name %q: want 3 to 255 of A-Z a-z 0-9 _ - .", t)
	}
	return nil
}

// CacheStats counts the lookups answered from the lookup caches (see
// record.CacheStats).
type CacheStats = record.CacheStats

// CacheStats returns the lookup caches' counts so far. It does not touch
// the network.
func (s *Store) CacheStats() CacheStats {
	var st CacheStats
	st.UserHits, st.UserMisses = s.users.stats()
	st.ClientHits, st.ClientMisses = s.clients.stats()
	return st
}
