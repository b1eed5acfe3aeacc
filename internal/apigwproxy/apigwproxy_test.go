package apigwproxy

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

// echo reports what the handler saw, as JSON.
func echo(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, "read", 500)
		return
	}
	sub, _ := AuthorizerString(r.Context(), "internalUserId")
	rc, hasRC := RequestContext(r.Context())
	w.Header().Set("Content-Type", "application/json")
	w.Header().Add("Set-Cookie", "a=1")
	w.Header().Add("Set-Cookie", "b=2")
	w.WriteHeader(http.StatusCreated)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"method":   r.Method,
		"path":     r.URL.Path,
		"query":    r.URL.Query(),
		"accept":   r.Header.Values("Accept"),
		"host":     r.Host,
		"remote":   r.RemoteAddr,
		"body":     string(body),
		"length":   r.ContentLength,
		"sub":      sub,
		"hasRC":    hasRC,
		"stage":    rc.Stage,
		"noCtxOut": false,
	})
}

func decode(t *testing.T, resp events.APIGatewayProxyResponse) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(resp.Body), &m); err != nil {
		t.Fatalf("body %q: %v", resp.Body, err)
	}
	return m
}

func TestConversion(t *testing.T) {
	h := Handler(http.HandlerFunc(echo))
	ev := events.APIGatewayProxyRequest{
		HTTPMethod:                      "POST",
		Path:                            "/clients/abc",
		MultiValueHeaders:               map[string][]string{"accept": {"text/plain", "application/json"}, "Host": {"api.example.com"}},
		Headers:                         map[string]string{"accept": "ignored-when-multi", "X-Only-Single": "1"},
		QueryStringParameters:           map[string]string{"a": "1", "b": "x"},
		MultiValueQueryStringParameters: map[string][]string{"a": {"1", "2"}},
		Body:                            base64.StdEncoding.EncodeToString([]byte(`{"x":1}`)),
		IsBase64Encoded:                 true,
		RequestContext: events.APIGatewayProxyRequestContext{
			Stage:      "prod",
			Identity:   events.APIGatewayRequestIdentity{SourceIP: "192.0.2.1"},
			Authorizer: map[string]any{"internalUserId": "u-123", "principalId": "u-123"},
		},
	}
	resp, err := h(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if got := resp.MultiValueHeaders["Set-Cookie"]; len(got) != 2 {
		t.Errorf("Set-Cookie %v", got)
	}
	if resp.Headers["Content-Type"] != "application/json" || resp.IsBase64Encoded {
		t.Errorf("headers %v base64 %v", resp.Headers, resp.IsBase64Encoded)
	}
	m := decode(t, resp)
	want := map[string]any{
		"method": "POST", "path": "/clients/abc", "host": "api.example.com", "remote": "192.0.2.1:0",
		"body": `{"x":1}`, "length": float64(7), "sub": "u-123", "hasRC": true, "stage": "prod",
	}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("%s = %v, want %v", k, m[k], v)
		}
	}
	q := m["query"].(map[string]any)
	if a := q["a"].([]any); len(a) != 2 || q["b"].([]any)[0] != "x" {
		t.Errorf("query %v", q)
	}
	if acc := m["accept"].([]any); len(acc) != 2 {
		t.Errorf("accept %v", acc)
	}
}

func TestErrors(t *testing.T) {
	panicky := http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("secret-value") })
	big := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(strings.Repeat("x", 100)))
	})
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte{0xff, 0xfe}) })
	tests := []struct {
		name   string
		h      http.Handler
		opts   Options
		ev     events.APIGatewayProxyRequest
		status int
		code   string
	}{
		{"no method", ok, Options{}, events.APIGatewayProxyRequest{Path: "/"}, 400, "bad_request"},
		{"bad method", ok, Options{}, events.APIGatewayProxyRequest{HTTPMethod: "GE T", Path: "/"}, 400, "bad_request"},
		{"relative path", ok, Options{}, events.APIGatewayProxyRequest{HTTPMethod: "GET", Path: "x"}, 400, "bad_request"},
		{"bad base64", ok, Options{}, events.APIGatewayProxyRequest{HTTPMethod: "GET", Path: "/", Body: "!!", IsBase64Encoded: true}, 400, "bad_request"},
		{"body too large", ok, Options{MaxBodyBytes: 4}, events.APIGatewayProxyRequest{HTTPMethod: "POST", Path: "/", Body: "12345"}, 413, "request_too_large"},
		{"b64 body too large", ok, Options{MaxBodyBytes: 4}, events.APIGatewayProxyRequest{HTTPMethod: "POST", Path: "/", Body: base64.StdEncoding.EncodeToString([]byte("12345")), IsBase64Encoded: true}, 413, "request_too_large"},
		{"panic", panicky, Options{}, events.APIGatewayProxyRequest{HTTPMethod: "GET", Path: "/"}, 500, "internal"},
		{"response too large", big, Options{MaxResponseBytes: 10}, events.APIGatewayProxyRequest{HTTPMethod: "GET", Path: "/"}, 500, "internal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := NewHandler(tt.h, tt.opts)(context.Background(), tt.ev)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.status)
			}
			var body struct {
				Error struct{ Code, Message string }
			}
			if err := json.Unmarshal([]byte(resp.Body), &body); err != nil || body.Error.Code != tt.code {
				t.Fatalf("body %q (%v)", resp.Body, err)
			}
			if strings.Contains(resp.Body, "secret-value") {
				t.Fatal("panic value leaked")
			}
		})
	}
}

func TestBinaryResponseAndDefaults(t *testing.T) {
	resp, _ := Handler(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte{0xff, 0x00})
	}))(context.Background(), events.APIGatewayProxyRequest{HTTPMethod: "GET", Path: "/"})
	if resp.StatusCode != 200 || !resp.IsBase64Encoded || resp.Body != base64.StdEncoding.EncodeToString([]byte{0xff, 0}) {
		t.Fatalf("%+v", resp)
	}
	resp, _ = Handler(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusNoContent)
		w.WriteHeader(http.StatusTeapot) // ignored
	}))(context.Background(), events.APIGatewayProxyRequest{HTTPMethod: "DELETE", Path: "/x"})
	if resp.StatusCode != http.StatusNoContent || resp.Body != "" {
		t.Fatalf("%+v", resp)
	}
}

func TestAccessorsWithoutEvent(t *testing.T) {
	if _, ok := Authorizer(context.Background()); ok {
		t.Fatal("Authorizer without event")
	}
	if _, ok := AuthorizerString(context.Background(), "x"); ok {
		t.Fatal("AuthorizerString without event")
	}
	ctx := withEvent(context.Background(), &events.APIGatewayProxyRequest{RequestContext: events.APIGatewayProxyRequestContext{
		Authorizer: map[string]any{"n": float64(3), "b": true, "o": map[string]any{}},
	}})
	for k, want := range map[string]string{"n": "3", "b": "true"} {
		if got, ok := AuthorizerString(ctx, k); !ok || got != want {
			t.Errorf("%s: %q %v", k, got, ok)
		}
	}
	if _, ok := AuthorizerString(ctx, "o"); ok {
		t.Error("object accepted")
	}
}

// FuzzEvent feeds arbitrary events (as JSON) through the adapter: it must
// never panic nor return an error.
func FuzzEvent(f *testing.F) {
	f.Add([]byte(`{"httpMethod":"GET","path":"/x","headers":{"a":"b"},"body":"e30=","isBase64Encoded":true}`))
	f.Add([]byte(`{"httpMethod":"POST","path":"/","multiValueQueryStringParameters":{"a":["1",""]},"body":"{}"}`))
	f.Add([]byte(`{"httpMethod":"GET","path":"//a/../b","multiValueHeaders":{"Host":["h",""]},"requestContext":{"authorizer":{"x":1}}}`))
	h := NewHandler(http.HandlerFunc(echo), Options{MaxBodyBytes: 64})
	f.Fuzz(func(t *testing.T, data []byte) {
		var ev events.APIGatewayProxyRequest
		if json.Unmarshal(data, &ev) != nil {
			return
		}
		resp, err := h(context.Background(), ev)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode < 200 || resp.StatusCode > 599 {
			t.Fatalf("status %d", resp.StatusCode)
		}
	})
}
