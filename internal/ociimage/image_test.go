package main

import (
	"archive/tar"
	"bufio"
	"debug/elf"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// checkConfig holds an image's config to the spec.
func checkConfig(t *testing.T, img v1.Image, arch, version, commit string) {
	t.Helper()
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	c := cf.Config
	if cf.OS != "linux" || cf.Architecture != arch {
		t.Errorf("platform %s/%s, want linux/%s", cf.OS, cf.Architecture, arch)
	}
	if c.User != User || !slices.Equal(c.Entrypoint, Entrypoint) || !slices.Equal(c.Cmd, Cmd) || !slices.Equal(c.Env, Env) {
		t.Errorf("config %+v", c)
	}
	if got := slices.Sorted(maps.Keys(c.ExposedPorts)); !slices.Equal(got, ExposedPorts) {
		t.Errorf("exposed ports %v, want %v", got, ExposedPorts)
	}
	if !maps.Equal(c.Labels, Labels(version, commit)) {
		t.Errorf("labels %v", c.Labels)
	}
}

// layerFiles reads the image's files: path to header and body.
func layerFiles(t *testing.T, img v1.Image) (map[string]*tar.Header, map[string][]byte) {
	t.Helper()
	layers, err := img.Layers()
	if err != nil || len(layers) != 1 {
		t.Fatalf("%d layers (%v), want 1", len(layers), err)
	}
	rc, err := layers[0].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	hdrs, bodies := map[string]*tar.Header{}, map[string][]byte{}
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return hdrs, bodies
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		hdrs[h.Name], bodies[h.Name] = h, b
	}
}

func TestBuild(t *testing.T) {
	img, err := Build("arm64", []byte("BINARY"), []byte("CA"), Labels("1.2.3", "abc"))
	if err != nil {
		t.Fatal(err)
	}
	checkConfig(t, img, "arm64", "1.2.3", "abc")
	hdrs, bodies := layerFiles(t, img)
	want := map[string]string{"etc/passwd": Passwd, "etc/group": Group, "etc/ssl/certs/ca-certificates.crt": "CA", "usr/local/bin/gatehouse": "BINARY"}
	for path, body := range want {
		if string(bodies[path]) != body {
			t.Errorf("%s = %q, want %q", path, bodies[path], body)
		}
	}
	for path, h := range hdrs {
		if h.Uid != 0 || h.Gid != 0 {
			t.Errorf("%s owned by %d:%d: the process could change it", path, h.Uid, h.Gid)
		}
		if h.Typeflag == tar.TypeReg && want[path] == "" {
			t.Errorf("unexpected file %s", path)
		}
	}
	if hdrs["usr/local/bin/gatehouse"].Mode != 0o755 {
		t.Errorf("binary mode %o", hdrs["usr/local/bin/gatehouse"].Mode)
	}
	if !strings.Contains(Passwd, ":65532:65532:") || !strings.HasPrefix(User, "65532:") {
		t.Error("user 65532 not in /etc/passwd or not the image's user")
	}
	// Same inputs, same image.
	again, _ := Build("arm64", []byte("BINARY"), []byte("CA"), Labels("1.2.3", "abc"))
	d1, _ := img.Digest()
	d2, _ := again.Digest()
	if d1 != d2 {
		t.Errorf("digests differ: %s, %s", d1, d2)
	}
}

// dockerfile reads the final stage of the Dockerfile: its instructions by
// keyword, continuation lines joined, ARG defaults substituted.
func dockerfile(t *testing.T) map[string][]string {
	t.Helper()
	f, err := os.Open("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var stage map[string][]string
	args := map[string]string{}
	sc := bufio.NewScanner(f)
	line := ""
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(l, "#") || l == "" {
			continue
		}
		if strings.HasSuffix(l, `\`) {
			line += strings.TrimSuffix(l, `\`) + " "
			continue
		}
		line += l
		kw, rest, _ := strings.Cut(line, " ")
		line = ""
		switch kw = strings.ToUpper(kw); kw {
		case "FROM":
			stage, args = map[string][]string{"FROM": {rest}}, map[string]string{}
		case "ARG":
			for _, a := range strings.Fields(rest) {
				k, v, _ := strings.Cut(a, "=")
				args[k] = v
			}
		default:
			stage[kw] = append(stage[kw], os.Expand(rest, func(k string) string { return args[k] }))
		}
	}
	return stage
}

// TestDockerfileMatchesImage: the Dockerfile (which cannot be built here)
// declares what `make image` builds.
func TestDockerfileMatchesImage(t *testing.T) {
	df := dockerfile(t)
	if df["FROM"][0] != "scratch" {
		t.Errorf("final stage FROM %s, want scratch", df["FROM"][0])
	}
	if !slices.Equal(df["USER"], []string{User}) {
		t.Errorf("USER %v, want %s", df["USER"], User)
	}
	for kw, want := range map[string][]string{"ENTRYPOINT": Entrypoint, "CMD": Cmd} {
		var got []string
		if len(df[kw]) != 1 || json.Unmarshal([]byte(df[kw][0]), &got) != nil || !slices.Equal(got, want) {
			t.Errorf("%s %v, want the exec form of %q", kw, df[kw], want)
		}
	}
	if !slices.Equal(df["ENV"], Env) {
		t.Errorf("ENV %v, want %v", df["ENV"], Env)
	}
	var ports []string
	for _, e := range df["EXPOSE"] {
		ports = append(ports, strings.Fields(e)...)
	}
	if slices.Sort(ports); !slices.Equal(ports, ExposedPorts) {
		t.Errorf("EXPOSE %v, want %v", ports, ExposedPorts)
	}
	label := regexp.MustCompile(`^(\S+)="([^"]*)"$`)
	labels := map[string]string{}
	for _, l := range df["LABEL"] {
		m := label.FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("LABEL %q is not one key=\"value\"", l)
		}
		labels[m[1]] = m[2]
	}
	if want := Labels("devel", "devel"); !maps.Equal(labels, want) {
		t.Errorf("LABELs %v, want %v", labels, want)
	}
	var copied []string
	for _, c := range df["COPY"] {
		f := strings.Fields(c)
		copied = append(copied, strings.TrimPrefix(f[len(f)-1], "/"))
	}
	var files []string
	for _, f := range Files(nil, nil) {
		files = append(files, f.path)
	}
	if slices.Sort(copied); !slices.Equal(copied, slices.Sorted(slices.Values(files))) {
		t.Errorf("COPY to %v, want %v", copied, files)
	}
	if !strings.Contains(strings.Join(df["COPY"], "\n"), DebianCABundle+" "+DebianCABundle) {
		t.Error("the CA bundle does not come from Debian's ca-certificates path")
	}
}

// TestBuiltImage checks what `make image` wrote (GATEHOUSE_IMAGE_LAYOUT,
// set by make image-check): both platforms' configs, static binaries of
// the right architecture, the docker-load tarballs, and the linux/amd64
// binary, extracted from its layer, running `gatehouse version`. The arm64
// binary is checked statically (no emulator here).
func TestBuiltImage(t *testing.T) {
	dir := os.Getenv("GATEHOUSE_IMAGE_LAYOUT")
	if dir == "" {
		t.Skip("GATEHOUSE_IMAGE_LAYOUT not set: run make image-check")
	}
	lp, err := layout.FromPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := lp.ImageIndex()
	if err != nil {
		t.Fatal(err)
	}
	// index.json lists the platforms' manifests.
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	machines := map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}
	var archs []string
	for _, d := range im.Manifests {
		arch := d.Platform.Architecture
		archs = append(archs, d.Platform.OS+"/"+arch)
		img, err := idx.Image(d.Digest)
		if err != nil {
			t.Fatal(err)
		}
		cf, _ := img.ConfigFile()
		ver, commit := cf.Config.Labels["org.opencontainers.image.version"], cf.Config.Labels["org.opencontainers.image.revision"]
		if ver == "" || commit == "" {
			t.Errorf("%s: version or revision label empty", arch)
		}
		checkConfig(t, img, arch, ver, commit)
		_, bodies := layerFiles(t, img)
		bin := filepath.Join(t.TempDir(), "gatehouse")
		if err := os.WriteFile(bin, bodies["usr/local/bin/gatehouse"], 0o755); err != nil {
			t.Fatal(err)
		}
		ef, err := elf.Open(bin)
		if err != nil {
			t.Fatalf("%s: %v", arch, err)
		}
		if ef.Machine != machines[arch] {
			t.Errorf("%s: binary for %s", arch, ef.Machine)
		}
		for _, p := range ef.Progs {
			if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
				t.Errorf("%s: binary is dynamically linked", arch)
			}
		}
		ef.Close()
		if arch == "amd64" {
			out, err := exec.Command(bin, "version").CombinedOutput()
			if want := "gatehouse " + ver + " (commit " + commit + ", "; err != nil || !strings.HasPrefix(string(out), want) {
				t.Errorf("gatehouse version: %q (%v), want %q…", out, err, want)
			}
			// The image's command with only the image's environment: serve
			// refuses to start (exit 2), naming what is missing, rather
			// than guess the proxy's convention.
			cmd := exec.Command(bin, Cmd...)
			cmd.Env = Env
			out, err = cmd.CombinedOutput()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != 2 || !strings.Contains(string(out), "GATEHOUSE_REQUEST_HEADERS") {
				t.Errorf("the image's default command without configuration: %v, %q; want exit 2 naming GATEHOUSE_REQUEST_HEADERS", err, out)
			}
		}
		tb, err := tarball.ImageFromPath(filepath.Join(filepath.Dir(dir), "gatehouse-image-linux-"+arch+".tar"), nil)
		if err != nil {
			t.Fatalf("%s tarball: %v", arch, err)
		}
		// The tarball's manifest is docker's, so only the configs compare.
		c1, _ := tb.ConfigName()
		c2, _ := img.ConfigName()
		if c1 != c2 {
			t.Errorf("%s: tarball config %s, layout config %s", arch, c1, c2)
		}
	}
	if slices.Sort(archs); !reflect.DeepEqual(archs, []string{"linux/amd64", "linux/arm64"}) {
		t.Errorf("platforms %v", archs)
	}
}
