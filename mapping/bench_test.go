package mapping_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/gatehouse-auth/gatehouse/mapping"
)

// The authorizer's hot path once the cache is warm: no I/O.
func BenchmarkLookupCached(b *testing.B) {
	ctx := context.Background()
	st, _ := newStore(b, nil)
	u, err := st.CreateUser(ctx, "", testPool, "alice", "sub-alice", "")
	if err != nil {
		b.Fatal(err)
	}
	if _, err := st.AddClient(ctx, u.InternalID, mapping.Client{ClientID: "client-1", Scopes: []string{"api/read", "api/write"}}); err != nil {
		b.Fatal(err)
	}
	b.Run("UserByUsername", func(b *testing.B) {
		if _, err := st.UserByUsername(ctx, testPool, "alice"); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := st.UserByUsername(ctx, testPool, "alice"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("ClientByID", func(b *testing.B) {
		if _, err := st.ClientByID(ctx, "client-1"); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := st.ClientByID(ctx, "client-1"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("UserByUsername/parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := st.UserByUsername(ctx, testPool, "alice"); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// A miss: the Store's full path to the local endpoint (cache off), to be
// read against BenchmarkBareGetItem of the same run — the difference is
// the Store's own cost.
func BenchmarkLookupMiss(b *testing.B) {
	ctx := context.Background()
	st, _ := newStore(b, func(c *mapping.Config) { c.CacheSize = -1 })
	if _, err := st.CreateUser(ctx, "", testPool, "alice", "sub-alice", ""); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := st.UserByUsername(ctx, testPool, "alice"); err != nil {
			b.Fatal(err)
		}
	}
}

// The floor: the same strongly consistent GetItem with the bare SDK client.
func BenchmarkBareGetItem(b *testing.B) {
	ctx := context.Background()
	st, table := newStore(b, nil)
	if _, err := st.CreateUser(ctx, "", testPool, "alice", "sub-alice", ""); err != nil {
		b.Fatal(err)
	}
	ddb := testEnv(b).ddb
	in := &dynamodb.GetItemInput{
		TableName: &table,
		Key: map[string]types.AttributeValue{
			"PK": &types.AttributeValueMemberS{Value: "USERNAME#" + testPool + "#alice"},
			"SK": &types.AttributeValueMemberS{Value: "USERNAME"},
		},
		ConsistentRead: aws.Bool(true),
	}
	b.ReportAllocs()
	for b.Loop() {
		out, err := ddb.GetItem(ctx, in)
		if err != nil || len(out.Item) == 0 {
			b.Fatal(err)
		}
	}
}

// The same comparison, paired: each iteration does one Store miss and one
// bare GetItem, so load on a shared machine hits both alike. It reports
// each one's time and the Store's extra cost.
func BenchmarkLookupMissPaired(b *testing.B) {
	ctx := context.Background()
	st, table := newStore(b, func(c *mapping.Config) { c.CacheSize = -1 })
	if _, err := st.CreateUser(ctx, "", testPool, "alice", "sub-alice", ""); err != nil {
		b.Fatal(err)
	}
	ddb := testEnv(b).ddb
	in := &dynamodb.GetItemInput{
		TableName: &table,
		Key: map[string]types.AttributeValue{
			"PK": &types.AttributeValueMemberS{Value: "USERNAME#" + testPool + "#alice"},
			"SK": &types.AttributeValueMemberS{Value: "USERNAME"},
		},
		ConsistentRead: aws.Bool(true),
	}
	var store, bare time.Duration
	n := 0
	for b.Loop() {
		t0 := time.Now()
		if _, err := st.UserByUsername(ctx, testPool, "alice"); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if _, err := ddb.GetItem(ctx, in); err != nil {
			b.Fatal(err)
		}
		store += t1.Sub(t0)
		bare += time.Since(t1)
		n++
	}
	b.ReportMetric(float64(store.Nanoseconds())/float64(n), "store-ns/lookup")
	b.ReportMetric(float64(bare.Nanoseconds())/float64(n), "bare-ns/lookup")
	b.ReportMetric(float64(store-bare)/float64(bare), "store/bare-1")
}
