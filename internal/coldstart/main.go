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
//	init faults  minor page faults until then (minflt, /proc/<pid>/stat):
//	           each costs a trap, dear on a virtualised machine
//	first      the first event handed over to its response (token
//	           verification, the mapping lookup in DynamoDB, the policy)
//	RSS        VmHWM of the process after the first response
//
// and prints each bootstrap's size and the medians. Two contenders run in
// the same loop, alternated start by start so that both see the same load:
// the authorizer and the floor (internal/coldstart/floor, a Go Lambda
// bootstrap answering a fixed Allow with no AWS SDK), so the result says
// how much of init is Go, aws-lambda-go and this machine, and how much is
// Gatehouse's. -old DIR adds a third, cmd/authorizer built from the source
// tree at DIR (an older commit: see the script's OLD).
//
// Each bootstrap gets an environment like Lambda's, not this machine's:
// the runtime variables Lambda documents (AWS_LAMBDA_RUNTIME_API,
// AWS_LAMBDA_FUNCTION_*, AWS_REGION, credentials, TZ, LANG, PATH,
// LAMBDA_TASK_ROOT, _HANDLER, ...) and, from this process's environment,
// the GATEHOUSE_* and AWS_ENDPOINT_URL* variables (the script takes them
// from forwardauth/internal/benchfixture) and GODEBUG. Anything else this
// machine exports (AWS_CA_BUNDLE, AWS_PROFILE, HOME, ...) would make the
// SDK do work Lambda never asks of it. -token names a file whose first
// line is a token that must be allowed.
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
	runs := flag.Int("runs", 10, "cold starts to measure, per contender")
	tokenFile := flag.String("token", "", "file whose first line is a token to authorize (required)")
	logs := flag.Bool("logs", false, "print the first cold start's logs to stderr")
	old := flag.String("old", "", "also measure cmd/authorizer built from the source tree at this directory")
	flag.Parse()
	if *tokenFile == "" || *runs < 1 {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(*runs, *tokenFile, *old, *logs); err != nil {
		fmt.Fprintln(os.Stderr, "coldstart:", err)
		os.Exit(1)
	}
}

// start is one cold start's figures.
type start struct {
	init, initCPU, first time.Duration
	initFaults           int
	hwmKiB               int
}

// contender is one bootstrap, what it is built from (package pkg of the
// module at dir, "" for this one) and its cold starts.
type contender struct {
	name, dir, pkg, bootstrap string
	size                      int64
	starts                    []start
}

func run(runs int, tokenFile, oldDir string, logs bool) error {
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
	cs := []*contender{{name: "gatehouse", pkg: "./cmd/authorizer"}, {name: "floor", pkg: "./internal/coldstart/floor"}}
	if oldDir != "" {
		cs = slices.Insert(cs, 1, &contender{name: "gatehouse (old)", dir: oldDir, pkg: "./cmd/authorizer"})
	}
	for i, c := range cs {
		// Each in its own directory, named bootstrap as Lambda runs it.
		c.bootstrap = filepath.Join(dir, fmt.Sprint(i), "bootstrap")
		build := exec.Command("go", "build", "-tags", "lambda.norpc", "-trimpath", "-ldflags=-s -w", "-o", c.bootstrap, c.pkg)
		build.Dir = c.dir
		build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("build %s: %w", c.name, err)
		}
		fi, err := os.Stat(c.bootstrap)
		if err != nil {
			return err
		}
		c.size = fi.Size()
	}

	event, err := json.Marshal(map[string]string{
		"type":               "TOKEN",
		"authorizationToken": "Bearer " + token,
		"methodArn":          "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/GET/orders/1",
	})
	if err != nil {
		return err
	}
	for i := range runs {
		// Each round starts with the next contender, so none always goes
		// first after the pause between rounds.
		for j := range cs {
			c := cs[(i+j)%len(cs)]
			s, err := once(c.bootstrap, event, logs && i == 0)
			if err != nil {
				return fmt.Errorf("%s, cold start %d: %w", c.name, i+1, err)
			}
			c.starts = append(c.starts, s)
		}
	}

	fmt.Printf("%d cold starts each, alternated; bootstraps linux/amd64, -tags lambda.norpc, -trimpath -ldflags='-s -w'\n", runs)
	fmt.Printf("environment: Lambda's runtime variables, GATEHOUSE_*, AWS_ENDPOINT_URL*, GODEBUG (not this machine's)\n")
	fmt.Printf("median (range)\n")
	// row prints get of every contender's starts (round i's start s) as
	// median (range).
	row := func(what string, get func(i int, s start) float64, prec int, unit string) {
		fmt.Printf("  %-30s", what)
		for _, c := range cs {
			v := make([]float64, len(c.starts))
			for i, s := range c.starts {
				v[i] = get(i, s)
			}
			slices.Sort(v)
			fmt.Printf("  %-30s", fmt.Sprintf("%.*f (%.*f–%.*f) %s", prec, v[len(v)/2], prec, v[0], prec, v[len(v)-1], unit))
		}
		fmt.Println()
	}
	fmt.Printf("  %-30s", "")
	for _, c := range cs {
		fmt.Printf("  %-30s", c.name)
	}
	fmt.Println()
	fmt.Printf("  %-30s", "bootstrap size")
	for _, c := range cs {
		fmt.Printf("  %-30s", fmt.Sprintf("%.1f MiB", float64(c.size)/(1<<20)))
	}
	fmt.Println()
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	row("init, exec to first /next", func(_ int, s start) float64 { return ms(s.init) }, 1, "ms")
	row("init CPU time (all threads)", func(_ int, s start) float64 { return ms(s.initCPU) }, 1, "ms")
	row("init minor page faults", func(_ int, s start) float64 { return float64(s.initFaults) }, 0, "")
	// Paired: each start against the gatehouse start of the same round,
	// so that load common to the round cancels.
	row("init CPU ÷ gatehouse's, paired", func(i int, s start) float64 {
		return float64(s.initCPU) / float64(cs[0].starts[i].initCPU)
	}, 2, "")
	row("first invocation", func(_ int, s start) float64 { return ms(s.first) }, 1, "ms")
	row("peak RSS (VmHWM)", func(_ int, s start) float64 { return float64(s.hwmKiB) / 1024 }, 1, "MiB")
	return nil
}

// lambdaEnv is the environment a bootstrap starts with: the variables
// Lambda sets for a provided.al2023 function (its documented runtime
// environment, with this stand-in's Runtime API and the fixture's region
// and credentials), then the GATEHOUSE_*, AWS_ENDPOINT_URL* and GODEBUG
// variables of this process. Nothing else of this machine's environment.
func lambdaEnv(runtimeAPI, taskRoot string) []string {
	get := func(name, def string) string {
		if v := os.Getenv(name); v != "" {
			return v
		}
		return def
	}
	region := get("AWS_REGION", get("AWS_DEFAULT_REGION", "us-east-1"))
	env := []string{
		"AWS_LAMBDA_RUNTIME_API=" + runtimeAPI,
		"_HANDLER=bootstrap",
		"AWS_LAMBDA_FUNCTION_NAME=authorizer",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=128",
		"AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
		"AWS_LAMBDA_INITIALIZATION_TYPE=on-demand",
		"AWS_LAMBDA_LOG_GROUP_NAME=/aws/lambda/authorizer",
		"AWS_LAMBDA_LOG_STREAM_NAME=2026/12/02/[$LATEST]0123456789abcdef0123456789abcdef",
		"AWS_REGION=" + region,
		"AWS_DEFAULT_REGION=" + region,
		"AWS_ACCESS_KEY_ID=" + get("AWS_ACCESS_KEY_ID", "test"),
		"AWS_SECRET_ACCESS_KEY=" + get("AWS_SECRET_ACCESS_KEY", "test"),
		"AWS_SESSION_TOKEN=" + get("AWS_SESSION_TOKEN", "test"),
		"TZ=:UTC",
		"LANG=en_US.UTF-8",
		"PATH=/usr/local/bin:/usr/bin/:/bin:/opt/bin",
		"LD_LIBRARY_PATH=/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib",
		"LAMBDA_TASK_ROOT=" + taskRoot,
		"LAMBDA_RUNTIME_DIR=/var/runtime",
	}
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "GATEHOUSE_") || strings.HasPrefix(kv, "AWS_ENDPOINT_URL") || strings.HasPrefix(kv, "GODEBUG=") {
			env = append(env, kv)
		}
	}
	return env
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
	// Lambda's working directory is the task root, where the bootstrap is.
	cmd.Dir = filepath.Dir(bootstrap)
	cmd.Env = lambdaEnv(ln.Addr().String(), cmd.Dir)
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
	if s.initFaults, err = minorFaults(cmd.Process.Pid); err != nil {
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

// minorFaults is pid's minor page faults so far: minflt, field 10 of
// /proc/<pid>/stat (counted after the command name, which may hold spaces).
func minorFaults(pid int) (int, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc/%d/stat: unexpected form", pid)
	}
	fields := strings.Fields(string(b[i+1:])) // from field 3, state
	if len(fields) < 8 {
		return 0, fmt.Errorf("/proc/%d/stat: unexpected form", pid)
	}
	var n int
	_, err = fmt.Sscan(fields[10-3], &n)
	return n, err
}
