package mapping_test

import (
	"context"
	"errors"
	"net"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/gatehouse-auth/gatehouse/mapping"
)

// lossyTables answers CreateTable with the errors in order (nil: success),
// counting calls; DescribeTable is not used (no wait).
type lossyTables struct {
	errs  []error
	calls int
}

func (l *lossyTables) CreateTable(ctx context.Context, in *dynamodb.CreateTableInput, optFns ...func(*dynamodb.Options)) (*dynamodb.CreateTableOutput, error) {
	var o dynamodb.Options
	for _, f := range optFns {
		f(&o)
	}
	if o.RetryMaxAttempts != 1 {
		return nil, errors.New("CreateTable must not be retried by the SDK: it is not idempotent")
	}
	err := l.errs[l.calls]
	l.calls++
	return &dynamodb.CreateTableOutput{}, err
}

func (l *lossyTables) DescribeTable(ctx context.Context, in *dynamodb.DescribeTableInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DescribeTableOutput, error) {
	return nil, errors.New("not used")
}

// CreateTable tells "someone else's table" from "our own attempt whose
// answer was lost".
func TestCreateTableAnswerLost(t *testing.T) {
	lost := &net.OpError{Op: "read", Net: "tcp", Err: errors.New("connection reset by peer")}
	inUse := &types.ResourceInUseException{Message: new(string)}
	tests := []struct {
		name      string
		errs      []error
		want      error // nil: success
		wantCalls int
	}{
		{"created", []error{nil}, nil, 1},
		{"exists before", []error{inUse}, mapping.ErrConflict, 1},
		{"answer lost, then in use: ours", []error{lost, inUse}, nil, 2},
		{"answer lost, then created", []error{lost, nil}, nil, 2},
		{"never answered", []error{lost, lost, lost}, mapping.ErrUnavailable, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := &lossyTables{errs: tt.errs}
			err := mapping.CreateTable(context.Background(), api, "gatehouse-lossy", false)
			if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("CreateTable: %v, want %v", err, tt.want)
			}
			if api.calls != tt.wantCalls {
				t.Errorf("%d calls, want %d", api.calls, tt.wantCalls)
			}
		})
	}
}
