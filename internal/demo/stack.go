package main

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/gatehouse-auth/gatehouse/internal/demo/clientcredentials"
	"github.com/gatehouse-auth/gatehouse/internal/testkit/localservices"
	"github.com/gatehouse-auth/gatehouse/internal/testkit/userpool"
	"github.com/gatehouse-auth/gatehouse/mapping"
)

// The demo's fixed names.
const (
	apiClientsGroup = "api-users"
	adminsGroup     = "admins"
	person          = "alice"
	administrator   = "admin"
	partnerID       = "acme"
	// The partner whose own administrator rotates its credential (step 6).
	selfServePartner = "initech"
	partnerAdmin     = "initech-admin"
	// routes makes POST /orders need the orders/write scope (step 5's 403).
	routes = `[{"method":"POST","path":"/orders","scopes":["orders/write"]}]`
	// apiClientScopes are the scopes API clients get.
	apiClientScopes = "orders/read,orders/write"
)

// stack is everything the demo started, and what a caller needs to reach it.
type stack struct {
	gatehouse string
	dir       string // logs and scratch files

	poolID, issuer, jwksURL      string // the people's pool (on moto_server; its keys URL is the token endpoint's JWKS)
	partnerPoolID, partnerIssuer string // the partners' pool (on cognito-local)
	moto                         string // moto_server's URL: DynamoDB, KMS and the people's pool
	webClientID, webClientSecret string
	partnerClient, partnerSecret string
	// The partners' pool's client for people: partner administrators sign in with it.
	partnerAdminClient, partnerAdminSecret string
	table, kmsKeyID                        string
	api, portal, partners, tokenEP         string // base URLs: gatehouse serve, portal, partners, token endpoint
	sample                                 string // the sample API itself, behind gatehouse serve
	passwords                              map[string]string
	subs                                   map[string]string // Cognito sub by user name, for the mapping
	// The client-credentials stand-in's signing key, published beside the
	// people's pool's keys: the demo mints an expired token with it too
	// (step 5).
	key crypto.Signer
	kid string

	idp        *cip.Client // the people's pool's Cognito (moto_server)
	partnerIdp *cip.Client // the partners' pool's Cognito (cognito-local)
	procs      []*exec.Cmd
	servers    []*http.Server
	closers    []func()
}

// startStack starts and provisions everything. On error the returned stack
// (when not nil) holds what was started, for Stop.
func startStack(ctx context.Context, gatehouse string) (*stack, error) {
	if _, err := os.Stat(gatehouse); err != nil {
		return nil, fmt.Errorf("the gatehouse binary: %w (make build)", err)
	}
	dir, err := os.MkdirTemp("", "gatehouse-demo-")
	if err != nil {
		return nil, err
	}
	s := &stack{gatehouse: gatehouse, dir: dir, passwords: map[string]string{}, subs: map[string]string{}}
	if err := s.start(ctx); err != nil {
		return s, err
	}
	return s, nil
}

// demoRegion is the region of everything the demo provisions: moto_server
// answers GlobalSignOut (sent unsigned, so naming no region) in us-east-1
// only, and the portal's Cognito and DynamoDB calls share one region.
const demoRegion = "us-east-1"

func (s *stack) start(ctx context.Context) error {
	if err := localservices.Start(localservices.CognitoIDP, localservices.DynamoDB, localservices.KMS); err != nil {
		return err
	}
	// The region of this process and, inherited, of the gatehouse processes.
	if err := os.Setenv("AWS_REGION", demoRegion); err != nil {
		return err
	}
	awsCfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return err
	}
	// The people's pool is on moto_server, the one that serves DynamoDB
	// and KMS: only moto has GlobalSignOut (sign-out everywhere, step 7).
	// The partners' pool stays on cognito-local, which has RevokeToken
	// (revocation and rotation). See internal/testkit/localservices.
	s.moto = strings.TrimRight(localservices.Endpoint(localservices.DynamoDB), "/")
	s.idp = cip.NewFromConfig(awsCfg, func(o *cip.Options) { o.BaseEndpoint = aws.String(s.moto) })
	s.partnerIdp = cip.NewFromConfig(awsCfg)
	if err := s.provisionPool(ctx); err != nil {
		return fmt.Errorf("provision the user pools (the people's pool on the moto_server at %s, DynamoDB's endpoint): %w", s.moto, err)
	}
	if err := s.provisionStore(ctx, dynamodb.NewFromConfig(awsCfg), kms.NewFromConfig(awsCfg)); err != nil {
		return fmt.Errorf("provision the table and key: %w", err)
	}

	// moto's signing key is not one the demo can load: the stand-in signs
	// with a key of its own and publishes it with the pool's keys, and the
	// verifiers read the people's pool's keys there.
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	s.key, s.kid = rsaKey, "gatehouse-demo-client-credentials"
	ep, err := clientcredentials.New(clientcredentials.Config{
		Cognito: s.idp, UserPoolID: s.poolID, Issuer: s.issuer, Key: s.key, KID: s.kid,
		PoolJWKSURL: s.moto + "/" + s.poolID + "/.well-known/jwks.json",
	})
	if err != nil {
		return err
	}
	s.closers = append(s.closers, ep.Close)
	mux := http.NewServeMux()
	mux.Handle("POST /oauth2/token", ep)
	mux.Handle("GET /.well-known/jwks.json", ep.JWKS())
	base, err := s.serve(mux)
	if err != nil {
		return err
	}
	s.tokenEP, s.jwksURL = base+"/oauth2/token", base+"/.well-known/jwks.json"
	if s.sample, err = s.serve(http.HandlerFunc(sampleAPI)); err != nil {
		return err
	}
	return s.startGatehouse(ctx)
}

func (s *stack) provisionPool(ctx context.Context) error {
	pool, err := userpool.Create(ctx, s.idp, "gatehouse-demo")
	if err != nil {
		return err
	}
	// moto's tokens name Cognito's real issuer (not the local host).
	region, _, _ := strings.Cut(pool.ID, "_")
	s.poolID, s.issuer = pool.ID, "https://cognito-idp."+region+".amazonaws.com/"+pool.ID
	if s.webClientID, s.webClientSecret, err = pool.Client(ctx, "web", true); err != nil {
		return err
	}
	// Partners live in a pool of their own, as deployed.
	partners, err := userpool.Create(ctx, s.partnerIdp, "gatehouse-demo-partners")
	if err != nil {
		return err
	}
	s.partnerPoolID, s.partnerIssuer = partners.ID, partners.LocalIssuer()
	if s.partnerClient, s.partnerSecret, err = partners.Client(ctx, "partners", true); err != nil {
		return err
	}
	if s.partnerAdminClient, s.partnerAdminSecret, err = partners.SignInClient(ctx, "partner-people", true); err != nil {
		return err
	}
	// The partner administrator's temporary password (locally, no
	// invitation is sent) and the one it chooses at its first sign-in.
	s.passwords[partnerAdmin+"-temporary"] = "Demo-Tmp-" + rand.Text() + "1!"
	s.passwords[partnerAdmin] = "Demo-" + rand.Text() + "1!"
	for user, group := range map[string]string{person: apiClientsGroup, administrator: adminsGroup} {
		password := "Demo-" + rand.Text() + "1!" // throwaway: lives only in this process
		if err := pool.Group(ctx, group); err != nil {
			return err
		}
		if err := pool.User(ctx, user, password, group); err != nil {
			return err
		}
		s.passwords[user] = password
		if s.subs[user], err = pool.Sub(ctx, user); err != nil {
			return err
		}
	}
	return nil
}

func (s *stack) provisionStore(ctx context.Context, ddb *dynamodb.Client, k *kms.Client) error {
	// A name of its own: the endpoint may be one the developer set up and
	// reuses (AWS_ENDPOINT_URL_DYNAMODB).
	s.table = "gatehouse-demo-" + strings.ToLower(rand.Text()[:8])
	if err := mapping.CreateTable(ctx, ddb, s.table, true); err != nil {
		return err
	}
	key, err := k.CreateKey(ctx, &kms.CreateKeyInput{Description: aws.String("gatehouse demo: seals partner refresh tokens")})
	if err != nil {
		return err
	}
	s.kmsKeyID = *key.KeyMetadata.KeyId
	// The people are provisioned in the mapping as an operator would with
	// `gatehouse users add`; partners get theirs when registered.
	store, err := mapping.New(mapping.Config{Table: s.table, DynamoDB: ddb})
	if err != nil {
		return err
	}
	for _, user := range []string{person, administrator} {
		if _, err := store.CreateUser(ctx, "", s.poolID, user, s.subs[user], mapping.KindUser); err != nil {
			return err
		}
	}
	return nil
}

// startGatehouse starts the three gatehouse processes and waits until each
// answers.
func (s *stack) startGatehouse(ctx context.Context) error {
	common := map[string]string{
		"GATEHOUSE_USER_POOL_ID":  s.poolID,
		"GATEHOUSE_ISSUER":        s.issuer,
		"GATEHOUSE_JWKS_URL":      s.jwksURL,
		"GATEHOUSE_INSECURE_HTTP": "true", // the keys are served on plain http
		"GATEHOUSE_TABLE":         s.table,
	}
	with := func(extra map[string]string) map[string]string {
		env := map[string]string{}
		for k, v := range common {
			env[k] = v
		}
		for k, v := range extra {
			env[k] = v
		}
		return env
	}

	apiAddr, opsAddr, portalAddr, partnersAddr := freeAddr(), freeAddr(), freeAddr(), freeAddr()
	s.api, s.portal, s.partners = "http://"+apiAddr, "http://"+portalAddr, "http://"+partnersAddr
	if err := s.spawn("serve", with(map[string]string{
		"GATEHOUSE_CLIENT_IDS":            s.webClientID,
		"GATEHOUSE_PARTNER_USER_POOL_ID":  s.partnerPoolID,
		"GATEHOUSE_PARTNER_CLIENT_IDS":    s.partnerClient,
		"GATEHOUSE_PARTNER_ISSUER":        s.partnerIssuer,
		"GATEHOUSE_PARTNER_INSECURE_HTTP": "true",
		"GATEHOUSE_ROUTES":                routes,
		// The demo shows a reset taking effect at once; the default, 60 s,
		// is the revocation delay the README explains.
		"GATEHOUSE_MAPPING_CACHE_TTL": "1ms",
	}), "serve", "--addr", apiAddr, "--metrics-addr", opsAddr, "--upstream", s.sample, "--log-format", "text"); err != nil {
		return err
	}
	if err := s.spawn("portal", with(map[string]string{
		"GATEHOUSE_CLIENT_IDS":           s.webClientID,
		"GATEHOUSE_API_CLIENTS_GROUP":    apiClientsGroup,
		"GATEHOUSE_API_CLIENT_SCOPES":    apiClientScopes,
		"GATEHOUSE_TOKEN_ENDPOINT":       s.tokenEP,
		"GATEHOUSE_SIGNIN_CLIENT_ID":     s.webClientID,
		"GATEHOUSE_SIGNIN_CLIENT_SECRET": s.webClientSecret,
		// The portal's Cognito is the people's pool's: moto_server.
		"AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER": s.moto,
	}), "portal", "--addr", portalAddr); err != nil {
		return err
	}
	if err := s.spawn("partners", with(map[string]string{
		"GATEHOUSE_CLIENT_IDS":            s.webClientID,
		"GATEHOUSE_KMS_KEY_ID":            s.kmsKeyID,
		"GATEHOUSE_PARTNER_USER_POOL_ID":  s.partnerPoolID,
		"GATEHOUSE_PARTNER_CLIENT_ID":     s.partnerClient,
		"GATEHOUSE_PARTNER_CLIENT_SECRET": s.partnerSecret,
		"GATEHOUSE_ADMIN_GROUP":           adminsGroup,
		// Partner administrators sign in with the partners' pool's client for people.
		"GATEHOUSE_PARTNER_ADMIN_CLIENT_ID":     s.partnerAdminClient,
		"GATEHOUSE_PARTNER_ADMIN_CLIENT_SECRET": s.partnerAdminSecret,
		"GATEHOUSE_PARTNER_ISSUER":              s.partnerIssuer,
		"GATEHOUSE_PARTNER_INSECURE_HTTP":       "true",
	}), "partners", "serve", "--addr", partnersAddr); err != nil {
		return err
	}
	if err := waitReady(ctx, "http://"+opsAddr+"/readyz", true); err != nil {
		return fmt.Errorf("gatehouse serve: %w\n%s", err, s.logTail("serve"))
	}
	for name, url := range map[string]string{"portal": s.portal, "partners": s.partners} {
		if err := waitReady(ctx, url+"/", false); err != nil {
			return fmt.Errorf("gatehouse %s: %w\n%s", name, err, s.logTail(name))
		}
	}
	return nil
}

// spawn starts the gatehouse binary with args, its output to a log file.
func (s *stack) spawn(name string, env map[string]string, args ...string) error {
	log, err := os.Create(filepath.Join(s.dir, name+".log"))
	if err != nil {
		return err
	}
	cmd := exec.Command(s.gatehouse, args...)
	cmd.Env = os.Environ()
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		log.Close()
		return fmt.Errorf("start gatehouse %s: %w", name, err)
	}
	s.procs = append(s.procs, cmd)
	s.closers = append(s.closers, func() { log.Close() })
	return nil
}

// serve runs h on a free loopback port in this process.
func (s *stack) serve(h http.Handler) (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	s.servers = append(s.servers, srv)
	return "http://" + ln.Addr().String(), nil
}

// Stop stops everything, gatehouse processes first.
func (s *stack) Stop() {
	for _, cmd := range s.procs {
		cmd.Process.Signal(syscall.SIGTERM)
	}
	for _, cmd := range s.procs {
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	}
	for _, srv := range s.servers {
		srv.Close()
	}
	for _, c := range s.closers {
		c()
	}
	localservices.StopAll()
	os.RemoveAll(s.dir)
}

func (s *stack) logTail(name string) string {
	data, _ := os.ReadFile(filepath.Join(s.dir, name+".log"))
	if len(data) > 3000 {
		data = data[len(data)-3000:]
	}
	return string(data)
}

// waitReady polls url until it answers (with 200 when want200).
func waitReady(ctx context.Context, url string, want200 bool) error {
	client := &http.Client{Timeout: time.Second}
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
			if !want200 || resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			if err == nil {
				err = fmt.Errorf("status %d", resp.StatusCode)
			}
			return fmt.Errorf("not ready at %s: %v", url, err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func freeAddr() string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// sampleAPI is the protected backend: it answers with the identity
// Gatehouse gave it, as a backend would read it.
func sampleAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]string{
		"route":            r.Method + " " + r.URL.Path,
		"internal_user_id": r.Header.Get("X-Gatehouse-User-Id"),
		"caller_kind":      r.Header.Get("X-Gatehouse-Caller-Kind"),
		"client_id":        r.Header.Get("X-Gatehouse-Client-Id"),
	})
}
