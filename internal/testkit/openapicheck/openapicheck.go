package openapicheck

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"mime"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Doc is a parsed OpenAPI 3 document. It is safe for concurrent use.
type Doc struct {
	root map[string]any
	ops  map[Operation]map[string]any
}

// Operation names one documented operation: an upper-case method and a
// path template as written in the document ("/clients/{id}").
type Operation struct {
	Method string
	Path   string
}

func (o Operation) String() string { return o.Method + " " + o.Path }

var methods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

var annotations = map[string]bool{
	"description": true, "title": true, "example": true, "examples": true, "default": true,
	"deprecated": true, "readOnly": true, "writeOnly": true, "$comment": true, "externalDocs": true,
	"xml": true, "$schema": true, "$id": true, "contentMediaType": true,
}

var supported = map[string]bool{
	"type": true, "nullable": true, "required": true, "properties": true, "additionalProperties": true,
	"items": true, "enum": true, "const": true, "format": true, "minLength": true, "maxLength": true,
	"pattern": true, "minimum": true, "maximum": true, "minItems": true, "maxItems": true, "$ref": true,
}

// LoadFile reads and parses the document at path.
func LoadFile(path string) (*Doc, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("openapicheck: %w", err)
	}
	return Parse(b)
}

// Parse parses a JSON OpenAPI 3 document and checks that every schema in it
// uses only the supported keywords and that every $ref resolves.
func Parse(data []byte) (*Doc, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var root map[string]any
	if err := dec.Decode(&root); err != nil {
		return nil, fmt.Errorf("openapicheck: document is not JSON: %w", err)
	}
	v, _ := root["openapi"].(string)
	if !strings.HasPrefix(v, "3.") {
		return nil, fmt.Errorf("openapicheck: openapi version %q is not 3.x", v)
	}
	d := &Doc{root: root, ops: map[Operation]map[string]any{}}
	paths, _ := root["paths"].(map[string]any)
	if len(paths) == 0 {
		return nil, errors.New("openapicheck: document has no paths")
	}
	for p, item := range paths {
		im, ok := item.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("openapicheck: paths[%q] is not an object", p)
		}
		for _, m := range methods {
			op, ok := im[m].(map[string]any)
			if !ok {
				continue
			}
			d.ops[Operation{strings.ToUpper(m), p}] = op
		}
	}
	// Walk every schema once so a bad keyword or dangling $ref fails now.
	for o := range d.ops {
		if err := d.lintOperation(o); err != nil {
			return nil, err
		}
	}
	if comps, ok := root["components"].(map[string]any); ok {
		if schemas, ok := comps["schemas"].(map[string]any); ok {
			for name, s := range schemas {
				if err := d.lintSchema(s, "#/components/schemas/"+name, 0); err != nil {
					return nil, err
				}
			}
		}
	}
	return d, nil
}

// Operations lists the documented operations, sorted by path then method.
func (d *Doc) Operations() []Operation {
	out := make([]Operation, 0, len(d.ops))
	for o := range d.ops {
		out = append(out, o)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Path != out[j].Path {
			return out[i].Path < out[j].Path
		}
		return out[i].Method < out[j].Method
	})
	return out
}

// FindOperation matches a concrete request path ("/clients/abc") to a
// documented path template ("/clients/{id}") for method. A literal segment
// wins over a parameter.
func (d *Doc) FindOperation(method, path string) (Operation, bool) {
	method = strings.ToUpper(method)
	want := strings.Split(path, "/")
	best, bestScore := Operation{}, -1
	for o := range d.ops {
		if o.Method != method {
			continue
		}
		segs := strings.Split(o.Path, "/")
		if len(segs) != len(want) {
			continue
		}
		score := 0
		for i, s := range segs {
			switch {
			case s == want[i]:
				score++
			case strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}") && want[i] != "":
			default:
				score = -1
			}
			if score < 0 {
				break
			}
		}
		if score > bestScore {
			best, bestScore = o, score
		}
	}
	return best, bestScore >= 0
}

// CheckRequest checks a request body against the operation's requestBody:
// the content type must be documented, a JSON body must match its schema,
// an empty body is allowed only when the request body is not required, and
// a body is refused when the operation documents none.
func (d *Doc) CheckRequest(method, pathTemplate, contentType string, body []byte) error {
	op, err := d.op(method, pathTemplate)
	if err != nil {
		return err
	}
	rb, ok := op["requestBody"]
	if !ok {
		if len(body) > 0 {
			return fmt.Errorf("openapicheck: %s %s documents no request body, got %d bytes", method, pathTemplate, len(body))
		}
		return nil
	}
	rbm, _, err := d.deref(rb)
	if err != nil {
		return err
	}
	if len(body) == 0 {
		if req, _ := rbm["required"].(bool); req {
			return fmt.Errorf("openapicheck: %s %s: request body is required", method, pathTemplate)
		}
		return nil
	}
	return d.checkContent(rbm, contentType, body, fmt.Sprintf("%s %s request", method, pathTemplate))
}

// CheckResponse checks a response against the operation's responses: the
// status must be documented (exactly, as a range such as "4XX", or by
// "default"), the content type must be one of the response's, and a JSON
// body must match its schema. A response documented without content must
// have an empty body.
func (d *Doc) CheckResponse(method, pathTemplate string, status int, contentType string, body []byte) error {
	op, err := d.op(method, pathTemplate)
	if err != nil {
		return err
	}
	responses, _ := op["responses"].(map[string]any)
	code := strconv.Itoa(status)
	r, ok := responses[code]
	if !ok {
		r, ok = responses[code[:1]+"XX"]
	}
	if !ok {
		r, ok = responses["default"]
	}
	where := fmt.Sprintf("%s %s response %d", method, pathTemplate, status)
	if !ok {
		return fmt.Errorf("openapicheck: %s: status not documented", where)
	}
	rm, _, err := d.deref(r)
	if err != nil {
		return err
	}
	if _, has := rm["content"]; !has {
		if len(body) > 0 {
			return fmt.Errorf("openapicheck: %s: documented without content, got %d bytes", where, len(body))
		}
		return nil
	}
	return d.checkContent(rm, contentType, body, where)
}

func (d *Doc) op(method, pathTemplate string) (map[string]any, error) {
	op, ok := d.ops[Operation{strings.ToUpper(method), pathTemplate}]
	if !ok {
		return nil, fmt.Errorf("openapicheck: operation %s %s is not documented", strings.ToUpper(method), pathTemplate)
	}
	return op, nil
}

func (d *Doc) checkContent(holder map[string]any, contentType string, body []byte, where string) error {
	content, _ := holder["content"].(map[string]any)
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return fmt.Errorf("openapicheck: %s: bad content type %q", where, contentType)
	}
	media, ok := content[mt].(map[string]any)
	if !ok {
		if slash := strings.IndexByte(mt, '/'); slash > 0 {
			media, ok = content[mt[:slash]+"/*"].(map[string]any)
		}
		if !ok {
			media, ok = content["*/*"].(map[string]any)
		}
	}
	if !ok {
		return fmt.Errorf("openapicheck: %s: content type %q not documented", where, mt)
	}
	schema, has := media["schema"]
	if !has || !isJSON(mt) {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return fmt.Errorf("openapicheck: %s: body is not JSON: %w", where, err)
	}
	if dec.More() {
		return fmt.Errorf("openapicheck: %s: trailing data after JSON body", where)
	}
	if err := d.validate(schema, v, "", 0); err != nil {
		return fmt.Errorf("openapicheck: %s: %w", where, err)
	}
	return nil
}

func isJSON(mt string) bool {
	return mt == "application/json" || strings.HasSuffix(mt, "+json")
}

// deref follows $ref chains within the document.
func (d *Doc) deref(v any) (map[string]any, string, error) {
	ref := ""
	for range 32 {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, ref, fmt.Errorf("openapicheck: %s is not an object", orRoot(ref))
		}
		r, ok := m["$ref"].(string)
		if !ok {
			return m, ref, nil
		}
		target, err := d.resolve(r)
		if err != nil {
			return nil, ref, err
		}
		v, ref = target, r
	}
	return nil, ref, fmt.Errorf("openapicheck: $ref chain too long at %s", ref)
}

func orRoot(s string) string {
	if s == "" {
		return "value"
	}
	return s
}

func (d *Doc) resolve(ref string) (any, error) {
	if !strings.HasPrefix(ref, "#/") {
		return nil, fmt.Errorf("openapicheck: only local $ref is supported, got %q", ref)
	}
	var cur any = d.root
	for _, tok := range strings.Split(ref[2:], "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("openapicheck: $ref %q does not resolve", ref)
		}
		if cur, ok = m[tok]; !ok {
			return nil, fmt.Errorf("openapicheck: $ref %q does not resolve", ref)
		}
	}
	return cur, nil
}

func (d *Doc) lintOperation(o Operation) error {
	op := d.ops[o]
	if rb, ok := op["requestBody"]; ok {
		m, _, err := d.deref(rb)
		if err != nil {
			return fmt.Errorf("%s requestBody: %w", o, err)
		}
		if err := d.lintContent(m, o.String()+" requestBody"); err != nil {
			return err
		}
	}
	responses, ok := op["responses"].(map[string]any)
	if !ok || len(responses) == 0 {
		return fmt.Errorf("openapicheck: %s has no responses", o)
	}
	for code, r := range responses {
		m, _, err := d.deref(r)
		if err != nil {
			return fmt.Errorf("%s response %s: %w", o, code, err)
		}
		if err := d.lintContent(m, o.String()+" response "+code); err != nil {
			return err
		}
	}
	return nil
}

func (d *Doc) lintContent(holder map[string]any, where string) error {
	content, _ := holder["content"].(map[string]any)
	for mt, media := range content {
		mm, ok := media.(map[string]any)
		if !ok {
			return fmt.Errorf("openapicheck: %s %s is not an object", where, mt)
		}
		if s, ok := mm["schema"]; ok {
			if err := d.lintSchema(s, where+" "+mt, 0); err != nil {
				return err
			}
		}
	}
	return nil
}

func (d *Doc) lintSchema(s any, where string, depth int) error {
	if depth > 64 {
		return nil // recursive schemas: deep enough
	}
	if _, ok := s.(bool); ok {
		return nil
	}
	m, ok := s.(map[string]any)
	if !ok {
		return fmt.Errorf("openapicheck: schema at %s is not an object", where)
	}
	for k := range m {
		if supported[k] || annotations[k] || strings.HasPrefix(k, "x-") {
			continue
		}
		return fmt.Errorf("openapicheck: schema at %s uses unsupported keyword %q", where, k)
	}
	if ref, ok := m["$ref"].(string); ok {
		t, err := d.resolve(ref)
		if err != nil {
			return fmt.Errorf("%s: %w", where, err)
		}
		return d.lintSchema(t, ref, depth+1)
	}
	if p, ok := m["pattern"].(string); ok {
		if _, err := regexp.Compile(p); err != nil {
			return fmt.Errorf("openapicheck: schema at %s: bad pattern: %w", where, err)
		}
	}
	if props, ok := m["properties"].(map[string]any); ok {
		for name, ps := range props {
			if err := d.lintSchema(ps, where+"/properties/"+name, depth+1); err != nil {
				return err
			}
		}
	}
	for _, k := range []string{"items", "additionalProperties"} {
		if sub, ok := m[k]; ok {
			if err := d.lintSchema(sub, where+"/"+k, depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}

// validate checks value v (decoded with UseNumber) against schema s; ptr is
// the JSON pointer of v in the body, for error messages.
func (d *Doc) validate(s any, v any, ptr string, depth int) error {
	if depth > 64 {
		return fmt.Errorf("%s: nesting too deep", orRoot(ptr))
	}
	if b, ok := s.(bool); ok {
		if !b {
			return fmt.Errorf("%s: not allowed", orRoot(ptr))
		}
		return nil
	}
	m, ok := s.(map[string]any)
	if !ok {
		return fmt.Errorf("%s: schema is not an object", orRoot(ptr))
	}
	if ref, ok := m["$ref"].(string); ok {
		t, err := d.resolve(ref)
		if err != nil {
			return err
		}
		return d.validate(t, v, ptr, depth+1)
	}
	at := orRoot(ptr)

	if types := schemaTypes(m); len(types) > 0 {
		got := jsonType(v)
		okType := slices.Contains(types, got) || (got == "integer" && slices.Contains(types, "number"))
		if !okType {
			return fmt.Errorf("%s: expected %s, got %s", at, strings.Join(types, " or "), got)
		}
	}
	if v == nil {
		return nil // null passed the type check (or no type was given)
	}
	if enum, ok := m["enum"].([]any); ok {
		if !slices.ContainsFunc(enum, func(e any) bool { return equalJSON(e, v) }) {
			return fmt.Errorf("%s: value not in enum", at)
		}
	}
	if c, ok := m["const"]; ok && !equalJSON(c, v) {
		return fmt.Errorf("%s: value is not the constant", at)
	}
	switch x := v.(type) {
	case string:
		n := len([]rune(x))
		if lim, ok := intKeyword(m, "minLength"); ok && n < lim {
			return fmt.Errorf("%s: shorter than %d", at, lim)
		}
		if lim, ok := intKeyword(m, "maxLength"); ok && n > lim {
			return fmt.Errorf("%s: longer than %d", at, lim)
		}
		if p, ok := m["pattern"].(string); ok {
			if re, err := regexp.Compile(p); err != nil || !re.MatchString(x) {
				return fmt.Errorf("%s: does not match pattern %q", at, p)
			}
		}
		if f, _ := m["format"].(string); f == "date-time" {
			if _, err := time.Parse(time.RFC3339Nano, x); err != nil {
				return fmt.Errorf("%s: not an RFC 3339 date-time", at)
			}
		}
	case json.Number:
		r, ok := new(big.Rat).SetString(x.String())
		if !ok {
			return fmt.Errorf("%s: bad number", at)
		}
		if lim, ok := ratKeyword(m, "minimum"); ok && r.Cmp(lim) < 0 {
			return fmt.Errorf("%s: below minimum", at)
		}
		if lim, ok := ratKeyword(m, "maximum"); ok && r.Cmp(lim) > 0 {
			return fmt.Errorf("%s: above maximum", at)
		}
	case []any:
		if lim, ok := intKeyword(m, "minItems"); ok && len(x) < lim {
			return fmt.Errorf("%s: fewer than %d items", at, lim)
		}
		if lim, ok := intKeyword(m, "maxItems"); ok && len(x) > lim {
			return fmt.Errorf("%s: more than %d items", at, lim)
		}
		if items, ok := m["items"]; ok {
			for i, e := range x {
				if err := d.validate(items, e, ptr+"/"+strconv.Itoa(i), depth+1); err != nil {
					return err
				}
			}
		}
	case map[string]any:
		if req, ok := m["required"].([]any); ok {
			for _, r := range req {
				name, _ := r.(string)
				if _, has := x[name]; !has {
					return fmt.Errorf("%s: missing required property %q", at, name)
				}
			}
		}
		props, _ := m["properties"].(map[string]any)
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			sub := ptr + "/" + strings.ReplaceAll(strings.ReplaceAll(k, "~", "~0"), "/", "~1")
			if ps, ok := props[k]; ok {
				if err := d.validate(ps, x[k], sub, depth+1); err != nil {
					return err
				}
				continue
			}
			if ap, ok := m["additionalProperties"]; ok {
				if b, isBool := ap.(bool); isBool && !b {
					return fmt.Errorf("%s: property %q not allowed", at, k)
				}
				if err := d.validate(ap, x[k], sub, depth+1); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func schemaTypes(m map[string]any) []string {
	var types []string
	switch t := m["type"].(type) {
	case string:
		types = []string{t}
	case []any:
		for _, e := range t {
			if s, ok := e.(string); ok {
				types = append(types, s)
			}
		}
	}
	if n, _ := m["nullable"].(bool); n && len(types) > 0 {
		types = append(types, "null")
	}
	return types
}

func jsonType(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case json.Number:
		if r, ok := new(big.Rat).SetString(x.String()); ok && r.IsInt() {
			return "integer"
		}
		return "number"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

func equalJSON(a, b any) bool {
	if na, ok := a.(json.Number); ok {
		nb, ok := b.(json.Number)
		if !ok {
			return false
		}
		ra, ok1 := new(big.Rat).SetString(na.String())
		rb, ok2 := new(big.Rat).SetString(nb.String())
		return ok1 && ok2 && ra.Cmp(rb) == 0
	}
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && bytes.Equal(ja, jb)
}

func intKeyword(m map[string]any, k string) (int, bool) {
	n, ok := m[k].(json.Number)
	if !ok {
		return 0, false
	}
	i, err := n.Int64()
	return int(i), err == nil
}

func ratKeyword(m map[string]any, k string) (*big.Rat, bool) {
	n, ok := m[k].(json.Number)
	if !ok {
		return nil, false
	}
	return new(big.Rat).SetString(n.String())
}
