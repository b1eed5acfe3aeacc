package httpjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// The reasons a body is refused; a *BodyError answers errors.Is for one.
var (
	// ErrInvalid: not one well-formed JSON object of the expected shape
	// (syntax, type, unknown or missing member, trailing data): 400.
	ErrInvalid = errors.New("httpjson: malformed body")
	// ErrDuplicate: two keys of one object are the same to encoding/json
	// (equal under its case folding): 400 duplicate_field.
	ErrDuplicate = errors.New("httpjson: duplicate member")
	// ErrTooLarge: the body is over the limit: 413.
	ErrTooLarge = errors.New("httpjson: body too large")
	// ErrMediaType: the body is not declared as application/json: 415.
	ErrMediaType = errors.New("httpjson: body is not application/json")
)

// Codes shared by every service for the body errors.
const (
	CodeInvalidRequest       = "invalid_request"        // 400
	CodeDuplicateField       = "duplicate_field"        // 400
	CodeUnsupportedMediaType = "unsupported_media_type" // 415
)

// MaxDepth bounds the nesting of objects and arrays in a body (the
// top-level object is depth 1). Request bodies are flat; the bound keeps
// the check's recursion small.
const MaxDepth = 32

// BodyError is a refused body. Message is for the caller: it names the
// member at fault (clipped) and never echoes a value.
type BodyError struct {
	kind    error
	Field   string // the member at fault as spelled in the body ("a.b" when nested), clipped; "" if none
	Message string
}

func (e *BodyError) Error() string { return e.Message }
func (e *BodyError) Unwrap() error { return e.kind }

// Invalid is a 400 invalid_request body error naming field ("" for the
// whole body), for a service's own checks after Unmarshal.
func Invalid(field, format string, args ...any) *BodyError {
	return &BodyError{kind: ErrInvalid, Field: field, Message: fmt.Sprintf(format, args...)}
}

var errNotJSON = &BodyError{kind: ErrInvalid, Message: "the body is not valid JSON"}

// jsonSpace is JSON's white space (RFC 8259 §2), narrower than
// unicode.IsSpace.
const jsonSpace = " \t\r\n"

// ReadBody reads r's body, at most limit bytes. An absent body (empty or
// only white space) is returned as nil whatever its Content-Type: there is
// nothing to read two ways, and Unmarshal refuses it where a body is
// required. Any other body must be declared application/json.
func ReadBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	tooLarge := &BodyError{kind: ErrTooLarge, Message: fmt.Sprintf("the body is larger than %d bytes", limit)}
	if r.ContentLength > limit {
		return nil, tooLarge
	}
	var body []byte
	if r.Body != nil {
		var err error
		body, err = io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
		if err != nil {
			if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
				return nil, tooLarge
			}
			return nil, Invalid("", "the body could not be read")
		}
	}
	if len(bytes.Trim(body, jsonSpace)) == 0 {
		return nil, nil
	}
	if err := checkMediaType(r.Header.Values("Content-Type")); err != nil {
		return nil, err
	}
	return body, nil
}

// checkMediaType accepts one Content-Type, application/json in any case,
// with parameters; a charset, if given, must be UTF-8 (the only encoding
// JSON has, RFC 8259 §8.1): a reader honouring another would read another
// body.
func checkMediaType(values []string) error {
	wrong := &BodyError{kind: ErrMediaType, Message: "Content-Type must be application/json"}
	if len(values) != 1 {
		return wrong
	}
	mt, params, err := mime.ParseMediaType(values[0])
	if err != nil || mt != "application/json" {
		return wrong
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return &BodyError{kind: ErrMediaType, Message: "the charset of a JSON body must be utf-8"}
	}
	return nil
}

// Unmarshal decodes body, one JSON object, into dst (a non-nil pointer to
// a struct) with the rules of the package documentation; the error is a
// *BodyError.
func Unmarshal(body []byte, dst any) error {
	t := reflect.TypeOf(dst)
	if t == nil || t.Kind() != reflect.Pointer || reflect.ValueOf(dst).IsNil() {
		panic("httpjson: Unmarshal needs a non-nil pointer")
	}
	if len(bytes.Trim(body, jsonSpace)) == 0 {
		return Invalid("", "a JSON object body is required")
	}
	if !utf8.Valid(body) {
		return Invalid("", "the body is not valid UTF-8")
	}
	if loneSurrogate(body) {
		return Invalid("", "the body holds an escaped surrogate (\\uD800-\\uDFFF) outside a pair")
	}
	// Pass 1: the keys, read once with the tokenizer. UseNumber keeps a
	// huge number a token, not a float64 overflow.
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	c := checker{dec: dec}
	tok, err := dec.Token()
	if err != nil {
		return errNotJSON
	}
	if tok != json.Delim('{') {
		return Invalid("", "the body must be a JSON object")
	}
	if err := c.object(t.Elem(), "", 1); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return Invalid("", "the body must hold one JSON object and nothing after it")
	}
	// Pass 2: every key names its field exactly and once, so encoding/json
	// fills each field from the one member that spells it.
	if err := json.Unmarshal(body, dst); err != nil {
		if te, ok := errors.AsType[*json.UnmarshalTypeError](err); ok && te.Field != "" {
			f := clip(te.Field)
			return Invalid(f, "%s must be %s", f, kindOf(te.Type))
		}
		return Invalid("", "the body is not a valid JSON object")
	}
	return nil
}

// loneSurrogate reports whether a string in body escapes a UTF-16
// surrogate that is not half of a high-low pair. encoding/json reads one
// as U+FFFD, JavaScript and Python keep it: two readings (RFC 8259 §8.2;
// I-JSON, RFC 7493, forbids them). Malformed escapes are left to the
// tokenizer.
func loneSurrogate(body []byte) bool {
	inString := false
	for i := 0; i < len(body); i++ {
		switch c := body[i]; {
		case c == '"':
			inString = !inString
		case c != '\\' || !inString || i+1 >= len(body):
		case body[i+1] != 'u':
			i++ // a one-character escape, \" and \\ included
		default:
			r := hex4(body, i+2)
			switch {
			case r >= 0xD800 && r <= 0xDBFF:
				if i+7 >= len(body) || body[i+6] != '\\' || body[i+7] != 'u' {
					return true
				}
				if lo := hex4(body, i+8); lo < 0xDC00 || lo > 0xDFFF {
					return true
				}
				i += 11
			case r >= 0xDC00 && r <= 0xDFFF:
				return true
			default:
				i++
			}
		}
	}
	return false
}

// hex4 is the value of the four hex digits at body[i:], or -1.
func hex4(body []byte, i int) int {
	if i+4 > len(body) {
		return -1
	}
	v, err := strconv.ParseUint(string(body[i:i+4]), 16, 16)
	if err != nil {
		return -1
	}
	return int(v)
}

type checker struct {
	dec *json.Decoder
}

// value checks the value that starts with tok and is decoded into t (nil
// when no Go type constrains it).
func (c checker) value(tok json.Token, t reflect.Type, path string, depth int) error {
	d, ok := tok.(json.Delim)
	if !ok {
		return nil // a scalar: encoding/json judges its type
	}
	if depth > MaxDepth {
		return Invalid(path, "the body nests deeper than %d levels", MaxDepth)
	}
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch d {
	case '{':
		return c.object(t, path, depth)
	case '[':
		var elem reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) && !customDecoder(t) {
			elem = t.Elem()
		}
		for c.dec.More() {
			tok, err := c.dec.Token()
			if err != nil {
				return errNotJSON
			}
			if err := c.value(tok, elem, path, depth+1); err != nil {
				return err
			}
		}
		if _, err := c.dec.Token(); err != nil {
			return errNotJSON
		}
		return nil
	}
	return errNotJSON
}

// object checks the members of an object whose '{' was read. Into a
// struct, each key must be a field's JSON name exactly; in any object no
// two keys may fold equal.
func (c checker) object(t reflect.Type, path string, depth int) error {
	var fields map[string]reflect.Type
	var elem reflect.Type
	if t != nil && !customDecoder(t) {
		switch t.Kind() {
		case reflect.Struct:
			fields = structFields(t)
		case reflect.Map:
			elem = t.Elem()
		}
	}
	seen := map[string]string{} // folded key → key as spelled
	for c.dec.More() {
		tok, err := c.dec.Token()
		if err != nil {
			return errNotJSON
		}
		key, ok := tok.(string)
		if !ok {
			return errNotJSON
		}
		name := clip(key)
		if path != "" {
			name = path + "." + name
		}
		folded := foldName(key)
		if prev, dup := seen[folded]; dup {
			msg := fmt.Sprintf("field %s appears twice", strconv.Quote(name))
			if prev != key {
				msg = fmt.Sprintf("fields %s and %s are the same field to a case-insensitive reader", strconv.Quote(clip(prev)), strconv.Quote(clip(key)))
			}
			return &BodyError{kind: ErrDuplicate, Field: name, Message: msg}
		}
		seen[folded] = key
		ft := elem
		if fields != nil {
			ft, ok = fields[key]
			if !ok {
				return unknownField(name, key, fields)
			}
		}
		tok, err = c.dec.Token()
		if err != nil {
			return errNotJSON
		}
		if err := c.value(tok, ft, name, depth+1); err != nil {
			return err
		}
	}
	if _, err := c.dec.Token(); err != nil {
		return errNotJSON
	}
	return nil
}

func unknownField(name, key string, fields map[string]reflect.Type) error {
	for f := range fields {
		if foldName(f) == foldName(key) {
			return Invalid(name, "unknown field %s (field names are case-sensitive: %s)", strconv.Quote(name), strconv.Quote(f))
		}
	}
	return Invalid(name, "unknown field %s", strconv.Quote(name))
}

var (
	unmarshalerType     = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshalerType = reflect.TypeFor[interface{ UnmarshalText([]byte) error }]()
)

// customDecoder reports whether t decodes itself: its keys are then its
// own business (the duplicate rule still applies).
func customDecoder(t reflect.Type) bool {
	pt := reflect.PointerTo(t)
	return t.Implements(unmarshalerType) || pt.Implements(unmarshalerType) ||
		t.Implements(textUnmarshalerType) || pt.Implements(textUnmarshalerType)
}

var fieldCache sync.Map // reflect.Type → map[string]reflect.Type

// structFields maps the JSON names of t's fields, as encoding/json sees
// them, to their types. Request types are plain: an embedded field, a tag
// name encoding/json would not honour, or two names it could not tell
// apart is a programming error.
func structFields(t reflect.Type) map[string]reflect.Type {
	if m, ok := fieldCache.Load(t); ok {
		return m.(map[string]reflect.Type)
	}
	m := map[string]reflect.Type{}
	byFold := map[string]string{}
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		if f.Anonymous {
			panic(fmt.Sprintf("httpjson: %v embeds %v: not supported in request types", t, f.Type))
		}
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if name == "" {
			name = f.Name
		}
		if !plainName(name) {
			panic(fmt.Sprintf("httpjson: %v: field name %q is not [A-Za-z0-9_-]+", t, name))
		}
		if prev, ok := byFold[foldName(name)]; ok {
			panic(fmt.Sprintf("httpjson: %v: fields %q and %q fold equal", t, prev, name))
		}
		byFold[foldName(name)] = name
		m[name] = f.Type
	}
	fieldCache.Store(t, m)
	return m
}

func plainName(s string) bool {
	return s != "" && !strings.ContainsFunc(s, func(r rune) bool {
		return r > unicode.MaxASCII || !(r == '_' || r == '-' || unicode.IsLetter(r) || unicode.IsDigit(r))
	})
}

// foldName is encoding/json's own key folding (encoding/json/fold.go,
// unexported there): foldName(x) == foldName(y) exactly when
// strings.EqualFold(x, y). It maps each rune to the smallest of its simple
// fold orbit (ASCII letters to upper case), so "uſername", "USERNAME" and
// "username" fold equal, and so do "K" (U+212A) and "k".
func foldName(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if r < utf8.RuneSelf {
			if 'a' <= r && r <= 'z' {
				r -= 'a' - 'A'
			}
			b.WriteByte(byte(r))
			continue
		}
		b.WriteRune(foldRune(r))
	}
	return b.String()
}

func foldRune(r rune) rune {
	for {
		r2 := unicode.SimpleFold(r)
		if r2 <= r {
			return r2
		}
		r = r2
	}
}

// clip shortens a member name from the body before it is echoed.
func clip(s string) string {
	const max = 64
	if len(s) <= max {
		return s
	}
	return strings.ToValidUTF8(s[:max], "") + "…"
}

func kindOf(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64:
		return "a number in range"
	}
	return "of type " + t.Kind().String()
}
