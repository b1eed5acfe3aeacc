package mapping

import "slices"

// The services whose IAM roles touch the table, by the name the CDK app
// (infra/) and internal/testkit/infrafacts give their functions.
const (
	ServiceAuthorizer = "authorizer"
	ServicePortal     = "portal"
	ServiceRefresh    = "refresh"
)

// leadingKeyPrefixes is, for each service, every partition-key prefix its
// store operations read or write: the IAM condition dynamodb:LeadingKeys
// StringLike "<prefix>*" on its role lists exactly these. A service whose
// operation touches another prefix is refused by IAM, so the tests prove
// the lists (leadingkeys_test.go runs each service's operations against a
// real table and records every key; internal/testkit/infrafacts observes
// the authorizer's lookups).
var leadingKeyPrefixes = map[string][]string{
	// authorizer.Directory: the two lookups.
	ServiceAuthorizer: {prefixClient, prefixUsername},
	// portal.Directory: people (profile, user name) and their app clients;
	// pending slots live in the user's partition.
	ServicePortal: {prefixClient, prefixUser, prefixUsername},
	// refresh.Store: partner users (profile, user name), partner records,
	// their fingerprints and administrators, and the membership items in
	// the user's partition.
	ServiceRefresh: {prefixFingerprint, prefixPartner, prefixPartnerAdmin, prefixUser, prefixUsername},
}

// LeadingKeyPrefixes returns a copy of the partition-key prefixes each
// service's store operations use, by service (ServiceAuthorizer, ...),
// each list sorted.
func LeadingKeyPrefixes() map[string][]string {
	out := make(map[string][]string, len(leadingKeyPrefixes))
	for svc, p := range leadingKeyPrefixes {
		out[svc] = slices.Sorted(slices.Values(p))
	}
	return out
}

// dynamoDBActions is, for each service that writes, every IAM action its
// store operations' DynamoDB requests are authorised as: each item of a
// TransactWriteItems counts as its own PutItem, UpdateItem, DeleteItem or
// ConditionCheckItem. The CDK app grants each role exactly these;
// leadingkeys_test.go records every request of each service's operations
// and requires equality. (The authorizer's read-only lookups are observed
// by internal/testkit/infrafacts.)
var dynamoDBActions = map[string][]string{
	// ConditionCheckItem: ReserveReplacement checks the replaced client
	// is still bound while it reserves a slot.
	ServicePortal:  {"dynamodb:ConditionCheckItem", "dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem"},
	ServiceRefresh: {"dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem"},
}

// DynamoDBActions returns a copy of the IAM actions each writing service's
// store operations need (ServicePortal, ServiceRefresh), each list sorted.
func DynamoDBActions() map[string][]string {
	out := make(map[string][]string, len(dynamoDBActions))
	for svc, a := range dynamoDBActions {
		out[svc] = slices.Sorted(slices.Values(a))
	}
	return out
}
