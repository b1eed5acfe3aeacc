package localservices

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Service is an AWS API that a test package needs.
type Service struct {
	name   string // for messages
	envVar string // the SDK's service-specific endpoint variable
	server server
}

// The services the harness knows, each with the stand-in it starts.
var (
	DynamoDB   = Service{"DynamoDB", "AWS_ENDPOINT_URL_DYNAMODB", motoServer}
	KMS        = Service{"KMS", "AWS_ENDPOINT_URL_KMS", motoServer}
	CognitoIDP = Service{"Cognito user pools", "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER", cognitoLocal}

	known = []Service{DynamoDB, KMS, CognitoIDP}
)

// server is a kind of stand-in process.
type server int

const (
	motoServer server = iota + 1
	cognitoLocal
)

// How long a stand-in may take to answer after it was started. cognito-local
// needs about 4 s on a quiet machine; the race detector and a busy CI runner
// make that longer.
const startTimeout = 60 * time.Second

// standIns holds the one instance of each kind this process starts, shared
// by every test of the package. A start that failed is not retried: every
// later Require gets the same answer at once.
var standIns = map[server]*standIn{motoServer: {}, cognitoLocal: {}}

type standIn struct {
	mu  sync.Mutex
	p   *process
	err error
}

type process struct {
	url    string
	cmd    *exec.Cmd
	dir    string
	log    *os.File
	exited chan error // receives cmd.Wait's result once
}

// ErrNotInstalled is wrapped by Start's error when a stand-in's program
// (moto_server, node, npm) is not installed; Require skips on it.
var ErrNotInstalled = errors.New("not installed")

// Start makes every service in services reachable through its standard
// endpoint variable, starting stand-ins where nothing is configured (the
// demo's way; tests call Require).
func Start(services ...Service) error {
	started := false
	for _, s := range services {
		if configured(s) {
			continue
		}
		url, err := ensure(s.server)
		if err != nil {
			return fmt.Errorf("no local %s: %w", s.name, err)
		}
		if err := os.Setenv(s.envVar, url); err != nil {
			return err
		}
		started = true
	}
	if started {
		setTestCredentials()
	}
	return nil
}

// configured reports whether the SDK's variables point s somewhere other
// than Run's placeholder.
func configured(s Service) bool {
	v := os.Getenv(s.envVar)
	if v == "" {
		return os.Getenv("AWS_ENDPOINT_URL") != ""
	}
	return v != placeholderURL()
}

// setTestCredentials sets test credentials and a region where missing, and
// keeps the SDK from reading a developer's ~/.aws files. Only where this
// process provides the endpoints (stand-ins, Run's placeholder): never
// override real credentials that go with a configured endpoint.
func setTestCredentials() {
	setDefault("AWS_ACCESS_KEY_ID", "test")
	setDefault("AWS_SECRET_ACCESS_KEY", "test")
	setDefault("AWS_REGION", "us-east-1")
	setDefault("AWS_CONFIG_FILE", os.DevNull)
	setDefault("AWS_SHARED_CREDENTIALS_FILE", os.DevNull)
}

// Endpoint returns the URL a service is reached at, as the SDK would resolve
// it from the environment, or "" when none is set.
func Endpoint(s Service) string {
	if v := os.Getenv(s.envVar); v != "" {
		return v
	}
	return os.Getenv("AWS_ENDPOINT_URL")
}

// StopAll stops every stand-in this process started and points the
// variables that named them back at Run's placeholder (or unsets them), so
// that a later Require starts them again.
func StopAll() {
	stopped := map[string]bool{}
	for _, s := range standIns {
		s.mu.Lock()
		if s.p != nil {
			s.p.stop()
			stopped[s.p.url] = true
		}
		s.p, s.err = nil, nil
		s.mu.Unlock()
	}
	for _, s := range known {
		if !stopped[os.Getenv(s.envVar)] {
			continue
		}
		if u := placeholderURL(); u != "" {
			os.Setenv(s.envVar, u)
		} else {
			os.Unsetenv(s.envVar)
		}
	}
}

func setDefault(name, value string) {
	if os.Getenv(name) == "" {
		os.Setenv(name, value)
	}
}

// ensure returns the URL of the process's stand-in of kind, starting it the
// first time. Callers of different kinds do not wait for each other.
func ensure(kind server) (string, error) {
	s, ok := standIns[kind]
	if !ok {
		return "", fmt.Errorf("unknown stand-in %d", kind)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.p != nil {
		return s.p.url, nil
	}
	if s.err != nil {
		return "", s.err
	}
	switch kind {
	case motoServer:
		s.p, s.err = startMoto()
	case cognitoLocal:
		s.p, s.err = startCognitoLocal()
	}
	if s.err != nil {
		return "", s.err
	}
	return s.p.url, nil
}

func startMoto() (*process, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	return startMotoOn(port)
}

func startMotoOn(port int) (*process, error) {
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		return nil, fmt.Errorf("moto_server is %w (pip install 'moto[server]')", ErrNotInstalled)
	}
	dir, err := os.MkdirTemp("", "gatehouse-moto-")
	if err != nil {
		return nil, err
	}
	return launch(dir, fmt.Sprintf("http://127.0.0.1:%d", port), nil, bin, "-H", "127.0.0.1", "-p", fmt.Sprint(port))
}

func startCognitoLocal() (*process, error) {
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, fmt.Errorf("node is %w (cognito-local runs on Node.js)", ErrNotInstalled)
	}
	script, err := CognitoLocalScript()
	if err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	// cognito-local keeps its state in ./.cognito: a fresh folder each run.
	dir, err := os.MkdirTemp("", "gatehouse-cognito-local-")
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(dir, ".cognito"), 0o755); err != nil {
		return nil, err
	}
	// Plain user names (not e-mail addresses) for new pools.
	cfg := `{"UserPoolDefaults":{"UsernameAttributes":[]}}`
	if err := os.WriteFile(filepath.Join(dir, ".cognito", "config.json"), []byte(cfg), 0o644); err != nil {
		return nil, err
	}
	env := []string{"HOST=127.0.0.1", fmt.Sprintf("PORT=%d", port)}
	return launch(dir, fmt.Sprintf("http://127.0.0.1:%d", port), env, node, script)
}

// CognitoLocalScript returns the path of cognito-local's start script,
// installing the pinned version first when it is missing.
func CognitoLocalScript() (string, error) {
	dir, err := CognitoLocalModule()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "lib", "bin", "start.js"), nil
}

// CognitoLocalModule returns the folder of the installed cognito-local
// package (node_modules/cognito-local), installing the version pinned in
// tools/cognito-local with npm ci first when it is missing.
func CognitoLocalModule() (string, error) {
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(root, "tools", "cognito-local")
	module := filepath.Join(dir, "node_modules", "cognito-local")
	script := filepath.Join(module, "lib", "bin", "start.js")
	if _, err := os.Stat(script); err == nil {
		return module, nil
	}
	// Test binaries of several packages may get here at once: one installs.
	lock, err := os.OpenFile(filepath.Join(dir, ".install.lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return "", err
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return "", err
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
	if _, err := os.Stat(script); err == nil {
		return module, nil
	}
	if _, err := exec.LookPath("npm"); err != nil {
		return "", fmt.Errorf("npm is %w (it installs cognito-local)", ErrNotInstalled)
	}
	cmd := exec.Command("npm", "ci", "--no-audit", "--no-fund", "--loglevel=error")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("npm ci in %s: %w\n%s", dir, err, out)
	}
	return module, nil
}

func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("go.mod not found above the working directory")
		}
		dir = parent
	}
}

func launch(dir, url string, env []string, name string, args ...string) (*process, error) {
	log, err := os.Create(filepath.Join(dir, "server.log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout = log
	cmd.Stderr = log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		log.Close()
		return nil, err
	}
	exited := make(chan error, 1)
	p := &process{url: url, cmd: cmd, dir: dir, log: log, exited: exited}
	go func() { exited <- cmd.Wait() }()
	if err := waitUntilAnswering(url, exited); err != nil {
		p.stop()
		out, _ := os.ReadFile(log.Name())
		return nil, fmt.Errorf("%s did not answer at %s: %w\n%s", filepath.Base(name), url, err, tail(out, 2000))
	}
	return p, nil
}

func waitUntilAnswering(url string, exited <-chan error) error {
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(startTimeout)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			return fmt.Errorf("exited early: %v", err)
		default:
		}
		// Any HTTP answer at all means the server is up.
		if resp, err := client.Get(url + "/"); err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("no answer within %s", startTimeout)
}

func (p *process) stop() {
	if p.cmd.Process != nil {
		// The whole process group: npm and Python servers may fork.
		syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	}
	p.log.Close()
	os.RemoveAll(p.dir)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

// Moto is a moto_server of one test's own, for tests that pause, resume or
// restart it (outage tests), or that need moto's Cognito where the
// package's CognitoIDP is cognito-local (challenge completion); the
// package's shared stand-in, which other tests use at the same time, is
// never touched. Its URL is for the test to
// put in the SDK's endpoint variables (t.Setenv).
type Moto struct {
	URL  string
	port int

	mu sync.Mutex
	p  *process
}

// StartMoto starts a moto_server for t alone, on a free loopback port, and
// stops it when t ends.
func StartMoto(t testing.TB) *Moto {
	t.Helper()
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	p, err := startMotoOn(port)
	if errors.Is(err, ErrNotInstalled) {
		missing(t, err.Error())
	}
	if err != nil {
		t.Fatalf("localservices: %v", err)
	}
	m := &Moto{URL: p.url, port: port, p: p}
	t.Cleanup(func() {
		m.mu.Lock()
		defer m.mu.Unlock()
		_ = m.signal(syscall.SIGCONT) // a stopped process group still dies of SIGKILL; this just keeps it tidy
		m.p.stop()
	})
	return m
}

// Pause stops the server's processes (SIGSTOP): connections are still
// accepted by the kernel, but nothing answers, as with a hung dependency.
func (m *Moto) Pause() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.signal(syscall.SIGSTOP)
}

// Resume continues a paused server (SIGCONT); its state is intact.
func (m *Moto) Resume() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.signal(syscall.SIGCONT)
}

// Restart kills the server and starts a new one on the same port. moto
// keeps its state in memory only, so every table, item and key is gone:
// the caller must provision again.
func (m *Moto) Restart() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.p.stop()
	select {
	case <-m.p.exited:
	case <-time.After(startTimeout):
		return errors.New("moto_server did not exit after SIGKILL")
	}
	p, err := startMotoOn(m.port)
	if err != nil {
		return err
	}
	m.p = p
	return nil
}

func (m *Moto) signal(sig syscall.Signal) error {
	if m.p.cmd.Process == nil {
		return errors.New("moto_server is not running")
	}
	return syscall.Kill(-m.p.cmd.Process.Pid, sig)
}
