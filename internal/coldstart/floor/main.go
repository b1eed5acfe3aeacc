// Command floor is the cold-start floor internal/coldstart measures beside
// the authorizer: a Go Lambda bootstrap built the same way (aws-lambda-go,
// -tags lambda.norpc, static, stripped) whose handler answers every TOKEN
// event with one fixed Allow policy. It reads no configuration and links no
// AWS SDK, so its init is what the Go runtime, aws-lambda-go and this
// machine cost; whatever the authorizer takes beyond it is Gatehouse's.
// Never deploy it: it allows everyone.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	lambda.Start(func(_ context.Context, e events.APIGatewayCustomAuthorizerRequest) (events.APIGatewayCustomAuthorizerResponse, error) {
		return events.APIGatewayCustomAuthorizerResponse{
			PrincipalID: "floor",
			PolicyDocument: events.APIGatewayCustomAuthorizerPolicy{
				Version: "2012-10-17",
				Statement: []events.IAMPolicyStatement{{
					Action: []string{"execute-api:Invoke"}, Effect: "Allow", Resource: []string{e.MethodArn},
				}},
			},
		}, nil
	})
}
