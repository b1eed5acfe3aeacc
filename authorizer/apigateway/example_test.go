package apigateway_test

import (
	"encoding/json"
	"fmt"

	"github.com/gatehouse-auth/gatehouse/authorizer"
	"github.com/gatehouse-auth/gatehouse/authorizer/apigateway"
)

// The policy for a caller who lacks the "admins" group: the whole stage is
// allowed except the admin routes, whichever route was asked first.
func ExamplePolicy() {
	arn, err := apigateway.ParseMethodARN("arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/prod/GET/orders/42")
	if err != nil {
		panic(err)
	}
	doc, err := apigateway.Policy(arn, &authorizer.Grants{
		Allowed: []authorizer.Route{{Method: "*", Path: "/*"}},
		Denied:  []authorizer.Route{{Method: "*", Path: "/admin/*"}},
	})
	if err != nil {
		panic(err)
	}
	out, _ := json.MarshalIndent(doc, "", "  ")
	fmt.Println(string(out))
	// Output:
	// {
	//   "Version": "2012-10-17",
	//   "Statement": [
	//     {
	//       "Action": [
	//         "execute-api:Invoke"
	//       ],
	//       "Effect": "Allow",
	//       "Resource": [
	//         "arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/prod/*/*"
	//       ]
	//     },
	//     {
	//       "Action": [
	//         "execute-api:Invoke"
	//       ],
	//       "Effect": "Deny",
	//       "Resource": [
	//         "arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/prod/*/admin/*"
	//       ]
	//     }
	//   ]
	// }
}
