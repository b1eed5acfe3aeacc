// Package version says which Gatehouse is running: the release it is built
// from, the commit, and the Go toolchain. `gatehouse version`, the Lambdas'
// cold-start line, /metrics (gatehouse_build_info) and the image's labels all
// read it here.
//
// Release is the one place the release number lives: CHANGELOG.md's newest
// release and the Makefile's default VERSION are derived from it or tested
// against it. Version and Commit are stamped at link time by `make build` and
// `make image`:
//
//	go build -ldflags "-X github.com/gatehouse-auth/gatehouse/internal/version.Version=0.1.0 \
//	  -X github.com/gatehouse-auth/gatehouse/internal/version.Commit=$(git rev-parse HEAD)"
//
// Link-time variables rather than runtime/debug's VCS stamps because the
// build machines set GOFLAGS=-buildvcs=false. Without them a binary still
// says what it can: `go install ...@v0.1.0` reports the module version, a
// build from a work tree reports "devel".
package version

import (
	"log/slog"
	"runtime"
	"runtime/debug"
)

// Release is the newest release of Gatehouse (see CHANGELOG.md).
const Release = "0.1.0"

// Set with -ldflags -X; empty when not stamped.
var (
	Version string
	Commit  string
)

// Devel is what Version and Commit read as when neither the linker nor the
// module's build information says.
const Devel = "devel"

// Info is what the running binary knows about its build.
type Info struct {
	Version   string // a release like 0.1.0, 0.1.0+dev from make, or devel
	Commit    string // the commit it was built from, or devel
	GoVersion string // the Go toolchain, e.g. go1.26.8
}

// Get returns the running binary's build information.
func Get() Info {
	return get(Version, Commit, debug.ReadBuildInfo)
}

func get(version, commit string, read func() (*debug.BuildInfo, bool)) Info {
	info := Info{Version: version, Commit: commit, GoVersion: runtime.Version()}
	bi, ok := read()
	if ok {
		if info.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			info.Version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && info.Commit == "" {
				info.Commit = s.Value
			}
		}
	}
	if info.Version == "" {
		info.Version = Devel
	}
	if info.Commit == "" {
		info.Commit = Devel
	}
	return info
}

// String is the line `gatehouse version` prints.
func (i Info) String() string {
	return "gatehouse " + i.Version + " (commit " + i.Commit + ", " + i.GoVersion + ")"
}

// LogValue puts the three fields in a log line as a group.
func (i Info) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("version", i.Version),
		slog.String("commit", i.Commit),
		slog.String("go", i.GoVersion),
	)
}
