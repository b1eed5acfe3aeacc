// Command coldstart measures the Lambda authorizer's cold start on this
// machine (scripts/bench-lambda.sh, make bench-lambda): it builds
// cmd/authorizer as the deployed bootstrap is built (-tags lambda.norpc,
// static, stripped) but for linux/amd64, as the arm64 bootstrap cannot run
// here, and starts it -runs times against a local stand-in for the Lambda
// Runtime API (no local service implements it): an HTTP server answering
// GET /2018-06-01/runtime/invocation/next with one TOKEN authorizer event
// and taking its POST .../response. For each start it records
//
//	init       exec to the first /next: process start, configuration,
//	           building the authorizer and fetching the signing keys
//	init CPU   the CPU time the process used until then (all its
//	           threads' run time from /proc/<pid>/task/*/schedstat), which
//	           load on a shared machine inflates far less than wall time
//	first      the first event handed over to its response (token
//	           verification, the mapping lookup in DynamoDB, the policy)
//	RSS        VmHWM of the process after the first response
//
// and prints the bootstrap's size and the medians. The authorizer's
// GATEHOUSE_* and AWS variables come from the environment (the script
// takes them from forwardauth/internal/benchfixture); -token names a file
// whose first line is a token that must be allowed.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"time"
)

func main() {
	runs := flag.Int("runs", 10, "cold starts to measure")
	tokenFile := flag.String("token", "", "file whose first line is a token to authorize (required)")
	logs := flag.Bool("logs", false, "print the first cold start's logs to stderr")
	flag.Parse()
	if *tokenFile == "" || *runs < 1 {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(*runs, *tokenFile, *logs); err != nil {
		fmt.Fprintln(os.Stderr, "coldstart:", err)
		os.Exit(1)
	}
}

// start is one cold start's figures.
type start struct {
	init, initCPU, first time.Duration
	hwmKiB               int
}

func run(runs int, tokenFile string, logs bool) error {
	f, err := os.Open(tokenFile)
	if err != nil {
		return err
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 64<<10)
	sc.Scan()
	token := strings.TrimSpace(sc.Text())
	f.Close()
	if token == "" {
		return errors.New("no token in " + tokenFile)
	}

	dir, err := os.MkdirTemp("", "coldstart")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bootstrap := filepath.Join(dir, "bootstrap")
	build := exec.Command("go", "build", "-tags", "lambda.norpc", "-trimpath", "-ldflags=-s -w", "-o", bootstrap, "./cmd/authorizer")
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("build: %w", err)
	}
	fi, err := os.Stat(bootstrap)
	if err != nil {
		return err
	}

	event, err := json.Marshal(map[string]string{
		"type":               "TOKEN",
		"authorizationToken": "Bearer " + token,
		"methodArn":          "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/GET/orders/1",
	})
	if err != nil {
		return err
	}
	var all []start
	for i := range runs {
		s, err := once(bootstrap, event, logs && i == 0)
		if err != nil {
			return fmt.Errorf("cold start %d: %w", i+1, err)
		}
		all = append(all, s)
	}
	med := func(get func(start) float64) string {
		v := make([]float64, len(all))
		for i, s := range all {
			v[i] = get(s)
		}
		slices.Sort(v)
		return fmt.Sprintf("%.1f (%.1f–%.1f)", v[len(v)/2], v[0], v[len(v)-1])
	}
	fmt.Printf("bootstrap (linux/amd64, -tags lambda.norpc, -trimpath -ldflags='-s -w'): %.1f MiB\n", float64(fi.Size())/(1<<20))
	fmt.Printf("%d cold starts, median (range):\n", runs)
	fmt.Printf("  init, exec to first /next:  %s ms\n", med(func(s start) float64 { return float64(s.init.Microseconds()) / 1000 }))
	fmt.Printf("  init CPU time (all threads): %s ms\n", med(func(s start) float64 { return float64(s.initCPU.Microseconds()) / 1000 }))
	fmt.Printf("  first invocation:           %s ms\n", med(func(s start) float64 { return float64(s.first.Microseconds()) / 1000 }))
	fmt.Printf("  peak RSS (VmHWM):           %s MiB\n", med(func(s start) float64 { return float64(s.hwmKiB) / 1024 }))
	return nil
}

// once starts the bootstrap against a fresh Runtime API stand-in and
// measures one cold start.
func once(bootstrap string, event []byte, logs bool) (start, error) {
	const id = "cold-start-1"
	var (
		next     = make(chan time.Time, 1)
		response = make(chan []byte, 1)
		failed   = make(chan string, 1)
		done     = make(chan struct{})
	)
	mux := http.NewServeMux()
	var calls atomic.Int32
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) > 1 {
			// Measured after the first response: hold the runtime here.
			select {
			case <-done:
			case <-r.Context().Done():
			}
			return
		}
		next <- time.Now()
		w.Header().Set("Lambda-Runtime-Aws-Request-Id", id)
		w.Header().Set("Lambda-Runtime-Deadline-Ms", fmt.Sprint(time.Now().Add(time.Minute).UnixMilli()))
		w.Header().Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:123456789012:function:authorizer")
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(event)
	})
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/response", func(w http.ResponseWriter, r *http.Request) {
		var b strings.Builder
		_, _ = bufio.NewReader(r.Body).WriteTo(&b)
		response <- []byte(b.String())
		w.WriteHeader(http.StatusAccepted)
	})
	for _, p := range []string{"POST /2018-06-01/runtime/init/error", "POST /2018-06-01/runtime/invocation/{id}/error"} {
		mux.HandleFunc(p, func(w http.ResponseWriter, r *http.Request) {
			var b strings.Builder
			_, _ = bufio.NewReader(r.Body).WriteTo(&b)
			failed <- r.URL.Path + ": " + b.String()
			w.WriteHeader(http.StatusAccepted)
		})
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return start{}, err
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	defer close(done)

	cmd := exec.Command(bootstrap)
	cmd.Env = append(os.Environ(), "AWS_LAMBDA_RUNTIME_API="+ln.Addr().String(),
		"AWS_LAMBDA_FUNCTION_NAME=authorizer", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE=128", "AWS_LAMBDA_FUNCTION_VERSION=$LATEST")
	var stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stderr, &stderr // the Lambda runtime's logs: shown on failure only
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return start{}, err
	}
	defer func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if logs {
			fmt.Fprint(os.Stderr, stderr.String())
		}
	}()

	var s start
	var t1 time.Time
	select {
	case t1 = <-next: // the runtime waits for the answer: its CPU time is init's
	case msg := <-failed:
		return s, fmt.Errorf("init failed: %s\n%s", msg, stderr.String())
	case <-ctx.Done():
		return s, fmt.Errorf("no /next within 30 s\n%s", stderr.String())
	}
	s.init = t1.Sub(t0)
	if s.initCPU, err = cpuTime(cmd.Process.Pid); err != nil {
		return s, err
	}
	select {
	case body := <-response:
		s.first = time.Since(t1)
		if !strings.Contains(string(body), `"Effect":"Allow"`) {
			return s, fmt.Errorf("the token was not allowed: %s\n%s", body, stderr.String())
		}
	case msg := <-failed:
		return s, fmt.Errorf("invocation failed: %s\n%s", msg, stderr.String())
	case <-ctx.Done():
		return s, fmt.Errorf("no response within 30 s\n%s", stderr.String())
	}
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", cmd.Process.Pid))
	if err != nil {
		return s, err
	}
	for line := range strings.Lines(string(status)) {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			_, err = fmt.Sscan(v, &s.hwmKiB)
		}
	}
	if s.hwmKiB == 0 {
		return s, fmt.Errorf("no VmHWM in /proc/%d/status: %v", cmd.Process.Pid, err)
	}
	return s, nil
}

// cpuTime is the CPU time pid's threads have run, from the first field of
// each /proc/<pid>/task/<tid>/schedstat (nanoseconds on the CPU).
func cpuTime(pid int) (time.Duration, error) {
	files, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/schedstat", pid))
	if err != nil || len(files) == 0 {
		return 0, fmt.Errorf("no schedstat for process %d: %v", pid, err)
	}
	var total time.Duration
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return 0, err
		}
		var ns int64
		if _, err := fmt.Sscan(string(b), &ns); err != nil {
			return 0, fmt.Errorf("%s: %w", f, err)
		}
		total += time.Duration(ns)
	}
	return total, nil
}
