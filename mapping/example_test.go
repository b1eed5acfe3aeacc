package mapping_test

import (
	"fmt"

	"github.com/gatehouse-auth/gatehouse/mapping"
)

func ExampleFingerprint() {
	fp := mapping.Fingerprint([]byte("abc"))
	fmt.Println(fp)
	fmt.Println(mapping.FingerprintEqual(fp, mapping.Fingerprint([]byte("abc"))))
	// Output:
	// ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad
	// true
}
