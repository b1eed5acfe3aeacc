package localservices

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// KMSWithAWSErrors serves the KMS API in front of the KMS stand-in (moto)
// and answers with AWS's errors where moto 5.2.1 differs:
//
//   - GenerateDataKey, Encrypt and Decrypt on a key that moto reports
//     Disabled answer DisabledException, on one pending deletion
//     KMSInvalidStateException (moto does not refuse them);
//   - Decrypt naming another key than the ciphertext's answers
//     IncorrectKeyException (moto says AccessDeniedException, which in AWS
//     means an IAM refusal).
//
// Everything else, and the key's state itself (DisableKey,
// ScheduleKeyDeletion), is moto's. It requires KMS (see Require). Point a
// KMS client at the returned URL; the server closes when tb ends.
func KMSWithAWSErrors(tb testing.TB) *httptest.Server {
	tb.Helper()
	Require(tb, KMS)
	target := strings.TrimRight(Endpoint(KMS), "/")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		amzTarget := r.Header.Get("X-Amz-Target")
		op := amzTarget[strings.LastIndex(amzTarget, ".")+1:]
		switch op {
		case "GenerateDataKey", "Encrypt", "Decrypt":
			var in struct{ KeyId string }
			_ = json.Unmarshal(body, &in)
			if code, msg := keyState(r, target, in.KeyId); code != "" {
				kmsError(w, code, msg)
				return
			}
		}
		rec := httptest.NewRecorder()
		forward(rec, r, target+r.URL.RequestURI(), body)
		// moto's only AccessDeniedException on Decrypt, without a message,
		// is the ciphertext's key not being the one named (or not existing).
		if op == "Decrypt" && rec.Code == http.StatusBadRequest && strings.Contains(rec.Body.String(), `"AccessDeniedException"`) {
			kmsError(w, "IncorrectKeyException", "The key ID in the request does not identify a KMS key that can perform this operation.")
			return
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	}))
	tb.Cleanup(srv.Close)
	return srv
}

func kmsError(w http.ResponseWriter, code, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.WriteHeader(http.StatusBadRequest)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": code, "message": msg})
}

// keyState asks moto for the key's state (DescribeKey, with the caller's
// own headers: moto does not check signatures) and returns the error AWS
// would answer, or "".
func keyState(r *http.Request, target, keyID string) (code, msg string) {
	if keyID == "" {
		return "", ""
	}
	body, _ := json.Marshal(map[string]string{"KeyId": keyID})
	req, err := http.NewRequestWithContext(r.Context(), http.MethodPost, target+"/", bytes.NewReader(body))
	if err != nil {
		return "", ""
	}
	req.Header = r.Header.Clone()
	req.Header.Set("X-Amz-Target", "TrentService.DescribeKey")
	req.Header.Del("Content-Length")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", ""
	}
	defer resp.Body.Close()
	var out struct {
		KeyMetadata struct{ Arn, KeyState string }
	}
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&out) != nil {
		return "", "" // moto answers the operation itself (e.g. NotFoundException)
	}
	switch out.KeyMetadata.KeyState {
	case "Disabled":
		return "DisabledException", fmt.Sprintf("%s is disabled.", out.KeyMetadata.Arn)
	case "PendingDeletion":
		return "KMSInvalidStateException", fmt.Sprintf("%s is pending deletion.", out.KeyMetadata.Arn)
	}
	return "", ""
}

func forward(w http.ResponseWriter, r *http.Request, url string, body []byte) {
	out, err := http.NewRequestWithContext(r.Context(), r.Method, url, bytes.NewReader(body))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	out.Header = r.Header.Clone()
	out.Header.Del("Content-Length")
	resp, err := http.DefaultClient.Do(out)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = io.Copy(w, resp.Body)
}
