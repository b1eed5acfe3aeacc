package mapping

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// TableWaitTimeout bounds how long CreateTable waits for the table to
// become active.
const TableWaitTimeout = 2 * time.Minute

// CreateTable creates the mapping table for local development and tests
// (in AWS the infrastructure code creates it): string keys PK (hash) and SK
// (range), on-demand billing, no indexes, no TTL. With wait it returns once
// the table is active. A table that already exists is ErrConflict.
func CreateTable(ctx context.Context, api TableAPI, table string, wait bool) error {
	if err := checkTableName(table); err != nil {
		return err
	}
	_, err := api.CreateTable(ctx, &dynamodb.CreateTableInput{
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
	})
	if err != nil {
		var inUse *types.ResourceInUseException
		if errors.As(err, &inUse) {
			return fmt.Errorf("%w: table %q already exists", ErrConflict, table)
		}
		return classify("dynamodb", "CreateTable", err)
	}
	if !wait {
		return nil
	}
	w := dynamodb.NewTableExistsWaiter(api, func(o *dynamodb.TableExistsWaiterOptions) {
		o.MinDelay = 200 * time.Millisecond
		o.MaxDelay = 5 * time.Second
	})
	if err := w.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)}, TableWaitTimeout); err != nil {
		return classify("dynamodb", "DescribeTable (wait)", err)
	}
	return nil
}
