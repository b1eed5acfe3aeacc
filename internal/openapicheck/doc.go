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
// Typical use in a test: Parse the document, run each documented operation
// through the handler with httptest, call CheckRequest and CheckResponse on
// what went in and out, and compare Operations with the operations the test
// exercised.
package openapicheck
