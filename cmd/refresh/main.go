// Command refresh is the partners service behind API Gateway (REST API,
// Lambda proxy integration): it reads its configuration from the
// environment (see package refresh), builds the service once per cold
// start, and answers POST /partners, POST /partners/token,
// GET|DELETE /partners/{id} and POST /partners/{id}/rotate. Build it for
// provided.al2023 on arm64 with -tags lambda.norpc (make build).
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/gatehouse-auth/gatehouse/internal/apigwproxy"
	"github.com/gatehouse-auth/gatehouse/internal/version"
	"github.com/gatehouse-auth/gatehouse/refresh"
)

func main() {
	logger := slog.New(lambdacontext.NewLogHandler())
	logger.Info("refresh cold start", "build", version.Get())
	cfg, err := refresh.ConfigFromEnv(os.Getenv)
	if err != nil {
		// A clear line naming the variable, then a failed init: Lambda
		// reports it and retries the cold start.
		logger.Error("refresh start failed", "error", err.Error())
		os.Exit(1)
	}
	cfg.Logger = logger
	ctx := context.Background()
	svc, err := cfg.BuildService(ctx)
	if err != nil {
		logger.Error("refresh start failed", "error", err.Error())
		os.Exit(1)
	}
	h, err := cfg.BuildHandler(ctx, svc)
	if err != nil {
		logger.Error("refresh start failed", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(apigwproxy.NewHandler(h, apigwproxy.Options{Logger: logger}))
}
