// Package httpjson is the JSON edge of Gatehouse's HTTP services (portal,
// refresh): it reads and strictly decodes request bodies and writes JSON
// answers and errors. It ships in every service binary.
//
// # One reading of a body
//
// Go's encoding/json matches object keys to struct fields case-insensitively,
// with Unicode simple folding ("uſername" and "USERNAME" both fill Username;
// U+212A KELVIN SIGN matches "k"), and the last duplicate wins. Another
// parser in front of Gatehouse (a WAF, a log pipeline, an audit rule) may
// keep the first, or match exactly. Unmarshal therefore accepts a body only
// if it can mean one thing to every reader:
//
//   - one JSON object, valid UTF-8, nothing after it;
//   - no escaped UTF-16 surrogate outside a high-low pair ("\ud800"
//     alone): encoding/json reads it as U+FFFD, JavaScript and Python
//     keep it;
//   - every key of an object decoded into a struct equals a field's JSON
//     name exactly (case-sensitive); any other key is an unknown field;
//   - no two keys of any object are equal under encoding/json's own
//     folding (the rule of strings.EqualFold): 400 duplicate_field;
//   - nesting at most MaxDepth levels.
//
// Only then does encoding/json decode the body, so what is accepted decodes
// exactly as the standard library reads it, and no key reaches a field it
// does not spell exactly.
//
// ReadBody applies the boundary rules common to every service: a bounded
// body (413 beyond the limit), and Content-Type application/json (any case,
// parameters allowed, charset only utf-8) on every body that is present
// (415 otherwise). An absent body (empty or only white space) needs no
// Content-Type; Unmarshal refuses it with 400 where a body is required.
//
// Errors are *BodyError values that answer errors.Is for ErrInvalid,
// ErrDuplicate, ErrTooLarge and ErrMediaType; FromBody turns one into the
// answer, with the service's own 413 code (it differs between services for
// history's sake).
//
// # Answers
//
// Write and WriteError write every JSON answer of the services: no-store,
// nosniff, a Content-Length, and errors as {"error":{"code","message","field"}}
// with WWW-Authenticate on 401.
package httpjson
