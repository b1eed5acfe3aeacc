package jwtverify

// CacheLen exposes the token cache's size to the external tests.
func CacheLen(v *Verifier) int {
	if v.cache == nil {
		return 0
	}
	return v.cache.len()
}
