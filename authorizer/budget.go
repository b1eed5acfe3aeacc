package authorizer

// DefaultResponseBudget is the default Config.ResponseBudget: the largest
// authorizer response, in bytes, a rule set may lead to; New refuses rules
// whose worst case exceeds it. 8 KiB is the
// only published figure for authorizer responses (WebSocket APIs); REST and
// HTTP APIs document none, so staying under it keeps one authorizer usable
// on every kind of API.
const DefaultResponseBudget = 8 << 10

// Worst-case sizes assumed when checking rules against the response budget and
// the 512-character ARN limit.
const (
	// maxARNPrefixLen bounds "arn:<partition>:execute-api:<region>:<account>:<api>/<stage>/"
	// with a 128-character stage name (API Gateway's limit).
	maxARNPrefixLen = 220
	// budgetARNPrefixLen is the prefix length assumed for the size budget:
	// a long region, 10-character API id and a stage of up to 16 characters.
	budgetARNPrefixLen = 80
	// budgetIdentityBytes is what principalId and the context may take.
	budgetIdentityBytes = 2 << 10
)

// MaxARNLen is API Gateway's limit on a policy resource's length; rule
// paths are bounded (MaxRulePathLen) so that no resource exceeds it.
const MaxARNLen = 512
