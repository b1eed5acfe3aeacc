package openapicheck

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/gatehouse-auth/gatehouse/internal/apigwproxy"
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

// CompareRoutes lists the operations only in doc and the routes only in
// routes, "" when they name the same (method, path) pairs; path parameter
// names are ignored ({id} and {partner_id} are the same segment).
func CompareRoutes(doc *Doc, routes []apigwproxy.Route) string {
	param := regexp.MustCompile(`\{[^}]*\}`)
	norm := func(method, path string) string { return method + " " + param.ReplaceAllString(path, "{}") }
	documented := map[string]bool{}
	for _, op := range doc.Operations() {
		documented[norm(op.Method, op.Path)] = true
	}
	var diff []string
	for _, rt := range routes {
		k := norm(rt.Method, rt.Resource)
		if !documented[k] {
			diff = append(diff, "route not documented: "+rt.String())
		}
		delete(documented, k)
	}
	for k := range documented {
		diff = append(diff, "documented, not a route: "+k)
	}
	slices.Sort(diff)
	return strings.Join(diff, "; ")
}
