// Package openapicheck checks HTTP request and response bodies against an
// OpenAPI 3 document (JSON), so a service's tests can prove that what its
// handlers accept and answer is what its published document says.
//
// It is a test aid with a deliberately small schema subset, stdlib only:
//
//	type (a string, or in 3.1 an array such as ["string","null"]),
//	nullable (3.0), required, properties, additionalProperties (boolean or
//	schema), items, enum, const, format "date-time" (RFC 3339; other formats
//	are annotations), minLength, maxLength, pattern, minimum, maximum,
//	minItems, maxItems, and $ref to "#/components/...".
//
// Annotations (description, title, example, examples, default, deprecated,
// readOnly, writeOnly, $comment, x-*) are ignored. Any other keyword (allOf,
// oneOf, anyOf, not, ...) makes Parse fail: a keyword silently ignored would
// be a check silently skipped.
//
// Why not kin-openapi (github.com/getkin/kin-openapi, v0.153.0 checked): its
// request and response filter validates against what it understands and
// passes over keywords it does not, where this package refuses them; and the
// portal publishes an OpenAPI 3.1 document, for which kin-openapi's support
// is incomplete. A few hundred lines of stdlib are cheaper than a
// dependency that checks less.
//
// Typical use in a test: Parse the document, run each documented operation
// through the handler with httptest, call CheckRequest and CheckResponse on
// what went in and out, and compare Operations with the operations the test
// exercised.
package openapicheck
