package apigwproxy

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
)

// DefaultMaxBodyBytes bounds a request body (after base64 decoding) when
// Options.MaxBodyBytes is 0. API Gateway itself accepts up to 10 MB.
const DefaultMaxBodyBytes = 1 << 20

// DefaultMaxResponseBytes bounds what a handler may write when
// Options.MaxResponseBytes is 0. Lambda's synchronous response limit is
// 6 MB, base64 and JSON framing included.
const DefaultMaxResponseBytes = 4 << 20

// Options tune NewHandler. The zero value is ready to use.
type Options struct {
	// MaxBodyBytes bounds the decoded request body; larger bodies get 413
	// without running the handler. 0 means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// MaxResponseBytes bounds the response body; a handler writing more
	// gets 500 instead. 0 means DefaultMaxResponseBytes.
	MaxResponseBytes int
	// Logger receives one line per adapter failure (malformed event,
	// panic, oversized response) — never a header value or body.
	// Default: discard.
	Logger *slog.Logger
}

// LambdaFunc is the shape lambda.Start accepts for REST proxy events.
type LambdaFunc = func(context.Context, events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error)

// Handler adapts h with default Options.
func Handler(h http.Handler) LambdaFunc {
	return NewHandler(h, Options{})
}

// NewHandler adapts h to API Gateway REST proxy events. See the package
// documentation for the conversion rules.
func NewHandler(h http.Handler, opts Options) LambdaFunc {
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if opts.MaxResponseBytes <= 0 {
		opts.MaxResponseBytes = DefaultMaxResponseBytes
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return func(ctx context.Context, ev events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
		r, err := newRequest(ctx, ev, opts.MaxBodyBytes)
		if err != nil {
			if errors.Is(err, errBodyTooLarge) {
				log.WarnContext(ctx, "apigwproxy: request body too large", "request_id", ev.RequestContext.RequestID)
				return errorResponse(http.StatusRequestEntityTooLarge, "request_too_large", "request body too large"), nil
			}
			log.WarnContext(ctx, "apigwproxy: malformed event", "request_id", ev.RequestContext.RequestID, "err", err)
			return errorResponse(http.StatusBadRequest, "bad_request", "malformed request"), nil
		}
		w := newResponseWriter(opts.MaxResponseBytes)
		if perr := serve(h, w, r); perr != nil {
			log.ErrorContext(ctx, "apigwproxy: handler panicked", "request_id", ev.RequestContext.RequestID, "panic", perr.Error())
			return errorResponse(http.StatusInternalServerError, "internal", "internal error"), nil
		}
		if w.overflow {
			log.ErrorContext(ctx, "apigwproxy: response too large", "request_id", ev.RequestContext.RequestID, "limit", opts.MaxResponseBytes)
			return errorResponse(http.StatusInternalServerError, "internal", "internal error"), nil
		}
		return w.response(), nil
	}
}

// serve runs h, turning a panic into an error (the panic value is reported
// by type only: it may hold request data).
func serve(h http.Handler, w http.ResponseWriter, r *http.Request) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic of type %T", p)
		}
	}()
	h.ServeHTTP(w, r)
	return nil
}

var errBodyTooLarge = errors.New("apigwproxy: request body too large")

// newRequest converts ev. It fails on events no API Gateway would send.
func newRequest(ctx context.Context, ev events.APIGatewayProxyRequest, maxBody int64) (*http.Request, error) {
	method := ev.HTTPMethod
	if method == "" || !validToken(method) {
		return nil, errors.New("apigwproxy: missing or invalid httpMethod")
	}
	path := ev.Path
	if path == "" || path[0] != '/' {
		return nil, errors.New("apigwproxy: path must start with /")
	}
	if strings.ContainsAny(path, "\x00") {
		return nil, errors.New("apigwproxy: path contains NUL")
	}
	u := &url.URL{Path: path, RawQuery: query(ev).Encode()}

	body, err := decodeBody(ev, maxBody)
	if err != nil {
		return nil, err
	}

	r, err := http.NewRequestWithContext(withEvent(ctx, &ev), method, "/", bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("apigwproxy: %w", err)
	}
	r.URL = u
	r.RequestURI = u.RequestURI()
	r.Proto, r.ProtoMajor, r.ProtoMinor = "HTTP/1.1", 1, 1
	r.ContentLength = int64(len(body))
	if len(body) == 0 {
		r.Body = http.NoBody
	}
	r.Header = headers(ev)
	r.Header.Del("Content-Length") // the decoded body is authoritative
	r.Host = r.Header.Get("Host")
	r.Header.Del("Host")
	if ip := ev.RequestContext.Identity.SourceIP; ip != "" {
		r.RemoteAddr = ip + ":0"
	}
	return r, nil
}

func decodeBody(ev events.APIGatewayProxyRequest, maxBody int64) ([]byte, error) {
	if !ev.IsBase64Encoded {
		if int64(len(ev.Body)) > maxBody {
			return nil, errBodyTooLarge
		}
		return []byte(ev.Body), nil
	}
	if int64(base64.StdEncoding.DecodedLen(len(ev.Body))) > maxBody+3 {
		return nil, errBodyTooLarge
	}
	b, err := base64.StdEncoding.DecodeString(ev.Body)
	if err != nil {
		return nil, errors.New("apigwproxy: body is not valid base64")
	}
	if int64(len(b)) > maxBody {
		return nil, errBodyTooLarge
	}
	return b, nil
}

func query(ev events.APIGatewayProxyRequest) url.Values {
	q := url.Values{}
	for k, vs := range ev.MultiValueQueryStringParameters {
		q[k] = append([]string(nil), vs...)
	}
	for k, v := range ev.QueryStringParameters {
		if _, ok := q[k]; !ok {
			q.Set(k, v)
		}
	}
	return q
}

func headers(ev events.APIGatewayProxyRequest) http.Header {
	h := http.Header{}
	for k, vs := range ev.MultiValueHeaders {
		for _, v := range vs {
			h.Add(k, v)
		}
	}
	for k, v := range ev.Headers {
		if _, ok := h[http.CanonicalHeaderKey(k)]; !ok {
			h.Add(k, v)
		}
	}
	return h
}

// validToken reports whether s is an RFC 9110 token (a method name).
func validToken(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// responseWriter buffers a response, up to a limit.
type responseWriter struct {
	header   http.Header
	status   int
	body     bytes.Buffer
	limit    int
	overflow bool
}

func newResponseWriter(limit int) *responseWriter {
	return &responseWriter{header: http.Header{}, limit: limit}
}

func (w *responseWriter) Header() http.Header { return w.header }

func (w *responseWriter) WriteHeader(status int) {
	if w.status != 0 || status < 200 || status > 999 {
		return // informational responses and repeated calls are dropped, as net/http does
	}
	w.status = status
}

func (w *responseWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	if w.overflow || w.body.Len()+len(p) > w.limit {
		w.overflow = true
		return 0, errors.New("apigwproxy: response too large")
	}
	return w.body.Write(p)
}

func (w *responseWriter) response() events.APIGatewayProxyResponse {
	status := w.status
	if status == 0 {
		status = http.StatusOK
	}
	body := w.body.Bytes()
	if w.header.Get("Content-Type") == "" && len(body) > 0 {
		w.header.Set("Content-Type", http.DetectContentType(body))
	}
	resp := events.APIGatewayProxyResponse{
		StatusCode:        status,
		Headers:           make(map[string]string, len(w.header)),
		MultiValueHeaders: make(map[string][]string, len(w.header)),
	}
	for k, vs := range w.header {
		if len(vs) == 0 {
			continue
		}
		resp.Headers[k] = vs[0]
		resp.MultiValueHeaders[k] = append([]string(nil), vs...)
	}
	if utf8.Valid(body) {
		resp.Body = string(body)
	} else {
		resp.Body = base64.StdEncoding.EncodeToString(body)
		resp.IsBase64Encoded = true
	}
	return resp
}

func errorResponse(status int, code, message string) events.APIGatewayProxyResponse {
	body := `{"error":{"code":` + strconv.Quote(code) + `,"message":` + strconv.Quote(message) + `}}`
	return events.APIGatewayProxyResponse{
		StatusCode: status,
		Headers: map[string]string{
			"Content-Type":  "application/json",
			"Cache-Control": "no-store",
		},
		MultiValueHeaders: map[string][]string{
			"Content-Type":  {"application/json"},
			"Cache-Control": {"no-store"},
		},
		Body: body,
	}
}

// Compile-time check that the writer is a ResponseWriter.
var _ http.ResponseWriter = (*responseWriter)(nil)

// eventKey is the context key for the proxy event.
type eventKey struct{}

// eventOf returns the event r was built from, nil when none.
func eventOf(ctx context.Context) *events.APIGatewayProxyRequest {
	ev, _ := ctx.Value(eventKey{}).(*events.APIGatewayProxyRequest)
	return ev
}

func withEvent(ctx context.Context, ev *events.APIGatewayProxyRequest) context.Context {
	return context.WithValue(ctx, eventKey{}, ev)
}

// RequestContext returns the API Gateway requestContext of the event being
// served, and false when ctx is not from a request built by this package
// (for example, when the handler is served directly by net/http).
func RequestContext(ctx context.Context) (events.APIGatewayProxyRequestContext, bool) {
	ev := eventOf(ctx)
	if ev == nil {
		return events.APIGatewayProxyRequestContext{}, false
	}
	return ev.RequestContext, true
}

// Authorizer returns requestContext.authorizer — what the Lambda authorizer
// put in its context, plus principalId — and false when there is none.
// The map is the event's own: do not modify it.
func Authorizer(ctx context.Context) (map[string]any, bool) {
	rc, ok := RequestContext(ctx)
	if !ok || rc.Authorizer == nil {
		return nil, false
	}
	return rc.Authorizer, true
}

// AuthorizerString returns requestContext.authorizer[key] as a string.
// Authorizer context values are strings, numbers or booleans; numbers and
// booleans are formatted. It returns false when the key is absent, or its
// value is of another type.
func AuthorizerString(ctx context.Context, key string) (string, bool) {
	a, ok := Authorizer(ctx)
	if !ok {
		return "", false
	}
	switch v := a[key].(type) {
	case string:
		return v, true
	case bool:
		return strconv.FormatBool(v), true
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64), true
	case int:
		return strconv.Itoa(v), true
	case int64:
		return strconv.FormatInt(v, 10), true
	default:
		return "", false
	}
}
