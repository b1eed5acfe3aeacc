package localservices

import (
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"
)

// requireVariable names the environment variable that makes a missing
// service or tool fail the tests that need it instead of skipping them
// (make unit sets it; so does CI, through the CI variable).
const requireVariable = "GATEHOUSE_REQUIRE_SERVICES"

// required reports whether a missing service or tool fails a test rather
// than skipping it: requireVariable is "1", or CI is set.
func required() bool {
	return os.Getenv(requireVariable) == "1" || os.Getenv("CI") != ""
}

// Run declares the services a package's tests may ask for with Require,
// runs the tests and stops every stand-in they started. It returns the exit
// code for os.Exit. Nothing is started here: a test that needs no service
// runs on a machine that has none.
//
// Until a test requires it, each declared service that the SDK's variables
// do not already point at is pointed at a placeholder that refuses every
// call with an error naming Require, so a test that forgets Require fails
// at once and never reaches AWS; test credentials are set, as for a started
// stand-in.
func Run(m *testing.M, services ...Service) int {
	var unset []Service
	for _, s := range services {
		if !configured(s) {
			unset = append(unset, s)
		}
	}
	if len(unset) > 0 {
		srv := httptest.NewServer(http.HandlerFunc(refuse))
		defer srv.Close()
		setPlaceholder(srv.URL)
		defer setPlaceholder("")
		for _, s := range unset {
			os.Setenv(s.envVar, srv.URL)
		}
		setTestCredentials()
	}
	defer StopAll()
	return m.Run()
}

// Require makes services reachable for tb through their standard endpoint
// variables, starting the package's shared stand-in the first time a test
// asks for it. When a stand-in's program is not installed, tb is skipped
// with one line naming it, or fails when GATEHOUSE_REQUIRE_SERVICES=1 or CI
// is set; a stand-in that does not start fails tb. Call it before building
// a client from the environment (config.LoadDefaultConfig).
func Require(tb testing.TB, services ...Service) {
	tb.Helper()
	err := Start(services...)
	if errors.Is(err, ErrNotInstalled) {
		missing(tb, err.Error())
	} else if err != nil {
		tb.Fatalf("localservices: %v", err)
	}
}

// Tool returns the path of a program a test runs (nginx, caddy, python3).
// When it is not installed, tb is skipped with one line naming it, or fails
// when GATEHOUSE_REQUIRE_SERVICES=1 or CI is set.
func Tool(tb testing.TB, name string) string {
	tb.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		missing(tb, fmt.Sprintf("%s is %v (make tools installs it)", name, ErrNotInstalled))
	}
	return p
}

func missing(tb testing.TB, why string) {
	tb.Helper()
	if required() {
		tb.Fatalf("localservices: %s, and %s=1 or CI is set", why, requireVariable)
	} else {
		tb.Skipf("localservices: %s", why)
	}
}

var (
	placeholderMu  sync.Mutex
	placeholderVal string
)

func setPlaceholder(url string) {
	placeholderMu.Lock()
	defer placeholderMu.Unlock()
	placeholderVal = url
}

// placeholderURL is the URL of Run's placeholder, or "".
func placeholderURL() string {
	placeholderMu.Lock()
	defer placeholderMu.Unlock()
	return placeholderVal
}

// refuse answers like an AWS JSON API with a client error (not retried by
// the SDK) that says what is missing.
func refuse(w http.ResponseWriter, r *http.Request) {
	body, _ := json.Marshal(map[string]string{
		"__type":  "LocalServiceNotRequired",
		"message": fmt.Sprintf("localservices: %s reached a service its test did not ask for: call localservices.Require(t, ...) before building the client", r.Header.Get("X-Amz-Target")),
	})
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	// The DynamoDB client checks this checksum of every answer.
	w.Header().Set("X-Amz-Crc32", strconv.FormatUint(uint64(crc32.ChecksumIEEE(body)), 10))
	w.WriteHeader(http.StatusBadRequest)
	_, _ = w.Write(body)
}
