package httpjson

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
)

// probe has the shapes request bodies use (strings, optional strings) and
// some they might (nested objects, arrays, maps, numbers).
type probe struct {
	Username     string  `json:"username"`
	Password     string  `json:"password"`
	RefreshToken *string `json:"refresh_token"`
	PartnerID    string  `json:"partner_id"`
	K            string  `json:"k"`
	Nested       *struct {
		A string `json:"a"`
		B []int  `json:"b"`
	} `json:"nested"`
	Items []struct {
		ID string `json:"id"`
	} `json:"items"`
	Meta map[string]string `json:"meta"`
	Any  any               `json:"any"`
	N    int64             `json:"n"`
	Skip string            `json:"-"`
	//lint:ignore U1000 an unexported field is no JSON member: the test sends "priv"
	priv string
}

func TestUnmarshal(t *testing.T) {
	deep := strings.Repeat(`{"any":`, 1) + strings.Repeat(`[`, MaxDepth) + strings.Repeat(`]`, MaxDepth) + `}`
	tests := []struct {
		name, body string
		want       error  // nil: accepted
		field      string // BodyError.Field
		msgHas     string
	}{
		{"plain", `{"username":"bob","password":"pw"}`, nil, "", ""},
		{"white space around", " \r\n\t{\"username\" : \"bob\"}\n", nil, "", ""},
		{"escaped key", `{"user\u006eame":"bob"}`, nil, "", ""},
		{"null member", `{"refresh_token":null}`, nil, "", ""},
		{"empty object", `{}`, nil, "", ""},
		{"nested ok", `{"nested":{"a":"x","b":[1,2]},"items":[{"id":"1"},{"id":"2"}],"meta":{"x":"1","y":"2"}}`, nil, "", ""},
		{"huge number into int", `{"n":1e999}`, ErrInvalid, "n", "n must be a number"},
		{"huge number unused type", `{"username":123456789012345678901234567890}`, ErrInvalid, "username", "must be a string"},

		// The three attack bodies.
		{"issue: username twice by case", `{"username":"bob","USERNAME":"alice","password":"pw"}`, ErrDuplicate, "USERNAME", "case-insensitive"},
		{"issue: refresh token twice by case", `{"refresh_token":"junk","REFRESH_TOKEN":"valid"}`, ErrDuplicate, "REFRESH_TOKEN", ""},
		{"issue: partner id twice by case", `{"partner_id":"dupa","PARTNER_ID":"dupb"}`, ErrDuplicate, "PARTNER_ID", ""},

		// Folding: encoding/json's own rule, Unicode simple folding included.
		{"exact duplicate", `{"username":"a","username":"b"}`, ErrDuplicate, "username", "appears twice"},
		{"long s duplicate", `{"username":"bob","uſername":"alice"}`, ErrDuplicate, "uſername", ""},
		{"long s escaped", `{"username":"bob","u\u017fername":"alice"}`, ErrDuplicate, "uſername", ""},
		{"kelvin duplicate", `{"k":"a","\u212a":"b"}`, ErrDuplicate, "\u212a", ""},
		{"kelvin first", `{"\u212a":"b","k":"a"}`, ErrInvalid, "\u212a", "case-sensitive"},
		{"mixed case duplicate", `{"username":"a","uSeRnAmE":"b"}`, ErrDuplicate, "uSeRnAmE", ""},
		{"nested duplicate", `{"nested":{"a":"x","A":"y"}}`, ErrDuplicate, "nested.A", ""},
		{"duplicate in array element", `{"items":[{"id":"1"},{"id":"2","ID":"3"}]}`, ErrDuplicate, "items.ID", ""},
		{"map folded duplicate", `{"meta":{"x":"1","X":"2"}}`, ErrDuplicate, "meta.X", ""},
		{"duplicate inside any", `{"any":{"q":1,"Q":2}}`, ErrDuplicate, "any.Q", ""},
		{"duplicate deep in any", `{"any":[[{"q":1,"q":2}]]}`, ErrDuplicate, "any.q", ""},
		{"duplicate in a mistyped value", `{"username":{"a":1,"a":2}}`, ErrDuplicate, "username.a", ""},

		// Exact matching: a folded spelling alone is an unknown field.
		{"case variant alone", `{"USERNAME":"alice"}`, ErrInvalid, "USERNAME", "case-sensitive"},
		{"long s alone", `{"uſername":"alice"}`, ErrInvalid, "uſername", `"username"`},
		{"kelvin alone", `{"\u212a":"b"}`, ErrInvalid, "\u212a", ""},
		{"Go field name", `{"Username":"bob"}`, ErrInvalid, "Username", ""},
		{"unknown", `{"username":"a","x":1}`, ErrInvalid, "x", `unknown field "x"`},
		{"dash field", `{"-":"x"}`, ErrInvalid, "-", "unknown"},
		{"unexported field", `{"priv":"x"}`, ErrInvalid, "priv", "unknown"},
		{"nested unknown", `{"nested":{"c":1}}`, ErrInvalid, "nested.c", ""},
		{"long unknown is clipped", `{"` + strings.Repeat("k", 500) + `":1}`, ErrInvalid, strings.Repeat("k", 64) + "…", "…"},

		// Shape.
		{"empty", ``, ErrInvalid, "", "required"},
		{"only space", " \n ", ErrInvalid, "", "required"},
		{"trailing data", `{"username":"a"}x`, ErrInvalid, "", "nothing after"},
		{"two objects", `{"username":"a"}{"username":"b"}`, ErrInvalid, "", "nothing after"},
		{"two objects spaced", `{"username":"a"} {"password":"b"}`, ErrInvalid, "", "nothing after"},
		{"trailing comma", `{"username":"a",}`, ErrInvalid, "", "not valid JSON"},
		{"unclosed", `{"username":"a"`, ErrInvalid, "", "not valid JSON"},
		{"array", `[{"username":"a"}]`, ErrInvalid, "", "JSON object"},
		{"string", `"username"`, ErrInvalid, "", "JSON object"},
		{"null", `null`, ErrInvalid, "", "JSON object"},
		{"number", `1`, ErrInvalid, "", "JSON object"},
		{"invalid UTF-8 in value", "{\"username\":\"a\xff\"}", ErrInvalid, "", "UTF-8"},
		{"invalid UTF-8 in key", "{\"user\xc3name\":\"a\"}", ErrInvalid, "", "UTF-8"},
		{"BOM", "\ufeff{\"username\":\"a\"}", ErrInvalid, "", "not valid JSON"},
		{"wrong type", `{"username":1}`, ErrInvalid, "username", "username must be a string"},
		{"wrong type bool", `{"username":true}`, ErrInvalid, "username", "must be a string"},
		{"wrong nested type", `{"nested":{"b":"x"}}`, ErrInvalid, "nested.b", "must be an array"},
		{"too deep", deep, ErrInvalid, "any", "deeper"},
		{"comment", `{"username":"a" /* x */}`, ErrInvalid, "", "not valid JSON"},
		{"single quotes", `{'username':'a'}`, ErrInvalid, "", "not valid JSON"},
		{"NaN", `{"n":NaN}`, ErrInvalid, "", "not valid JSON"},

		// Escaped surrogates: encoding/json turns a lone one into U+FFFD,
		// JavaScript and Python keep it, so the string means two things.
		{"surrogate pair", `{"username":"\ud83d\ude00"}`, nil, "", ""},
		{"escaped backslash then u", `{"username":"\\ud800"}`, nil, "", ""},
		{"lone high surrogate", `{"username":"bob\ud800"}`, ErrInvalid, "", "surrogate"},
		{"lone high surrogate upper case", `{"username":"bob\uD83D"}`, ErrInvalid, "", "surrogate"},
		{"lone low surrogate", `{"username":"\udc00bob"}`, ErrInvalid, "", "surrogate"},
		{"high then non-surrogate", `{"username":"\ud800\u0041"}`, ErrInvalid, "", "surrogate"},
		{"two highs", `{"username":"\ud800\ud800"}`, ErrInvalid, "", "surrogate"},
		{"lone surrogate in key", `{"user\ud800":"bob"}`, ErrInvalid, "", "surrogate"},
		{"lone surrogate deep", `{"any":[{"q":"\udfff"}]}`, ErrInvalid, "", "surrogate"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got probe
			err := Unmarshal([]byte(tc.body), &got)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				var std probe
				if err := json.Unmarshal([]byte(tc.body), &std); err != nil || !reflect.DeepEqual(got, std) {
					t.Fatalf("got %+v, encoding/json reads %+v (%v)", got, std, err)
				}
				return
			}
			be, ok := errors.AsType[*BodyError](err)
			if !ok || !errors.Is(err, tc.want) {
				t.Fatalf("error %v, want %v", err, tc.want)
			}
			if be.Field != tc.field || !strings.Contains(be.Message, tc.msgHas) {
				t.Fatalf("field %q message %q; want field %q, message with %q", be.Field, be.Message, tc.field, tc.msgHas)
			}
		})
	}
}

// TestUnmarshalAttackReadings shows what the refused attack bodies mean to
// encoding/json alone: the last spelling wins, so a reader keeping the
// first or matching exactly acts on another request.
func TestUnmarshalAttackReadings(t *testing.T) {
	var std probe
	if err := json.Unmarshal([]byte(`{"username":"bob","uſername":"alice"}`), &std); err != nil || std.Username != "alice" {
		t.Fatalf("encoding/json no longer folds: %+v %v; revisit the package documentation", std, err)
	}
}

func TestFoldNameIsEqualFold(t *testing.T) {
	pairs := [][2]string{
		{"username", "USERNAME"}, {"username", "uſername"}, {"k", "\u212a"}, {"K", "\u212a"},
		{"ß", "ẞ"}, {"σ", "ς"}, {"Σ", "ς"}, {"i", "İ"}, {"ı", "I"}, {"a_b", "A-B"}, {"", ""}, {"é", "É"},
	}
	for _, p := range pairs {
		if got, want := foldName(p[0]) == foldName(p[1]), strings.EqualFold(p[0], p[1]); got != want {
			t.Errorf("%q %q: fold equal %v, EqualFold %v", p[0], p[1], got, want)
		}
	}
}

func TestStructFieldsRefusesAmbiguousTypes(t *testing.T) {
	type Inner struct{ A string }
	for name, v := range map[string]any{
		"fold-equal names": &struct {
			A string `json:"a"`
			B string `json:"A"`
		}{},
		"embedded": &struct{ Inner }{},
		"odd tag": &struct {
			A string `json:"a b"`
		}{},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			_ = Unmarshal([]byte(`{}`), v)
		}()
	}
}

func TestReadBody(t *testing.T) {
	const limit = 64
	tests := []struct {
		name     string
		ctype    []string
		body     string
		chunked  bool
		want     error
		wantBody string
	}{
		{"json", []string{"application/json"}, `{}`, false, nil, `{}`},
		{"charset", []string{"application/json; charset=utf-8"}, `{}`, false, nil, `{}`},
		{"charset upper", []string{"Application/JSON; Charset=UTF-8"}, `{}`, false, nil, `{}`},
		{"other parameter", []string{"application/json; x=y"}, `{}`, false, nil, `{}`},
		{"charset latin1", []string{"application/json; charset=iso-8859-1"}, `{}`, false, ErrMediaType, ""},
		{"charset utf-16", []string{"application/json;charset=utf-16"}, `{}`, false, ErrMediaType, ""},
		{"missing", nil, `{}`, false, ErrMediaType, ""},
		{"text", []string{"text/plain"}, `{}`, false, ErrMediaType, ""},
		{"suffix json", []string{"application/merge-patch+json"}, `{}`, false, ErrMediaType, ""},
		{"two content types", []string{"application/json", "text/plain"}, `{}`, false, ErrMediaType, ""},
		{"malformed", []string{"application/json; charset"}, `{}`, false, ErrMediaType, ""},
		{"absent", nil, ``, false, nil, ""},
		{"white space only", []string{"text/plain"}, " \r\n", false, nil, ""},
		{"chunked absent", nil, ``, true, nil, ""},
		{"present needs json", nil, `{}`, false, ErrMediaType, ""},
		{"present chunked", []string{"text/plain"}, `{}`, true, ErrMediaType, ""},
		{"too large declared", []string{"application/json"}, strings.Repeat("x", limit+1), false, ErrTooLarge, ""},
		{"too large chunked", []string{"application/json"}, strings.Repeat("x", limit+1), true, ErrTooLarge, ""},
		{"at the limit", []string{"application/json"}, strings.Repeat(" ", limit-2) + "{}", false, nil, strings.Repeat(" ", limit-2) + "{}"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var rd io.Reader = strings.NewReader(tc.body)
			if tc.chunked {
				rd = io.MultiReader(rd) // hides the length: ContentLength -1
			}
			r := httptest.NewRequest(http.MethodPost, "/", rd)
			for _, v := range tc.ctype {
				r.Header.Add("Content-Type", v)
			}
			body, err := ReadBody(httptest.NewRecorder(), r, limit)
			if tc.want == nil {
				if err != nil || string(body) != tc.wantBody {
					t.Fatalf("%q, %v", body, err)
				}
				return
			}
			if !errors.Is(err, tc.want) || body != nil {
				t.Fatalf("%q, %v; want %v", body, err, tc.want)
			}
		})
	}
}

func TestFromBodyAndWriteError(t *testing.T) {
	for _, tc := range []struct {
		err          error
		status       int
		code         string
		contentField string
	}{
		{Invalid("x", "bad"), 400, CodeInvalidRequest, "x"},
		{&BodyError{kind: ErrDuplicate, Field: "A", Message: "m"}, 400, CodeDuplicateField, "A"},
		{&BodyError{kind: ErrTooLarge, Message: "m"}, 413, "too_big", ""},
		{&BodyError{kind: ErrMediaType, Message: "m"}, 415, CodeUnsupportedMediaType, ""},
	} {
		e := FromBody(tc.err, "too_big")
		if e == nil || e.Status != tc.status || e.Code != tc.code || e.Field != tc.contentField {
			t.Errorf("%v: %+v", tc.err, e)
			continue
		}
		rec := httptest.NewRecorder()
		WriteError(rec, e)
		var got struct {
			Error map[string]string `json:"error"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || rec.Code != tc.status || got.Error["code"] != tc.code ||
			rec.Header().Get("Cache-Control") != "no-store" || rec.Header().Get("Content-Type") != "application/json" {
			t.Errorf("%v: %d %v %s", tc.err, rec.Code, rec.Header(), rec.Body)
		}
	}
	if FromBody(errors.New("other"), "x") != nil {
		t.Error("a non-body error mapped")
	}
	rec := httptest.NewRecorder()
	WriteError(rec, &Error{Status: 401, Code: "unauthorized", Message: "m"})
	if rec.Header().Get("WWW-Authenticate") == "" {
		t.Error("401 without WWW-Authenticate")
	}
	if err := Write(httptest.NewRecorder(), 200, func() {}); err == nil {
		t.Error("an unencodable answer was written")
	}
}

// FuzzUnmarshal checks the package's promise against encoding/json itself:
// whatever Unmarshal accepts, encoding/json decodes to the same value
// (also with DisallowUnknownFields), no two keys of any object in it are
// equal under strings.EqualFold (encoding/json's matching rule), and every
// top-level key spells a field exactly. Refusals are *BodyErrors.
func FuzzUnmarshal(f *testing.F) {
	for _, s := range []string{
		`{"username":"bob","password":"pw"}`, `{"username":"bob","USERNAME":"alice"}`, `{"uſername":"a"}`,
		`{"k":"a","\u212a":"b"}`, `{"refresh_token":"junk","REFRESH_TOKEN":"v"}`, `{"partner_id":"a","PARTNER_ID":"b"}`,
		`{"nested":{"a":"x","b":[1]},"items":[{"id":"1"}],"meta":{"x":"y"},"any":{"q":[1,{"r":null}]}}`,
		`{} {}`, `[]`, `{"n":1e999}`, "{\"username\":\"\xff\"}", `{"user\u006eame":"x"}`, ``,
	} {
		f.Add([]byte(s))
	}
	fields := structFields(reflect.TypeFor[probe]())
	f.Fuzz(func(t *testing.T, body []byte) {
		var got probe
		err := Unmarshal(body, &got)
		if err != nil {
			if _, ok := errors.AsType[*BodyError](err); !ok {
				t.Fatalf("error %T %v", err, err)
			}
			if !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrDuplicate) {
				t.Fatalf("error kind %v", err)
			}
			return
		}
		var std probe
		if err := json.Unmarshal(body, &std); err != nil || !reflect.DeepEqual(got, std) {
			t.Fatalf("accepted %q as %+v; encoding/json: %+v, %v", body, got, std, err)
		}
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		var strict probe
		if err := dec.Decode(&strict); err != nil || !reflect.DeepEqual(got, strict) {
			t.Fatalf("accepted %q; strict encoding/json: %+v, %v", body, strict, err)
		}
		for i, keys := range objectKeys(t, body) {
			for a := range keys {
				for b := a + 1; b < len(keys); b++ {
					if strings.EqualFold(keys[a], keys[b]) {
						t.Fatalf("accepted %q with keys %q and %q in one object", body, keys[a], keys[b])
					}
				}
				if _, ok := fields[keys[a]]; i == 0 && !ok {
					t.Fatalf("accepted %q with top-level key %q", body, keys[a])
				}
			}
		}
	})
}

// objectKeys lists the keys of every object in body, in the order the
// objects open (the top-level object first), with a tokenizer of its own.
func objectKeys(t *testing.T, body []byte) [][]string {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var out [][]string
	type frame struct {
		obj       int // index in out, -1 for an array
		expectKey bool
	}
	var stack []frame
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("accepted %q, which does not tokenize: %v", body, err)
		}
		top := len(stack) - 1
		if top >= 0 && stack[top].obj >= 0 && stack[top].expectKey {
			if s, ok := tok.(string); ok {
				out[stack[top].obj] = append(out[stack[top].obj], s)
				stack[top].expectKey = false
				continue
			}
		}
		if top >= 0 && stack[top].obj >= 0 {
			stack[top].expectKey = true // after this value, a key
		}
		switch tok {
		case json.Delim('{'):
			out = append(out, nil)
			stack = append(stack, frame{obj: len(out) - 1, expectKey: true})
		case json.Delim('['):
			stack = append(stack, frame{obj: -1})
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
		}
	}
}

func BenchmarkUnmarshal(b *testing.B) {
	body := []byte(`{"username":"someone@example.com","password":"correct horse battery staple"}`)
	b.Run("decoder=httpjson", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var p probe
			if err := Unmarshal(body, &p); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decoder=encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var p probe
			if err := json.Unmarshal(body, &p); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestGoServersOwnAnswers pins what the services document: headers over
// http.Server.MaxHeaderBytes get 431 and an unparsable request 400, both
// plain text from net/http before any handler runs; there is no hook to
// answer them as JSON. If this fails, Go changed: answer them with
// WriteError and update the doc.go files that say so.
func TestGoServersOwnAnswers(t *testing.T) {
	var ran atomic.Bool
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { ran.Store(true) }))
	srv.Config.MaxHeaderBytes = 1 << 10
	srv.Start()
	t.Cleanup(srv.Close)
	for _, tc := range []struct {
		name, request string
		status        string
	}{
		{"431", "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("a", 8<<10) + "\r\n\r\n", "431 Request Header Fields Too Large"},
		{"400", "GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n", "400 Bad Request"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conn, err := net.Dial("tcp", srv.Listener.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if _, err := io.WriteString(conn, tc.request); err != nil {
				t.Fatal(err)
			}
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.Status != tc.status || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") || ran.Load() {
				t.Fatalf("%s %q, handler ran: %v", resp.Status, resp.Header.Get("Content-Type"), ran.Load())
			}
		})
	}
}
