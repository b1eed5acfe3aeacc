package mapping

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
)

// TableWaitTimeout bounds how long CreateTable waits for the table to
// become active.
const TableWaitTimeout = 2 * time.Minute

// createTableAttempts bounds CreateTable's tries when attempts get no answer.
const createTableAttempts = 3

// CreateTable creates the mapping table for local development and tests
// (in AWS the infrastructure code creates it): string keys PK (hash) and SK
// (range), on-demand billing, no indexes, no TTL. With wait it returns once
// the table is active. A table that already exists is ErrConflict.
func CreateTable(ctx context.Context, api TableAPI, table string, wait bool) error {
	if err := checkTableName(table); err != nil {
		return err
	}
	in := &dynamodb.CreateTableInput{
		TableName: aws.String(table),
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String(attrPK), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String(attrSK), AttributeType: types.ScalarAttributeTypeS},
		},
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String(attrPK), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String(attrSK), KeyType: types.KeyTypeRange},
		},
		BillingMode: types.BillingModePayPerRequest,
	}
	// CreateTable is not idempotent, so the SDK's own retries are off: when
	// an attempt gets no answer (a dropped connection, a timeout) the table
	// may exist already, and a retry's "in use" then means our own earlier
	// attempt created it, not that the table was there before.
	noRetry := func(o *dynamodb.Options) { o.RetryMaxAttempts = 1 }
	for attempt := 1; ; attempt++ {
		_, err := api.CreateTable(ctx, in, noRetry)
		if err == nil {
			break
		}
		var inUse *types.ResourceInUseException
		if errors.As(err, &inUse) {
			if attempt > 1 {
				break
			}
			return fmt.Errorf("%w: table %q already exists", ErrConflict, table)
		}
		var answered smithy.APIError
		if errors.As(err, &answered) || attempt == createTableAttempts || ctx.Err() != nil {
			return classify("dynamodb", fmt.Sprintf("table %q", table), "CreateTable", err)
		}
	}
	if !wait {
		return nil
	}
	w := dynamodb.NewTableExistsWaiter(api, func(o *dynamodb.TableExistsWaiterOptions) {
		o.MinDelay = 200 * time.Millisecond
		o.MaxDelay = 5 * time.Second
	})
	if err := w.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)}, TableWaitTimeout); err != nil {
		return classify("dynamodb", fmt.Sprintf("table %q", table), "DescribeTable (wait)", err)
	}
	return nil
}
