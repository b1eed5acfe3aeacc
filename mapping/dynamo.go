package mapping

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/gatehouse-auth/gatehouse/internal/awserr"
)

// classify turns an SDK error into one that answers errors.Is for the
// package's sentinels, keeping the cause (%w) for errors.As. The AWS
// classification is internal/awserr's, shared with the services; a
// misconfiguration names the resource (never a secret) so that its one log
// line tells an operator what to fix.
func classify(service, resource, op string, err error) error {
	var ccf *types.ConditionalCheckFailedException
	var tc *types.TransactionConflictException
	switch {
	case errors.As(err, &ccf):
		return fmt.Errorf("%w: %s %s: %w", ErrConflict, service, op, err)
	case errors.As(err, &tc):
		return fmt.Errorf("%w: %s %s: %w", ErrConflict, service, op, err)
	}
	switch awserr.Classify(err) {
	case awserr.Unavailable:
		return fmt.Errorf("%w: %s %s: %w", ErrUnavailable, service, op, err)
	case awserr.Misconfigured:
		return fmt.Errorf("%w: %s %s on %s: %w", ErrMisconfigured, service, op, resource, err)
	}
	return fmt.Errorf("mapping: %s %s: %w", service, op, err)
}

// write is one element of a transaction, with what its condition failing
// means.
type write struct {
	tw types.TransactWriteItem
	// onFail explains a failed condition; old is the item as it was when
	// the write asked for ALL_OLD (nil if it did not exist). It returns an
	// error that wraps ErrConflict or ErrNotFound.
	onFail func(old item) error
}

type expr struct {
	names  map[string]string
	values item
}

func (s *Store) put(it item, cond string, e expr, onFail func(item) error) write {
	return write{tw: types.TransactWriteItem{Put: &types.Put{
		TableName: &s.table, Item: it,
		ConditionExpression:                 condPtr(cond),
		ExpressionAttributeNames:            e.names,
		ExpressionAttributeValues:           e.values,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}}, onFail: onFail}
}

func (s *Store) del(k item, cond string, e expr, onFail func(item) error) write {
	return write{tw: types.TransactWriteItem{Delete: &types.Delete{
		TableName: &s.table, Key: k,
		ConditionExpression:                 condPtr(cond),
		ExpressionAttributeNames:            e.names,
		ExpressionAttributeValues:           e.values,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}}, onFail: onFail}
}

func (s *Store) update(k item, update, cond string, e expr, onFail func(item) error) write {
	return write{tw: types.TransactWriteItem{Update: &types.Update{
		TableName: &s.table, Key: k,
		UpdateExpression:                    aws.String(update),
		ConditionExpression:                 condPtr(cond),
		ExpressionAttributeNames:            e.names,
		ExpressionAttributeValues:           e.values,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}}, onFail: onFail}
}

func condPtr(c string) *string {
	if c == "" {
		return nil
	}
	return &c
}

// always returns an onFail that ignores the old item.
func always(err error) func(item) error { return func(item) error { return err } }

// transact runs writes as one TransactWriteItems call: all of them happen or
// none does. A random ClientRequestToken makes the SDK's own retries of a
// request whose answer was lost idempotent on DynamoDB (for 10 minutes),
// instead of failing their conditions against the first attempt's result.
func (s *Store) transact(ctx context.Context, op string, writes []write) error {
	if len(writes) > maxTransactItems {
		return fmt.Errorf("%w: %s needs %d writes, more than one transaction holds (%d)", ErrLimit, op, len(writes), maxTransactItems)
	}
	items := make([]types.TransactWriteItem, len(writes))
	for i, w := range writes {
		items[i] = w.tw
	}
	token := rand.Text()
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	_, err := s.ddb.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{
		TransactItems:      items,
		ClientRequestToken: &token,
	}, s.ddbOpts...)
	if err == nil {
		return nil
	}
	var tce *types.TransactionCanceledException
	if !errors.As(err, &tce) {
		return classify("dynamodb", s.tableName(), op, err)
	}
	// Report the most telling reason: a failed condition (the state is not
	// what this write needs), then a concurrent transaction, then throttling.
	var conflict, unavailable bool
	for i, r := range tce.CancellationReasons {
		switch aws.ToString(r.Code) {
		case "ConditionalCheckFailed":
			if i < len(writes) && writes[i].onFail != nil {
				return writes[i].onFail(r.Item)
			}
			return fmt.Errorf("%w: %s: a condition failed: %w", ErrConflict, op, err)
		case "TransactionConflict":
			conflict = true
		case "ThrottlingError", "ProvisionedThroughputExceeded", "RequestLimitExceeded":
			unavailable = true
		}
	}
	switch {
	case conflict:
		return fmt.Errorf("%w: %s: a concurrent transaction touched the same items: %w", ErrConflict, op, err)
	case unavailable:
		return fmt.Errorf("%w: dynamodb %s: %w", ErrUnavailable, op, err)
	}
	return fmt.Errorf("mapping: dynamodb %s: %w", op, err)
}

// getItem is a strongly consistent GetItem; it returns nil, nil when the
// item does not exist.
func (s *Store) getItem(ctx context.Context, op string, k item) (item, error) {
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	out, err := s.ddb.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      &s.table,
		Key:            k,
		ConsistentRead: aws.Bool(true),
	}, s.ddbOpts...)
	if err != nil {
		return nil, classify("dynamodb", s.tableName(), op, err)
	}
	if len(out.Item) == 0 {
		return nil, nil
	}
	return out.Item, nil
}

// queryPartition reads a whole partition, strongly consistently, in sort
// key order.
func (s *Store) queryPartition(ctx context.Context, op, pk string) ([]item, error) {
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	in := &dynamodb.QueryInput{
		TableName:                 &s.table,
		KeyConditionExpression:    aws.String("#pk = :pk"),
		ExpressionAttributeNames:  map[string]string{"#pk": attrPK},
		ExpressionAttributeValues: item{":pk": str(pk)},
		ConsistentRead:            aws.Bool(true),
	}
	var all []item
	for {
		out, err := s.ddb.Query(ctx, in, s.ddbOpts...)
		if err != nil {
			return nil, classify("dynamodb", s.tableName(), op, err)
		}
		all = append(all, out.Items...)
		if len(out.LastEvaluatedKey) == 0 {
			return all, nil
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}

// tableName names the table for an error message.
func (s *Store) tableName() string { return fmt.Sprintf("table %q", s.table) }
