package jwtverify

// Differential tests of Verify's reading of header and payload against the
// reading before the hand-written claims reader (refparse_test.go): every
// byte string must be accepted or refused alike, with the same error, and an
// accepted one must give the same claims, times and Raw. A standard reader
// (encoding/json into a map) must read the accepted payload's claims the same.

import (
	"encoding/json"
	"math"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// claimsSeeds are payloads that probe where two readers could differ.
var claimsSeeds = []string{
	`{"sub":"s","exp":1}`,
	`{"sub":"s","exp":1,"iss":"i","token_use":"access","client_id":"c","username":"u","scope":"a b","cognito:groups":["g"],"jti":"j","origin_jti":"o","iat":2,"auth_time":3,"nbf":4}`,
	`{"sub":"s","exp":1,"token_use":"id","aud":"c","cognito:username":"u","client_id":"x","username":"y"}`,
	// Escaped names and duplicates through escapes.
	`{"sub":"s","exp":1,"\u0069ss":"i"}`,
	`{"sub":"s","exp":1,"is\u0073":"i"}`,
	`{"sub":"s","exp":1,"iss":"a","\u0069ss":"b"}`,
	`{"sub":"s","exp":1,"\u0073ub":"t"}`,
	`{"sub":"s","exp":1,"cognito:groups":["a"],"cognito\u003agroups":["b"]}`,
	`{"sub":"s","exp":1,"e\u0078p":2}`,
	`{"sub":"s","exp":1,"x":{"a":1,"\u0061":2}}`,
	`{"sub":"s","exp":1,"x":[{"a":1},{"a":1,"a":2}]}`,
	// Case variants and Unicode folding (encoding/json's struct matching).
	`{"sub":"s","exp":1,"ISS":"i","Sub":"t","EXP":2}`,
	`{"sub":"s","exp":1,"uſername":"evil","username":"u","token_use":"access"}`,
	`{"sub":"s","exp":1,"\u017fub":"evil"}`,
	`{"sub":"s","exp":1,"client_id":"c","client_\u212aid":"x"}`,
	`{"sub":"s","exp":1,"x":[{"ab":1},{"k":{"K":1}}]}`, `{"sub":"s","exp":1,"\u212a":1,"\u212A":2}`,
	// Numbers.
	`{"sub":"s","exp":1e3}`, `{"sub":"s","exp":-0}`, `{"sub":"s","exp":1.0}`, `{"sub":"s","exp":1.5}`,
	`{"sub":"s","exp":123456789012345}`, `{"sub":"s","exp":1234567890123456}`,
	`{"sub":"s","exp":99999999999999999999999}`, `{"sub":"s","exp":1e308}`, `{"sub":"s","exp":1e309}`,
	`{"sub":"s","exp":-1e309}`, `{"sub":"s","exp":1e-400}`, `{"sub":"s","exp":01}`, `{"sub":"s","exp":-01}`,
	`{"sub":"s","exp":"1"}`, `{"sub":"s","exp":null}`, `{"sub":"s","exp":true}`, `{"sub":"s","exp":[1]}`,
	`{"sub":"s","exp":{"a":1}}`, `{"sub":"s","exp":1,"nbf":null}`, `{"sub":"s","exp":1,"iat":"x","nbf":"y"}`,
	`{"sub":"s","exp":+1}`, `{"sub":"s","exp":.5}`, `{"sub":"s","exp":1.}`, `{"sub":"s","exp":1e}`,
	`{"sub":"s","exp":0x10}`, `{"sub":"s","exp":NaN}`, `{"sub":"s","exp":Infinity}`,
	// Nulls and types.
	`{"sub":null,"exp":1}`, `{"sub":"","exp":1}`, `{"sub":"s","exp":1,"iss":null}`,
	`{"sub":"s","exp":1,"aud":["c"],"token_use":"id"}`, `{"sub":"s","exp":1,"aud":[],"token_use":"id"}`,
	`{"sub":"s","exp":1,"cognito:groups":null}`, `{"sub":"s","exp":1,"cognito:groups":"g"}`,
	`{"sub":"s","exp":1,"cognito:groups":[]}`, `{"sub":"s","exp":1,"cognito:groups":["a",1]}`,
	`{"sub":"s","exp":1,"cognito:groups":["a",["b"]]}`, `{"sub":"s","exp":1,"cognito:groups":["a",null]}`,
	`{"sub":"s","exp":1,"cognito:groups":[1,"a"],"iss":5}`, `{"sub":1,"exp":"x","cognito:groups":1}`,
	`{"sub":"s","exp":1,"scope":""}`, `{"sub":"s","exp":1,"scope":" a"}`, `{"sub":"s","exp":1,"scope":"a\tb"}`,
	`{"sub":"s","exp":1,"scope":"a\u00a0b"}`, `{"sub":"s","exp":1,"scope":"a\u0020b"}`, `{"sub":"s","exp":1,"scope":["a"]}`,
	`{"sub":"s","exp":1,"scope":"a","scope":"b"}`,
	// White space and what is not white space.
	"\ufeff{\"sub\":\"s\",\"exp\":1}", "{\"sub\":\"s\",\"exp\":1}\ufeff", " \t\r\n{ \"sub\" : \"s\" , \"exp\" : 1 } \n",
	"{\"sub\":\"s\",\"exp\":1}\u00a0", "{\"sub\":\"s\",\u00a0\"exp\":1}", "{\"sub\":\"s\",\x0b\"exp\":1}",
	"{\"sub\":\"s\",\"exp\":1}\x00", "{\"sub\":\"s\",\"exp\":1,\f\"x\":1}",
	// UTF-8 and surrogates in names and values.
	"{\"sub\":\"s\xff\",\"exp\":1}", "{\"s\xffub\":\"s\",\"sub\":\"t\",\"exp\":1}", "{\"sub\":\"\xed\xa0\x80\",\"exp\":1}",
	`{"sub":"\ud800","exp":1}`, `{"sub":"\udc00","exp":1}`, `{"sub":"\ud83d\ude00","exp":1}`,
	`{"sub":"s","exp":1,"\ud83d\ude00":1,"😀":2}`, `{"sub":"s","exp":1,"\ud800":1}`, `{"sub":"s","exp":1,"\ud800\u0041":1}`,
	"{\"sub\":\"s\\u0000\",\"exp\":1}", "{\"sub\":\"s\x01\",\"exp\":1}", "{\"sub\":\"s\x7f\",\"exp\":1}",
	`{"sub":"s\/t","exp":1}`, `{"sub":"s\x","exp":1}`, `{"sub":"s\u00","exp":1}`,
	// Truncated and trailing.
	`{"sub":"s","exp":1`, `{"sub":"s","exp":`, `{"sub":"s","exp"`, `{"sub":"s",`, `{"sub":"s`, `{"sub":"s\`, `{`,
	``, `{}`, `[]`, `"x"`, `null`, `{"sub":"s","exp":1}}`, `{"sub":"s","exp":1}{}`, `{"sub":"s","exp":1,}`,
	`{"sub":"s","exp":1,"x":tru}`, `{"sub":"s","exp":1,"x":nul}`, `{"sub":"s","exp":1,"x":falsey}`,
	// Deep nesting, at and past the limit.
	`{"sub":"s","exp":1,"x":` + strings.Repeat("[", maxJSONDepth-1) + strings.Repeat("]", maxJSONDepth-1) + `}`,
	`{"sub":"s","exp":1,"x":` + strings.Repeat("[", maxJSONDepth) + strings.Repeat("]", maxJSONDepth) + `}`,
	`{"sub":"s","exp":1,"cognito:groups":` + strings.Repeat("[", maxJSONDepth) + strings.Repeat("]", maxJSONDepth) + `}`,
	`{"sub":"s","exp":1,"x":` + strings.Repeat(`{"a":`, maxJSONDepth) + `1` + strings.Repeat("}", maxJSONDepth) + `}`,
	// Many members: past the inline duplicate check's capacity.
	`{"sub":"s","exp":1` + manyMembers(40, "") + `}`,
	`{"sub":"s","exp":1` + manyMembers(40, "") + `,"k5":1}`,
	`{"sub":"s","exp":1` + manyMembers(40, "") + `,"sub":"t"}`,
	`{"sub":"s","exp":1` + manyMembers(30, "") + `,"exp":2}`,
	`{"sub":"s","exp":1,"x":{` + manyMembers(33, "")[1:] + `,"k32":0}}`,
	// Long.
	`{"sub":"` + strings.Repeat("s", 20000) + `","exp":1}`,
	`{"sub":"s","exp":1,"x":"` + strings.Repeat(`\u00e9`, 3000) + `"}`,
}

func manyMembers(n int, prefix string) string {
	var b strings.Builder
	for i := range n {
		b.WriteString(`,"` + prefix + "k" + strconv.Itoa(i) + `":` + strconv.Itoa(i))
	}
	return b.String()
}

// FuzzClaimsReader compares parseClaims with the reading before it.
func FuzzClaimsReader(f *testing.F) {
	for _, s := range claimsSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		compareClaims(t, string(data))
	})
}

func TestClaimsReaderSeeds(t *testing.T) {
	for _, s := range claimsSeeds {
		compareClaims(t, s)
	}
}

func compareClaims(t *testing.T, data string) {
	t.Helper()
	got, err := parseClaims(data)
	want, wantErr := refParseClaims(data)
	if (err == nil) != (wantErr == nil) || (err != nil && err.Error() != wantErr.Error()) {
		t.Fatalf("%.200q: new reader: %v; before: %v", data, err, wantErr)
	}
	if err != nil {
		return
	}
	if !reflect.DeepEqual(*got.claims, *want.claims) {
		t.Fatalf("%.200q: new reader: %+v; before: %+v", data, *got.claims, *want.claims)
	}
	if got.times != want.times || math.Signbit(got.times.exp) != math.Signbit(want.times.exp) {
		t.Fatalf("%.200q: new reader: %+v; before: %+v", data, got.times, want.times)
	}
	// Groups and Scopes keep their nil-ness (a present but empty list).
	if (got.claims.Groups == nil) != (want.claims.Groups == nil) || (got.claims.Scopes == nil) != (want.claims.Scopes == nil) {
		t.Fatalf("%.200q: lists' nil-ness differs", data)
	}
	raw := got.claims.Raw()
	wantRaw, _ := refParseJSONObject(data, 0)
	if !reflect.DeepEqual(raw, wantRaw) {
		t.Fatalf("%.200q: Raw %v; before %v", data, raw, wantRaw)
	}
	// A standard reader, encoding/json into a map, reads the same claims.
	var std map[string]any
	if err := json.Unmarshal([]byte(data), &std); err != nil {
		t.Fatalf("%.200q: accepted, encoding/json refuses: %v", data, err)
	}
	if !reflect.DeepEqual(std, raw) {
		t.Fatalf("%.200q: Raw %v; encoding/json %v", data, raw, std)
	}
	// Decode refuses exactly the payloads with names encoding/json conflates.
	var into any
	if err := got.claims.Decode(&into); (err != nil) != foldCollision(std) {
		t.Fatalf("%.200q: Decode: %v", data, err)
	}
}

// foldCollision is a slow reference for Decode's check: two names of one
// object equal under strings.EqualFold, at any depth.
func foldCollision(v any) bool {
	switch v := v.(type) {
	case map[string]any:
		for a, va := range v {
			for b := range v {
				if a != b && strings.EqualFold(a, b) {
					return true
				}
			}
			if foldCollision(va) {
				return true
			}
		}
	case []any:
		for _, e := range v {
			if foldCollision(e) {
				return true
			}
		}
	}
	return false
}

// headerSeeds probe the header reader.
var headerSeeds = []string{
	`{"alg":"RS256","kid":"k"}`, `{"alg":"RS256","kid":"k","typ":"JWT"}`, `{"alg":"RS256","kid":""}`,
	`{"alg":"RS256"}`, `{"kid":"k"}`, `{"alg":null,"kid":"k"}`, `{"alg":"RS256","kid":null}`,
	`{"alg":1,"kid":"k"}`, `{"alg":"RS256","kid":["k"]}`, `{"alg":"RS256","kid":"k","crit":[]}`,
	`{"alg":"RS256","kid":"k","crit":null}`, `{"alg":"RS256","kid":"k","\u0063rit":["x"]}`,
	`{"alg":"RS256","kid":"k","alg":"none"}`, `{"alg":"RS256","kid":"k","\u0061lg":"none"}`,
	`{"alg":"RS256","kid":"k","ALG":"none","Kid":"j"}`, `{"\u0061lg":"RS256","\u006bid":"k"}`,
	`{"alg":"RS\u0032\u0035\u0036","kid":"k\u0000"}`, `{"alg":"RS256","kid":"\ud800"}`,
	"{\"alg\":\"RS256\",\"kid\":\"k\xff\"}", `{"alg":"RS256","kid":"k","jku":"https://x","jwk":{"a":1,"a":2}}`,
	`{"alg":"RS256","kid":"k"} `, `{"alg":"RS256","kid":"k"}x`, "\ufeff{\"alg\":\"RS256\",\"kid\":\"k\"}",
	`{"alg":"RS256","kid":"k"`, `[]`, ``, `{"alg":"RS256","kid":"k","x":` + strings.Repeat("[", 40) + `}`,
}

// FuzzHeaderReader compares parseHeader with the reading before it.
func FuzzHeaderReader(f *testing.F) {
	for _, s := range headerSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		compareHeader(t, string(data))
	})
}

func TestHeaderReaderSeeds(t *testing.T) {
	for _, s := range headerSeeds {
		compareHeader(t, s)
	}
}

func compareHeader(t *testing.T, data string) {
	t.Helper()
	got, err := parseHeader(data)
	want, wantErr := refParseHeader(data)
	if (err == nil) != (wantErr == nil) || (err != nil && err.Error() != wantErr.Error()) || got != want {
		t.Fatalf("%.200q: new reader: %+v, %v; before: %+v, %v", data, got, err, want, wantErr)
	}
}

// FuzzClaimMember reads one member, of a known claim's name or another,
// after valid base claims: the structured twin of FuzzClaimsReader, which
// gets the fuzzer to the typed claims quickly.
func FuzzClaimMember(f *testing.F) {
	for i := range stringClaimNames {
		f.Add(uint8(i), "", `"x"`)
		f.Add(uint8(i), "", `5`)
	}
	for _, v := range []string{`1`, `-0`, `1e3`, `"1"`, `null`, `[1]`, `1.5e-3`, `123456789012345678`} {
		f.Add(uint8(nStringClaims), "", v)
	}
	f.Add(uint8(0), `\u0069ss`, `"i"`)
	f.Add(uint8(0), `ISS`, `"i"`)
	f.Add(uint8(0), groupsClaim, `["a",1]`)
	f.Add(uint8(0), `cognito\u003agroups`, `["a"]`)
	names := append(append(stringClaimNames[:], numberClaimNames[:]...), groupsClaim)
	f.Fuzz(func(t *testing.T, k uint8, name, value string) {
		if name == "" {
			name = names[int(k)%len(names)]
		}
		compareClaims(t, `{"iss":"i","token_use":"access","sub":"s","exp":1,"`+name+`":`+value+`}`)
		compareClaims(t, `{"`+name+`":`+value+`,"token_use":"id"}`)
	})
}

// encoding/json matches member names to struct fields under Unicode simple
// folding (FIELD-NOTES §7), so a payload Verify accepts with "sub" and
// "ſub" would Decode to the other one's value than Claims.Subject holds.
// Decode refuses a payload with such names in one object, at any depth.
func TestDecodeRefusesFoldedNames(t *testing.T) {
	tests := []struct {
		payload string
		refused bool
	}{
		{`{"sub":"alice","exp":1,"custom:tenant":"t"}`, false},
		{`{"sub":"alice","x":{"sub":"b"},"y":[{"sub":"c"},{"sub":"d"}]}`, false},
		{`{"sub":"alice","ſub":"mallory"}`, true},
		{`{"sub":"alice","\u017fub":"mallory"}`, true},
		{`{"custom:tenant":"a","custom:TENANT":"b"}`, true},
		{`{"Exp":2,"exp":1}`, true},
		{`{"x":{"k":1,"\u212a":2}}`, true},
		{`{"x":[1,{"Ab":1,"aB":2}]}`, true},
	}
	for _, tc := range tests {
		if _, err := parseJSONObject(tc.payload, 0); err != "" {
			t.Fatalf("%s: %s", tc.payload, err)
		}
		c := &Claims{payload: tc.payload}
		var into struct {
			Sub    string `json:"sub"`
			Tenant string `json:"custom:tenant"`
		}
		if err := c.Decode(&into); (err != nil) != tc.refused {
			t.Errorf("%s: Decode = %v (%+v), want refused %v", tc.payload, err, into, tc.refused)
		}
	}
}
