// Command portal is the developer-credentials and sign-in service behind an
// API Gateway REST API (Lambda proxy integration): it reads its
// configuration from the environment (see package portal), builds the
// handler once per cold start and serves proxy events through
// internal/apigwproxy. Build it for provided.al2023 on arm64 with
// -tags lambda.norpc.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/gatehouse-auth/gatehouse/internal/apigwproxy"
	"github.com/gatehouse-auth/gatehouse/internal/version"
	"github.com/gatehouse-auth/gatehouse/portal"
)

func main() {
	logger := slog.New(lambdacontext.NewLogHandler())
	logger.Info("portal cold start", "build", version.Get())
	cfg, err := portal.ConfigFromEnv(os.Getenv)
	if err != nil {
		// A clear line naming the variable, then a failed init.
		logger.Error("portal start failed", "error", err.Error())
		os.Exit(1)
	}
	cfg.Logger = logger
	h, err := cfg.Build(context.Background())
	if err != nil {
		logger.Error("portal start failed", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(apigwproxy.NewHandler(h, apigwproxy.Options{Logger: logger}))
}
