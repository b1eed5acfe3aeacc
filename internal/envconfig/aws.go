package envconfig

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/smithy-go/logging"
)

// LoadAWS loads the AWS configuration from the SDK's standard variables and
// files (config.LoadDefaultConfig), with the SDK's own log lines (such as
// its checksum and retry warnings) routed through logger, so that they have
// the service's form (JSON) rather than the SDK's "SDK <time> WARN" text on
// stderr. ClientLogMode stays off: request and response logging would put
// bodies, which can hold sealed tokens, into the log. A nil logger discards
// the SDK's lines.
func LoadAWS(ctx context.Context, logger *slog.Logger) (aws.Config, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return config.LoadDefaultConfig(ctx, config.WithLogger(sdkLogger{logger}))
}

// sdkLogger adapts slog to the SDK's logging.Logger.
type sdkLogger struct{ l *slog.Logger }

func (s sdkLogger) Logf(c logging.Classification, format string, v ...any) {
	s.log(context.Background(), c, format, v...)
}

// WithContext lets the SDK pass the operation's context (logging.ContextLogger).
func (s sdkLogger) WithContext(ctx context.Context) logging.Logger { return sdkContextLogger{s, ctx} }

type sdkContextLogger struct {
	sdkLogger
	ctx context.Context
}

func (s sdkContextLogger) Logf(c logging.Classification, format string, v ...any) {
	s.log(s.ctx, c, format, v...)
}

func (s sdkLogger) log(ctx context.Context, c logging.Classification, format string, v ...any) {
	level := slog.LevelWarn
	if c == logging.Debug {
		level = slog.LevelDebug
	}
	if s.l.Enabled(ctx, level) {
		s.l.LogAttrs(ctx, level, "aws sdk: "+fmt.Sprintf(format, v...), slog.String("source", "aws-sdk"))
	}
}
