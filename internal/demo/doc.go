// Command demo is what `make demo` runs: it starts local stand-ins for AWS on
// loopback, provisions a user pool, signs a person in, and shows the gatehouse
// CLI verifying the real tokens that came back, and refusing a tampered one.
// It exits 0 only when every step behaved, and stops everything it started.
package main
