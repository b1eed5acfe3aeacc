package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse/internal/testkit/localservices"
	"github.com/gatehouse-auth/gatehouse/internal/testkit/logscan"
)

func TestMain(m *testing.M) {
	os.Exit(localservices.Run(m, localservices.CognitoIDP, localservices.DynamoDB, localservices.KMS))
}

// The README's first command stays true: the whole story passes end to end
// with the real gatehouse binary, and no token or secret is printed.
func TestDemoStory(t *testing.T) {
	localservices.Require(t, localservices.CognitoIDP, localservices.DynamoDB, localservices.KMS)
	bin := filepath.Join(t.TempDir(), "gatehouse")
	build := exec.Command("go", "build", "-o", bin, "github.com/gatehouse-auth/gatehouse/cmd/gatehouse")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build the CLI: %v\n%s", err, out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	s, err := startStack(ctx, bin)
	if s != nil {
		defer s.Stop()
	}
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	err = walk(ctx, s, &out)
	t.Log("\n" + out.String())
	if err != nil {
		t.Fatal(err)
	}
	secrets := []string{s.webClientSecret, s.partnerSecret, s.partnerAdminSecret, s.passwords[person], s.passwords[administrator],
		s.passwords[partnerAdmin], s.passwords[partnerAdmin+"-temporary"], s.passwords[recreatedPassword]}
	logscan.NoSecrets(t, out.String(), secrets...)
	if strings.Contains(out.String(), "eyJ") {
		t.Error("the story printed a token")
	}
	for _, name := range []string{"serve", "portal", "partners"} {
		data, err := os.ReadFile(filepath.Join(s.dir, name+".log"))
		if err != nil {
			t.Fatal(err)
		}
		logscan.NoSecrets(t, string(data), secrets...)
		if strings.Contains(string(data), "eyJ") {
			t.Errorf("gatehouse %s logged a token", name)
		}
	}
}
