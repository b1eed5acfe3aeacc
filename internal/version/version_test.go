package version

import (
	"bufio"
	"os"
	"regexp"
	"runtime"
	"runtime/debug"
	"testing"
)

func TestGet(t *testing.T) {
	noInfo := func() (*debug.BuildInfo, bool) { return nil, false }
	withInfo := func(v string, settings ...debug.BuildSetting) func() (*debug.BuildInfo, bool) {
		return func() (*debug.BuildInfo, bool) {
			return &debug.BuildInfo{Main: debug.Module{Path: "github.com/gatehouse-auth/gatehouse", Version: v}, Settings: settings}, true
		}
	}
	tests := []struct {
		name            string
		version, commit string
		read            func() (*debug.BuildInfo, bool)
		want            Info
	}{
		{"stamped by make", "0.1.0+dev", "abc123", withInfo("(devel)"), Info{"0.1.0+dev", "abc123", runtime.Version()}},
		{"stamp wins over module version", "0.2.0", "abc", withInfo("v0.1.0"), Info{"0.2.0", "abc", runtime.Version()}},
		{"go install module@version", "", "", withInfo("v0.1.0"), Info{"v0.1.0", Devel, runtime.Version()}},
		{"go build in a work tree, -buildvcs=false", "", "", withInfo("(devel)"), Info{Devel, Devel, runtime.Version()}},
		{"go build with VCS stamps", "", "", withInfo("(devel)", debug.BuildSetting{Key: "vcs.revision", Value: "f00"}), Info{Devel, "f00", runtime.Version()}},
		{"no build info", "", "", noInfo, Info{Devel, Devel, runtime.Version()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := get(tt.version, tt.commit, tt.read); got != tt.want {
				t.Errorf("get = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestString(t *testing.T) {
	got := Info{"0.1.0", "abc", "go1.26.8"}.String()
	if want := "gatehouse 0.1.0 (commit abc, go1.26.8)"; got != want {
		t.Errorf("String = %q, want %q", got, want)
	}
}

// TestChangelogRelease holds CHANGELOG.md's newest release to Release.
func TestChangelogRelease(t *testing.T) {
	f, err := os.Open("../../CHANGELOG.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	re := regexp.MustCompile(`^## \[(\d+\.\d+\.\d+)\] - \d{4}-\d{2}-\d{2}$`)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if m := re.FindStringSubmatch(sc.Text()); m != nil {
			if m[1] != Release {
				t.Fatalf("CHANGELOG.md's newest release is %s, version.Release is %s", m[1], Release)
			}
			return
		}
	}
	t.Fatal("CHANGELOG.md has no release heading like ## [0.1.0] - 2026-12-01")
}
