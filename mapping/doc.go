// Package mapping keeps Gatehouse's identity mappings in one DynamoDB table:
// which internal user id a Cognito user name or an app client id stands for,
// and the B2B partner credentials the token exchange uses. The backend sees
// one internal id whether a person calls as themselves or through a client
// they own; removing a client, resetting it or deleting a user takes effect
// on the next uncached lookup.
//
// # Table
//
// One table, name from configuration (Config.Table), with two string keys,
// PK (partition) and SK (sort), on-demand capacity, no secondary index and
// no TTL. CreateTable makes it for local development.
//
//	PK                    SK                   holds
//	USER#<internalId>     PROFILE              user: userPool, username, sub, kind, created; counters clients, partners, rev
//	USERNAME#<userPoolId>#<username>
//	                      USERNAME             internalId, userPool, username, sub, kind, created; signedOut once signed out
//	CLIENT#<clientId>     CLIENT               internalId, label, scopes, created
//	USER#<internalId>     CLIENT#<clientId>    the same client attributes (membership)
//	USER#<internalId>     PENDING#<resId>      reservationId (random, or reset-<clientId>), internalId, status (creating|orphan), created;
//	                                           clientId once known, replaces (a reset's old client)
//	PARTNER#<partnerId>   PARTNER              internalId, cognitoUsername, appClientId, sealedRefreshToken,
//	                                           fingerprint, status, version, created, rotated, revoked;
//	                                           adminUsername, adminPool, adminSub (its administrator, if any)
//	FINGERPRINT#<sha256>  FINGERPRINT          partnerId
//	PARTNERADMIN#<userPoolId>#<username>
//	                      PARTNERADMIN         partnerId, userPool, username, created
//	USER#<internalId>     PARTNER#<partnerId>  partnerId (membership)
//
// Why each key:
//
//   - USERNAME#<userPoolId>#<username> serves the authorizer's lookup for
//     people and partners: one strongly consistent GetItem on a base-table
//     key. It copies the whole User (pool and names are fixed for the
//     record's life), so that lookup is a single read. Created with
//     attribute_not_exists in the same transaction as the profile, it is
//     also what makes a user name of one pool map to exactly one internal
//     id. The pool is part of the key because a user name is unique only
//     within its pool: the people's and the partners' pools may both hold
//     "acme", and they are different callers. The lookup's pool comes from
//     the verified token (the pool whose issuer signed it), never from the
//     caller. A pool id (<region>_<id>, checked: A-Z a-z 0-9 _ -) never holds
//     '#', so the first '#' after the prefix ends it and no user name, '#'
//     or not, can produce another pool's key. The item's userPool and
//     username attributes must match the key asked for: an item written
//     before pools were recorded (USERNAME#<username>, no userPool) never
//     answers a lookup, even when its name reads like a qualified key.
//     MigrateUsernames re-keys such items (gatehouse users migrate).
//     The item also carries what the authorizer checks of the token with
//     no further read (User.Admits): sub, the Cognito user the name was
//     bound to (a name deleted and re-created in Cognito gets a new sub),
//     and signedOut, the last sign-out everywhere in whole Unix seconds,
//     rounded up (SignOut; tokens with an earlier iat are refused).
//   - CLIENT#<clientId> serves the lookup for client-credentials tokens, and
//     is the revocation check for them: one strongly consistent GetItem.
//     Created with attribute_not_exists, it makes a client id map to exactly
//     one internal id.
//   - USER#<internalId> is the user's partition. PROFILE holds the user and
//     three counters: clients (bound clients plus pending slots) and
//     partners enforce the limits in the writes' conditions — the caller's
//     configured client limit (ReserveClient) or MaxClientsPerUser
//     (AddClient), and MaxPartnersPerUser — and rev grows with every
//     membership change. The membership items (CLIENT#…, PARTNER#… as sort
//     keys) are written in the same transaction as the lookup items, so
//     listing a user's clients (Clients) and finding everything to delete
//     (DeleteUser) is one strongly consistent Query of one partition.
//   - PENDING#<reservationId> in the user's partition is a client slot
//     taken but not bound (see "Client slots"): it is counted, so that a
//     limit holds before the app client exists elsewhere, and it records
//     that app client's id, so that a crash or a failed deletion leaves a
//     trace a clean-up can find with the same Query.
//   - PARTNER#<partnerId> is the partner credential, read by id with a
//     strongly consistent GetItem; version makes rotation a
//     compare-and-swap.
//   - FINGERPRINT#<sha256> finds a partner by the fingerprint of the
//     credential it presents. A pointer item on the base table rather than a
//     GSI, because a GSI is only eventually consistent (a rotated-away or
//     revoked credential could still be found) and cannot enforce
//     uniqueness; as an item it is read strongly consistently and created
//     with attribute_not_exists. PartnerByFingerprint then re-reads the
//     partner record and checks it still carries that fingerprint and is
//     active.
//   - PARTNERADMIN#<userPoolId>#<username> names the partner a person
//     administers (partner self-service: see Store.PartnerOfAdmin). A key
//     of its own, never a USERNAME# item, so the authorizer — which reads
//     only USERNAME# and CLIENT# keys, and whose IAM role is limited to
//     them — can never take an administrator for the partner's machine
//     identity. Written with the partner (PutPartner, attribute_not_exists:
//     one name administers at most one partner) and deleted with it
//     (RemovePartner). DeleteUser leaves it (the user's transaction has no
//     room for it); PartnerOfAdmin then finds no partner naming it, so it
//     grants nothing, and the name stays taken until the item is deleted.
//     The administrator's sub lives on the partner record (adminSub,
//     beside adminUsername and adminPool: one place, read by the same
//     GetItem that confirms the item), checked with record.SameSub like a
//     user name's: a re-created administrator user is refused. There is
//     no migration for records without it: administrators are new in the
//     release that records their sub, so such a record (hand-made) admits
//     no administrator (ErrUnbound).
//
// No GSI exists, so no read depends on index replication, and no TTL: nothing
// here expires by itself.
//
// # Access patterns
//
//	UserByUsername   GetItem USERNAME#pool#u (ConsistentRead), through the cache
//	ClientByID       GetItem CLIENT#c (ConsistentRead), through the cache
//	User             GetItem USER#id / PROFILE (ConsistentRead)
//	Clients          Query PK = USER#id (ConsistentRead)
//	Partner          GetItem PARTNER#p (ConsistentRead)
//	PartnerByFingerprint  GetItem FINGERPRINT#f, then GetItem PARTNER#p (both ConsistentRead)
//	every write      one TransactWriteItems, every item conditional
//	MigrateUsernames, Partners   Scan (ConsistentRead), an operator's upgrade tools only
//
// # Invariants
//
// Every change touching more than one item is one TransactWriteItems call
// whose items are all conditional, so a failure never leaves half a mapping
// and of concurrent conflicting writes exactly one succeeds; the others get
// an error wrapping ErrConflict (or ErrNotFound when what they change is
// gone, ErrLimit when a limit is reached):
//
//   - CreateUser: PROFILE and USERNAME# items, both attribute_not_exists,
//     both with the sub; refused first when a legacy USERNAME#<name> item
//     (no userPool) holds the name, so a person not yet migrated is never
//     recorded anew.
//   - SignOut: USERNAME# updated, conditional on existing and on the
//     recorded signedOut being earlier (a retry or an older sign-out
//     changes nothing and succeeds).
//   - BindSub (gatehouse users bind-subs): USERNAME# and PROFILE set sub,
//     each conditional on this internal id and on no sub or the same one.
//   - MigrateUsernames, per legacy user: the qualified USERNAME# item
//     (attribute_not_exists), the legacy one deleted (still this user's, no
//     userPool), PROFILE's userPool set (still this user, none set yet).
//   - MovePartner (re-issuing a partner into the partners' pool): the
//     partner record (version as read, active: new user name, token,
//     fingerprint, version up), the old FINGERPRINT# deleted and the new
//     one put, the old USERNAME# item deleted (still this user's) and the
//     new one put in the new pool (attribute_not_exists), PROFILE's
//     userPool and username set (still as read).
//   - AddClient: PROFILE (exists, clients < MaxClientsPerUser, count and rev
//     up), CLIENT# (attribute_not_exists) and the membership item.
//   - ReplaceClient (a reset): PROFILE (exists, rev up), delete the old
//     CLIENT# (condition: it is this user's) and its membership item, put
//     the new ones (attribute_not_exists) — the old id stops working in the
//     same instant the new one starts.
//   - RemoveClient: PROFILE (count down), delete CLIENT# (this user's) and
//     the membership item.
//   - Client slots: ReserveClient (PROFILE: clients < the limit given,
//     count up; PENDING# put), ReserveReplacement (count up without the
//     limit; the old client's membership must exist; the key
//     PENDING#reset-<old client id> admits one reset per client at a time), RecordPendingClient
//     (PENDING# still creating, no id yet), BindPending (PENDING# creating
//     with this id deleted, CLIENT# and membership put, count unchanged),
//     ReplacePending (PENDING# creating with the new id becomes orphan
//     recording the old id; old CLIENT# and membership deleted, new ones
//     put), UnbindClient (CLIENT# and membership deleted, an orphan PENDING#
//     put, count unchanged), ClaimPending (creating → orphan, only from the
//     state the caller read) and ReleasePending (PENDING# deleted, count
//     down).
//   - DeleteUser: refuses (ErrConflict) while the user has pending slots:
//     they record app clients that may still exist elsewhere. Otherwise it
//     reads the partition, then deletes every item in it and
//     every lookup item it points at, conditional on PROFILE's rev being the
//     one read (and each partner's version), so a client added meanwhile
//     makes the delete fail whole instead of leaving an orphan. At most 100
//     items fit a transaction, hence MaxClientsPerUser (40) and
//     MaxPartnersPerUser (6): 2 + 2×40 + 3×6 = 100.
//   - PutPartner, UpdatePartnerToken, RevokePartner, RemovePartner: the
//     partner record, its fingerprint item and the membership item move
//     together; UpdatePartnerToken is conditional on the version the caller
//     read, and swaps the fingerprint items in the same transaction.
//
// # Client slots
//
// A caller that creates app clients elsewhere (the portal, in Cognito)
// holds a per-user limit and leaves no client untraced this way: reserve a
// slot (counted) before creating the client; record the client's id on the
// slot; bind it in place of the slot. On failure, claim the slot (state
// orphan: it can no longer be bound), delete the client elsewhere, then
// release the slot; whatever fails stays recorded for a clean-up, which
// finds every slot of a user in the partition Query (ClientSlots). A slot
// is given back only once its client is known to be gone, so the counter
// never undercounts what exists elsewhere. A slot holds at most one item,
// and DeleteUser refuses while any exists, so the 100-item budget above
// holds.
//
// Each transaction carries a random ClientRequestToken, so when the SDK
// retries one whose answer was lost, DynamoDB treats the retry as the same
// request instead of failing its conditions against the first attempt.
//
// # Cache and revocation delay
//
// UserByUsername and ClientByID read through a cache per lookup: bounded
// (Config.CacheSize, least recently used out first), with a TTL for found
// entries (Config.CacheTTL, default 60 s) and a shorter one for "not found"
// (Config.NegativeCacheTTL, default 5 s). Concurrent misses for one key
// share one GetItem. Only answers are cached — a user, a client, or
// ErrNotFound — never another error, and a write made through this Store
// drops the keys it touches whether or not it succeeded (a timed-out write
// may have succeeded), and stops fetches already under way from storing
// what they read. UserByUsernameLease and ClientByIDLease also return the
// answering entry's Lease, live exactly while a lookup would return that
// entry: a caller keeping something derived from the answer for no longer
// keeps the delay below unchanged (the authorizer's warm decisions do).
//
// Other processes (other Lambda instances) learn of a change when their entry
// expires. The worst-case delay between a reset, removal, deletion or
// sign-out and the last request it lets through is therefore
//
//	CacheTTL + API Gateway's authorizer-cache TTL = 60 s + 300 s = 360 s by default
//
// (the authorizer TTL can be 0 to 3600 s). Set CacheTTL negative and the
// authorizer TTL to 0 for an immediate effect, at one GetItem per request.
// A user created elsewhere may be reported missing for up to
// NegativeCacheTTL.
//
// # Secrets
//
// Partner refresh tokens are sealed by a Sealer with KMS envelope
// encryption: GenerateDataKey (AES_256) under the configured key
// (Config.Keys: package mapping/kmskeys with a key id, ARN or alias), then
// AES-256-GCM. The KMS client lives in mapping/kmskeys so that readers of
// the mapping, which never open a secret (the authorizer Lambda), do not
// link it. The encryption
// context — table, record key, purpose — is bound both to the KMS data key
// and, as additional data, to the GCM ciphertext, so a sealed value copied
// into another record or offered for another purpose fails to open
// (ErrSealBroken). Only sealed values reach DynamoDB; KMS down means no seal
// and no open (ErrUnavailable). A credential is found by its Fingerprint
// (SHA-256, see there), and fingerprints are compared in constant time.
// This package does not log, and no error carries a secret.
//
// # Errors and retries
//
// ErrNotFound, ErrConflict (and ErrLimit, which is one), ErrUnavailable and
// ErrMisconfigured are sentinels for errors.Is; the SDK's error stays
// wrapped for errors.As. Throttling, timeouts, 5xx and connection failures
// of DynamoDB or KMS are ErrUnavailable; a missing table, a KMS key that is
// missing, disabled or pending deletion, or access denied is
// ErrMisconfigured, named in the error, since no retry cures it (both read
// from the error AWS returns, internal/awserr: no call is made to check;
// KMS's in mapping/kmskeys). Each DynamoDB call makes at most
// Config.MaxAttempts attempts, each KMS call those kmskeys.New sets
// (default 3 both, the SDK's standard retryer and backoff), within
// Config.Timeout (default 3 s). A failure returns an error and never a user, and is never
// cached.
package mapping
