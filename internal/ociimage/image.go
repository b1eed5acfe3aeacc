package main

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// The image, in one place: the Dockerfile and the Kubernetes example are
// tested against these.
const (
	// DebianCABundle is where Debian's ca-certificates keeps the bundle,
	// and where the image puts it (Go's crypto/x509 looks there).
	DebianCABundle = "/etc/ssl/certs/ca-certificates.crt"
	BinaryPath     = "/usr/local/bin/gatehouse"
	// UID is the non-root user (the distroless "nonroot" convention).
	UID         = 65532
	User        = "65532:65532"
	ServicePort = 8080 // the auth endpoint (or the proxy with --upstream)
	OpsPort     = 9090 // /healthz, /readyz, /metrics
	Source      = "https://github.com/gatehouse-auth/gatehouse"
	Licenses    = "Apache-2.0"
)

// Passwd and Group are the image's /etc/passwd and /etc/group: the one
// non-root user, so that the process has a name and a home.
const (
	Passwd = "nonroot:x:65532:65532:nonroot:/nonexistent:/sbin/nologin\n"
	Group  = "nonroot:x:65532:\n"
)

// Entrypoint and Cmd: `gatehouse serve`. Serve in forward-auth mode refuses
// to start until it is told the proxy's convention
// (GATEHOUSE_REQUEST_HEADERS) or given an upstream (GATEHOUSE_UPSTREAM): the
// image does not guess either.
var (
	Entrypoint = []string{BinaryPath}
	Cmd        = []string{"serve"}
	// Env makes serve listen on every interface of the container (its
	// defaults are loopback), flags still win.
	Env = []string{
		"PATH=/usr/local/bin",
		"SSL_CERT_FILE=" + DebianCABundle,
		fmt.Sprintf("GATEHOUSE_ADDR=0.0.0.0:%d", ServicePort),
		fmt.Sprintf("GATEHOUSE_METRICS_ADDR=0.0.0.0:%d", OpsPort),
	}
	ExposedPorts = []string{fmt.Sprintf("%d/tcp", ServicePort), fmt.Sprintf("%d/tcp", OpsPort)}
)

// Labels are the image's OCI annotations as labels.
func Labels(version, commit string) map[string]string {
	return map[string]string{
		"org.opencontainers.image.title":       "gatehouse",
		"org.opencontainers.image.description": "Gatehouse: forward-auth and reverse proxy turning Cognito tokens into one internal user id",
		"org.opencontainers.image.version":     version,
		"org.opencontainers.image.revision":    commit,
		"org.opencontainers.image.source":      Source,
		"org.opencontainers.image.licenses":    Licenses,
	}
}

// epoch is every file's and the image's time, so the same inputs give the
// same digests.
var epoch = time.Unix(0, 0).UTC()

type file struct {
	path string
	mode int64
	body []byte
}

// Files are the image's files, given the binary and the CA bundle.
func Files(binary, ca []byte) []file {
	return []file{
		{"etc/passwd", 0o644, []byte(Passwd)},
		{"etc/group", 0o644, []byte(Group)},
		{DebianCABundle[1:], 0o644, ca},
		{BinaryPath[1:], 0o755, binary},
	}
}

// layerTar is the single layer: the files with their parent directories,
// owned by root (the process cannot change them).
func layerTar(files []file) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	dirs := map[string]bool{}
	for _, f := range files {
		for i := 0; i < len(f.path); i++ {
			if f.path[i] == '/' && !dirs[f.path[:i]] {
				dirs[f.path[:i]] = true
				if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: f.path[:i+1], Mode: 0o755, ModTime: epoch, Format: tar.FormatPAX}); err != nil {
					return nil, err
				}
			}
		}
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: f.path, Mode: f.mode, Size: int64(len(f.body)), ModTime: epoch, Format: tar.FormatPAX}); err != nil {
			return nil, err
		}
		if _, err := tw.Write(f.body); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Build makes the linux/<arch> image from the static binary and CA bundle.
func Build(arch string, binary, ca []byte, labels map[string]string) (v1.Image, error) {
	tb, err := layerTar(Files(binary, ca))
	if err != nil {
		return nil, fmt.Errorf("layer: %w", err)
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(tb)), nil },
		tarball.WithMediaType(types.OCILayer))
	if err != nil {
		return nil, fmt.Errorf("layer: %w", err)
	}
	img, err := mutate.AppendLayers(mutate.MediaType(empty.Image, types.OCIManifestSchema1), layer)
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Created = "linux", arch, v1.Time{Time: epoch}
	cf.Config = v1.Config{
		User:         User,
		Entrypoint:   Entrypoint,
		Cmd:          Cmd,
		Env:          Env,
		WorkingDir:   "/",
		Labels:       labels,
		ExposedPorts: map[string]struct{}{},
	}
	for _, p := range ExposedPorts {
		cf.Config.ExposedPorts[p] = struct{}{}
	}
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		return nil, err
	}
	return mutate.ConfigMediaType(img, types.OCIConfigJSON), nil
}

// PlatformImage is one platform's image.
type PlatformImage struct {
	Arch  string
	Image v1.Image
}

// WriteLayout writes an OCI image layout at dir (replacing it) with an
// index of the images by platform.
func WriteLayout(dir string, imgs []PlatformImage) error {
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	var idx v1.ImageIndex = mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for _, p := range imgs {
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: p.Image, Descriptor: v1.Descriptor{
			Platform: &v1.Platform{OS: "linux", Architecture: p.Arch},
		}})
	}
	if _, err := layout.Write(dir, idx); err != nil {
		return fmt.Errorf("OCI layout %s: %w", dir, err)
	}
	return nil
}

// WriteTarball writes img as a `docker load` tarball tagged repoTag.
func WriteTarball(path, repoTag string, img v1.Image) error {
	tag, err := name.NewTag(repoTag)
	if err != nil {
		return err
	}
	if err := tarball.WriteToFile(path, tag, img); err != nil {
		return fmt.Errorf("tarball %s: %w", path, err)
	}
	return nil
}
