package openapicheck

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/big"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

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
