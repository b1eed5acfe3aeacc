package authorizer_test

import (
	"fmt"

	"github.com/gatehouse-auth/gatehouse/authorizer"
)

func ExampleParseRules() {
	rules, err := authorizer.ParseRules([]byte(`[
		{"method": "*",   "path": "/admin/*", "groups": ["admins"]},
		{"method": "post", "path": "/orders",  "scopes": ["orders/write"]}
	]`))
	if err != nil {
		panic(err)
	}
	for _, r := range rules {
		fmt.Println(r.Method, r.Path, r.Scopes, r.Groups)
	}
	// Output:
	// * /admin/* [] [admins]
	// POST /orders [orders/write] []
}
