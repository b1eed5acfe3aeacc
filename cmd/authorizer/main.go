// Command authorizer is the API Gateway Lambda authorizer: it reads its
// configuration from the environment (see package authorizer/awsenv), builds the
// authorizer once per cold start, and answers TOKEN, REQUEST and HTTP API
// (payload 2.0) events. Build it for provided.al2023 on arm64 with
// -tags lambda.norpc (make build).
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/gatehouse-auth/gatehouse/authorizer/apigateway"
	"github.com/gatehouse-auth/gatehouse/authorizer/awsenv"
	"github.com/gatehouse-auth/gatehouse/internal/version"
)

func main() {
	logger := slog.New(lambdacontext.NewLogHandler())
	logger.Info("authorizer cold start", "build", version.Get())
	cfg, err := awsenv.ConfigFromEnv(os.Getenv)
	if err != nil {
		// A clear line naming the variable, then a failed init: Lambda
		// reports it and retries the cold start.
		logger.Error("authorizer start failed", "error", err.Error())
		os.Exit(1)
	}
	cfg.Logger = logger
	a, err := cfg.Build(context.Background())
	if err != nil {
		logger.Error("authorizer start failed", "error", err.Error())
		os.Exit(1)
	}
	h, err := apigateway.New(a, cfg.HTTPAPIResponse)
	if err != nil {
		logger.Error("authorizer start failed", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(h.HandleEvent)
}
