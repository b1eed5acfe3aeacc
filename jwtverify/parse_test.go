package jwtverify

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseJSONObject(t *testing.T) {
	tests := []struct {
		in   string
		want map[string]any // nil: must be refused
	}{
		{`{}`, map[string]any{}},
		{` { "a" : 1 } `, map[string]any{"a": 1.0}},
		{`{"a":-0.5e+2,"b":0,"c":-0,"d":1E2,"e":123456789012345678901234567890}`,
			map[string]any{"a": -50.0, "b": 0.0, "c": math.Copysign(0, -1), "d": 100.0, "e": 1.2345678901234568e29}},
		{`{"a":"x\"\\\/\b\f\n\r\tA\u00e9\ud83d\ude00é"}`, map[string]any{"a": "x\"\\/\b\f\n\r\tAé😀é"}},
		{`{"a":[],"b":{},"c":[1,"x",null,true,false,[{}]]}`,
			map[string]any{"a": []any{}, "b": map[string]any{}, "c": []any{1.0, "x", nil, true, false, []any{map[string]any{}}}}},
		{`{"a":{"a":{"a":1}}}`, map[string]any{"a": map[string]any{"a": map[string]any{"a": 1.0}}}},
		{`{"\u0000":1}`, map[string]any{"\x00": 1.0}},

		{``, nil},
		{`[]`, nil},
		{`"x"`, nil},
		{`{`, nil},
		{`{"a"}`, nil},
		{`{"a":}`, nil},
		{`{"a":1,}`, nil},
		{`{,}`, nil},
		{`{"a":1}}`, nil},
		{`{"a":1} x`, nil},
		{`{"a":1}{"b":2}`, nil},
		{`{a:1}`, nil},
		{`{'a':1}`, nil},
		{`{"a":1,"a":1}`, nil},
		{`{"a":1,"\u0061":1}`, nil},
		{`{"é":1,"\u00e9":1}`, nil},
		{`{"a":{"b":1,"b":2}}`, nil},
		{`{"a":[{"b":1,"b":2}]}`, nil},
		{`{"a":01}`, nil},
		{`{"a":1.}`, nil},
		{`{"a":.5}`, nil},
		{`{"a":1e}`, nil},
		{`{"a":+1}`, nil},
		{`{"a":-}`, nil},
		{`{"a":NaN}`, nil},
		{`{"a":Infinity}`, nil},
		{`{"a":1e400}`, nil},
		{`{"a":tru}`, nil},
		{`{"a":truex}`, nil},
		{`{"a":nul}`, nil},
		{`{"a":"\x"}`, nil},
		{`{"a":"\u12"}`, nil},
		{`{"a":"\u12G4"}`, nil},
		{`{"a":"\ud800"}`, nil},
		{`{"a":"\ud800\u0041"}`, nil},
		{`{"a":"\udc00\ud800"}`, nil},
		{"{\"a\":\"\xff\"}", nil},
		{"{\"a\":\"\xc3\"}", nil},
		{"{\"a\":\"x\ny\"}", nil},
		{"{\"a\":\"x\x01\"}", nil},
		{`{"a":"x`, nil},
		{`{"a":"x\`, nil},
		{`{"a":` + strings.Repeat("[", maxJSONDepth) + strings.Repeat("]", maxJSONDepth) + `}`, nil},
		{"{\"a\":1}\x00", nil},
	}
	// Past memberNames' inline names, a map takes over.
	var many []string
	for i := range 40 {
		many = append(many, fmt.Sprintf(`"k%d":%d`, i, i))
	}
	manyWant := map[string]any{}
	for i := range 40 {
		manyWant[fmt.Sprintf("k%d", i)] = float64(i)
	}
	tests = append(tests,
		struct {
			in   string
			want map[string]any
		}{`{` + strings.Join(many, ",") + `}`, manyWant},
		struct {
			in   string
			want map[string]any
		}{`{` + strings.Join(many, ",") + `,"k3":0}`, nil},
		struct {
			in   string
			want map[string]any
		}{`{` + strings.Join(many, ",") + `,"k39":0}`, nil},
		struct {
			in   string
			want map[string]any
		}{`{"x":{` + strings.Join(many[:33], ",") + `,"k32":0}}`, nil},
	)
	for _, tc := range tests {
		got, detail := parseJSONObject(tc.in, 0)
		p, skipped := newDocument(tc.in)
		if skipped == "" {
			skipped = p.skip()
		}
		if skipped == "" {
			skipped = p.end()
		}
		if (detail == "") != (skipped == "") {
			t.Errorf("%q: decoding says %q, skipping says %q", tc.in, detail, skipped)
		}
		if tc.want == nil {
			if detail == "" {
				t.Errorf("%q: accepted as %v, want refused", tc.in, got)
			}
			continue
		}
		if detail != "" || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%q: got %v (%q), want %v", tc.in, got, detail, tc.want)
		}
	}
	// Just within the depth limit.
	in := `{"a":` + strings.Repeat("[", maxJSONDepth-1) + strings.Repeat("]", maxJSONDepth-1) + `}`
	if _, detail := parseJSONObject(in, 0); detail != "" {
		t.Errorf("depth %d refused: %s", maxJSONDepth, detail)
	}
}

// FuzzParseJSONObject checks that whatever the parser accepts, encoding/json
// accepts too and decodes to the same value, and holds no duplicate names.
func FuzzParseJSONObject(f *testing.F) {
	for _, s := range []string{
		`{}`, `{"a":1,"b":[1,2,{"c":"d"}],"e":null}`, `{"a":"\u00e9\ud83d\ude00"}`,
		`{"a":1,"a":2}`, `{"a":{"b":1,"\u0062":2}}`, `{"n":-1.5e-3}`, `{"a":"\ud800"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, detail := parseJSONObject(string(data), 0)
		// Verify's reading, which checks without building, agrees.
		p, skipped := newDocument(string(data))
		if skipped == "" {
			skipped = p.skip()
		}
		if skipped == "" {
			skipped = p.end()
		}
		if (detail == "") != (skipped == "") {
			t.Fatalf("%q: decoding says %q, skipping says %q", data, detail, skipped)
		}
		if detail != "" {
			return
		}
		var want any
		if err := json.Unmarshal(data, &want); err != nil {
			t.Fatalf("accepted %q which encoding/json refuses: %v", data, err)
		}
		if !reflect.DeepEqual(any(got), want) {
			t.Fatalf("%q: got %v, encoding/json %v", data, got, want)
		}
		if hasDuplicateNames(t, data) {
			t.Fatalf("accepted %q with a duplicate name", data)
		}
	})
}

// hasDuplicateNames is a slow reference duplicate check built on
// encoding/json's tokenizer.
func hasDuplicateNames(t *testing.T, data []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(data))
	type frame struct {
		names    map[string]bool
		isObject bool
		wantName bool
	}
	var stack []*frame
	for {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		switch tok := tok.(type) {
		case json.Delim:
			switch tok {
			case '{':
				if top != nil && top.isObject {
					top.wantName = true
				}
				stack = append(stack, &frame{names: map[string]bool{}, isObject: true, wantName: true})
				continue
			case '[':
				if top != nil && top.isObject {
					top.wantName = true
				}
				stack = append(stack, &frame{})
				continue
			default:
				stack = stack[:len(stack)-1]
				continue
			}
		case string:
			if top != nil && top.isObject && top.wantName {
				if top.names[tok] {
					return true
				}
				top.names[tok] = true
				top.wantName = false
				continue
			}
		}
		if top != nil && top.isObject {
			top.wantName = true
		}
	}
}

func TestSplitToken(t *testing.T) {
	good := "eyJhIjoxfQ.eyJiIjoyfQ.c2ln"
	jws, sig, detail := splitToken(good, new([maxSignatureSize]byte))
	if detail != "" || jws.header != `{"a":1}` || jws.payload != `{"b":2}` ||
		string(sig) != "sig" || string(jws.signingInput) != "eyJhIjoxfQ.eyJiIjoyfQ" {
		t.Fatalf("splitToken(%q) = %+v, %q, %q", good, jws, sig, detail)
	}
	// A signature longer than any accepted key makes is decoded off the
	// caller's buffer, after the payload.
	long := bytes.Repeat([]byte{0xa5}, maxSignatureSize+1)
	jws, sig, detail = splitToken("eyJhIjoxfQ.eyJiIjoyfQ."+b64.EncodeToString(long), new([maxSignatureSize]byte))
	if detail != "" || !bytes.Equal(sig, long) || jws.payload != `{"b":2}` {
		t.Fatalf("long signature: %q, %d bytes", detail, len(sig))
	}
	for _, bad := range []string{
		"", ".", "..", "a.b", "a.b.c.d", ".eyJiIjoyfQ.c2ln", "eyJhIjoxfQ..c2ln", "eyJhIjoxfQ.eyJiIjoyfQ.",
		"eyJhIjoxfQ.eyJiIjoyfQ.c2ln=", "eyJhIjoxfQ.eyJiIjoyfQ.c2l", // c2l: non-zero trailing bits
		"eyJhIjoxfQ.eyJiIjoyfQ.c2l\n", "eyJhIjoxfQ.eyJi\r\nIjoyfQ.c2ln", " eyJhIjoxfQ.eyJiIjoyfQ.c2ln",
		"eyJhIjoxfQ.eyJiIjoyfQ.c2l+", "eyJhIjoxfQ.eyJiIjoyfQ.c2lu\x00", "eyJhIjoxfQ.eyJiIjoyfQ.c2lnA",
	} {
		if _, _, detail := splitToken(bad, new([maxSignatureSize]byte)); detail == "" {
			t.Errorf("splitToken(%q) accepted", bad)
		}
	}
}

func TestNumericDateTime(t *testing.T) {
	tests := []struct {
		in   float64
		want time.Time
	}{
		{0, time.Unix(0, 0).UTC()},
		{1700000000, time.Unix(1700000000, 0).UTC()},
		{1700000000.5, time.Unix(1700000000, 5e8).UTC()},
		{-1.5, time.Unix(-1, -5e8).UTC()},
		{1e20, time.Unix(maxNumericDate, 0).UTC()},
		{math.MaxFloat64, time.Unix(maxNumericDate, 0).UTC()},
		{math.Inf(1), time.Unix(maxNumericDate, 0).UTC()},
		{-1e20, time.Unix(minNumericDate, 0).UTC()},
		{math.Inf(-1), time.Unix(minNumericDate, 0).UTC()},
		{math.NaN(), time.Time{}},
	}
	for _, tc := range tests {
		if got := numericDateTime(tc.in); !got.Equal(tc.want) {
			t.Errorf("numericDateTime(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
	for _, tm := range []time.Time{{}, time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC), time.Unix(1700000000, 999999999)} {
		if got := unixSeconds(tm); math.Abs(got-float64(tm.Unix())) > 1 {
			t.Errorf("unixSeconds(%v) = %v", tm, got)
		}
	}
}

func TestTokenCacheRing(t *testing.T) {
	tc := newTokenCache(2)
	k := func(b byte) (s [32]byte) { s[0] = b; return s }
	e1, e2, e3 := &cacheEntry{}, &cacheEntry{}, &cacheEntry{}
	tc.add(k(1), e1)
	tc.add(k(2), e2)
	tc.remove(k(1), e1)
	tc.add(k(1), e1) // re-added in slot 0; the old slot-0 key is itself
	if tc.len() != 2 || tc.get(k(2), "") != e2 || tc.get(k(1), "") != e1 {
		t.Fatalf("after re-add: %v", tc.entries)
	}
	tc.add(k(3), e3) // evicts slot 1 (k2)
	if tc.get(k(2), "") != nil || tc.get(k(1), "") != e1 || tc.get(k(3), "") != e3 || tc.len() != 2 {
		t.Fatalf("after eviction: %v", tc.entries)
	}
	tc.remove(k(3), e1) // not the current entry: no-op
	if tc.get(k(3), "") != e3 {
		t.Fatal("remove of a stale entry dropped the current one")
	}
}

// TestClaimIndex checks claimIndex's switch against the claim name tables.
func TestClaimIndex(t *testing.T) {
	for i, name := range stringClaimNames {
		if got, isNumber := claimIndex(name); got != i || isNumber {
			t.Errorf("claimIndex(%q) = %d, %v; want %d, false", name, got, isNumber, i)
		}
	}
	for i, name := range numberClaimNames {
		if got, isNumber := claimIndex(name); got != i || !isNumber {
			t.Errorf("claimIndex(%q) = %d, %v; want %d, true", name, got, isNumber, i)
		}
	}
	for _, name := range []string{groupsClaim, "", "ISS", "custom:tenant"} {
		if got, _ := claimIndex(name); got != -1 {
			t.Errorf("claimIndex(%q) = %d, want -1", name, got)
		}
	}
}

// Groups and Scopes share one allocation: each keeps its nil-ness, and
// appending to one never writes into the other, also in the cache's copy.
func TestParseClaimsLists(t *testing.T) {
	base := `"sub":"s","exp":1`
	tests := []struct {
		extra          string
		groups, scopes []string
	}{
		{``, nil, nil},
		{`,"cognito:groups":[]`, []string{}, nil},
		{`,"scope":""`, nil, nil},
		{`,"cognito:groups":["g1","g2"]`, []string{"g1", "g2"}, nil},
		{`,"scope":"a b"`, nil, []string{"a", "b"}},
		{`,"cognito:groups":["g1"],"scope":"a b"`, []string{"g1"}, []string{"a", "b"}},
		{`,"cognito:groups":[],"scope":"a"`, []string{}, []string{"a"}},
	}
	for _, tc := range tests {
		pc, err := parseClaims(`{` + base + tc.extra + `}`)
		if err != nil {
			t.Fatalf("%s: %v", tc.extra, err)
		}
		var cached Claims
		pc.claims.copyInto(&cached)
		for _, c := range []*Claims{pc.claims, &cached} {
			if !reflect.DeepEqual(c.Groups, tc.groups) || !reflect.DeepEqual(c.Scopes, tc.scopes) {
				t.Fatalf("%s: groups %#v scopes %#v", tc.extra, c.Groups, c.Scopes)
			}
			_ = append(c.Groups, "x")
			if !reflect.DeepEqual(c.Scopes, tc.scopes) {
				t.Fatalf("%s: appending to groups changed scopes to %#v", tc.extra, c.Scopes)
			}
		}
	}
}
