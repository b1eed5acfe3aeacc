// Command ociimage builds Gatehouse's container image without a container
// daemon or a base image (neither is available where Gatehouse is built and
// tested): an OCI image from scratch holding the static gatehouse binary,
// Debian's CA bundle and an /etc/passwd entry for the non-root user 65532,
// for linux/amd64 and linux/arm64. `make image` runs it; it is a build tool,
// not shipped.
//
// It writes an OCI image layout with an index of both platforms (-layout)
// and, per platform, a tarball that `docker load` accepts (-tarball-dir).
// The Dockerfile at the repository's root builds the same image with Docker;
// a test holds the two to the same user, entrypoint, command, environment,
// ports and labels (spec below is the one place those live).
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	fs := flag.NewFlagSet("ociimage", flag.ContinueOnError)
	var (
		amd64, arm64    = fs.String("amd64", "", "static gatehouse `binary` for linux/amd64"), fs.String("arm64", "", "static gatehouse `binary` for linux/arm64")
		caBundle        = fs.String("ca-bundle", DebianCABundle, "CA certificates `file` (Debian's ca-certificates)")
		ver, commit     = fs.String("version", "", "image `version` (label)"), fs.String("commit", "", "source `commit` (label)")
		layoutDir       = fs.String("layout", "", "write an OCI image layout of both platforms to this `directory`")
		tarDir, repoTag = fs.String("tarball-dir", "", "write gatehouse-image-linux-<arch>.tar (docker load) into this `directory`"), fs.String("tag", "gatehouse:latest", "`name:tag` in the tarballs")
	)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	var missing []string
	for name, v := range map[string]string{"-amd64": *amd64, "-arm64": *arm64, "-version": *ver, "-commit": *commit, "-layout": *layoutDir} {
		if v == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		fmt.Fprintf(os.Stderr, "ociimage: missing %s\n", strings.Join(missing, ", "))
		return 2
	}
	ca, err := os.ReadFile(*caBundle)
	if err != nil {
		fmt.Fprintf(os.Stderr, "ociimage: the CA bundle %s: %v\nociimage: install Debian's ca-certificates (apt-get install ca-certificates) or pass -ca-bundle\n", *caBundle, err)
		return 1
	}
	labels := Labels(*ver, *commit)
	var imgs []PlatformImage
	for _, p := range []struct{ arch, bin string }{{"amd64", *amd64}, {"arm64", *arm64}} {
		bin, err := os.ReadFile(p.bin)
		if err != nil {
			fmt.Fprintln(os.Stderr, "ociimage:", err)
			return 1
		}
		img, err := Build(p.arch, bin, ca, labels)
		if err != nil {
			fmt.Fprintln(os.Stderr, "ociimage:", err)
			return 1
		}
		imgs = append(imgs, PlatformImage{Arch: p.arch, Image: img})
		if *tarDir != "" {
			path := filepath.Join(*tarDir, "gatehouse-image-linux-"+p.arch+".tar")
			if err := WriteTarball(path, *repoTag, img); err != nil {
				fmt.Fprintln(os.Stderr, "ociimage:", err)
				return 1
			}
			fmt.Println("wrote", path)
		}
	}
	if err := WriteLayout(*layoutDir, imgs); err != nil {
		fmt.Fprintln(os.Stderr, "ociimage:", err)
		return 1
	}
	fmt.Println("wrote", *layoutDir, "(OCI layout: linux/amd64, linux/arm64)")
	return 0
}
