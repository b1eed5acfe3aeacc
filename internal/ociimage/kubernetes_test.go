package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/gatehouse-auth/gatehouse/authorizer"
	"github.com/gatehouse-auth/gatehouse/authorizer/awsenv"
	"github.com/gatehouse-auth/gatehouse/forwardauth"
)

type k8sPort struct {
	Name          string
	ContainerPort int `yaml:"containerPort"`
	Port          int
	TargetPort    string `yaml:"targetPort"`
}

type k8sProbe struct {
	HTTPGet struct {
		Path string
		Port string
	} `yaml:"httpGet"`
}

type k8sSecurity struct {
	RunAsNonRoot             *bool `yaml:"runAsNonRoot"`
	RunAsUser                int   `yaml:"runAsUser"`
	AllowPrivilegeEscalation *bool `yaml:"allowPrivilegeEscalation"`
	ReadOnlyRootFilesystem   bool  `yaml:"readOnlyRootFilesystem"`
	Capabilities             struct{ Drop []string }
}

type k8sObject struct {
	Kind     string
	Metadata struct {
		Name, Namespace string
		Annotations     map[string]string
	}
	Spec struct {
		Ports    []k8sPort // Service
		Template struct {
			Spec struct {
				SecurityContext k8sSecurity `yaml:"securityContext"`
				Containers      []struct {
					Image           string
					Env             []struct{ Name, Value string }
					Ports           []k8sPort
					LivenessProbe   *k8sProbe   `yaml:"livenessProbe"`
					ReadinessProbe  *k8sProbe   `yaml:"readinessProbe"`
					SecurityContext k8sSecurity `yaml:"securityContext"`
					Resources       struct {
						Requests, Limits map[string]string
					}
				}
			}
		}
	}
}

// TestKubernetesExample: the example (not run here: no cluster) points at
// the image's real ports and paths, runs as the image's user, and copies
// every identity header.
func TestKubernetesExample(t *testing.T) {
	data, err := os.ReadFile("../../examples/kubernetes/gatehouse.yaml")
	if err != nil {
		t.Fatal(err)
	}
	objs := map[string]k8sObject{}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var o k8sObject
		if err := dec.Decode(&o); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		objs[o.Kind] = o
	}
	dep, svc, ing := objs["Deployment"], objs["Service"], objs["Ingress"]
	if len(dep.Spec.Template.Spec.Containers) != 1 {
		t.Fatal("want one container in the Deployment")
	}
	c := dep.Spec.Template.Spec.Containers[0]
	ports := map[string]int{}
	for _, p := range c.Ports {
		ports[p.Name] = p.ContainerPort
	}
	if ports["auth"] != ServicePort || ports["ops"] != OpsPort {
		t.Errorf("container ports %v, want auth %d, ops %d", ports, ServicePort, OpsPort)
	}
	if !strings.Contains(c.Image, "gatehouse:") {
		t.Errorf("image %s", c.Image)
	}
	env := map[string]string{}
	for _, e := range c.Env {
		env[e.Name] = e.Value
	}
	// The example sits behind ingress-nginx's auth-url: only that
	// convention reads what its auth location sends.
	if conv, err := forwardauth.ParseRequestHeaders(env["GATEHOUSE_REQUEST_HEADERS"]); err != nil || conv != forwardauth.HeadersIngressNginx {
		t.Errorf("GATEHOUSE_REQUEST_HEADERS = %q (%v), want the ingress-nginx convention", env["GATEHOUSE_REQUEST_HEADERS"], err)
	}
	for _, v := range []string{awsenv.EnvUserPoolID, awsenv.EnvClientIDs, awsenv.EnvTable} {
		if env[v] == "" {
			t.Errorf("%s not set", v)
		}
	}

	// The probes name the ops port and paths the ops handler serves.
	h, err := forwardauth.New(forwardauth.Config{
		RequestHeaders: forwardauth.HeadersOriginal,
		Decider:        deciderFunc(func(context.Context, authorizer.Request) authorizer.Decision { return authorizer.Decision{} }),
		Ready:          func(context.Context) error { return nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	for name, p := range map[string]*k8sProbe{"liveness": c.LivenessProbe, "readiness": c.ReadinessProbe} {
		if p == nil || p.HTTPGet.Port != "ops" {
			t.Errorf("%s probe %+v not on the ops port", name, p)
			continue
		}
		w := httptest.NewRecorder()
		h.OpsHandler().ServeHTTP(w, httptest.NewRequest("GET", p.HTTPGet.Path, nil))
		if w.Code != 200 {
			t.Errorf("%s probe GET %s: %d", name, p.HTTPGet.Path, w.Code)
		}
	}
	if c.LivenessProbe != nil && c.ReadinessProbe != nil && (c.LivenessProbe.HTTPGet.Path != "/healthz" || c.ReadinessProbe.HTTPGet.Path != "/readyz") {
		t.Error("liveness must be /healthz (the process), readiness /readyz (the keys)")
	}

	pod, cs := dep.Spec.Template.Spec.SecurityContext, c.SecurityContext
	if pod.RunAsNonRoot == nil || !*pod.RunAsNonRoot || pod.RunAsUser != UID {
		t.Errorf("pod security context %+v, want runAsNonRoot and user %d", pod, UID)
	}
	if cs.AllowPrivilegeEscalation == nil || *cs.AllowPrivilegeEscalation || !cs.ReadOnlyRootFilesystem || len(cs.Capabilities.Drop) != 1 || cs.Capabilities.Drop[0] != "ALL" {
		t.Errorf("container security context %+v", cs)
	}
	if c.Resources.Requests["cpu"] == "" || c.Resources.Requests["memory"] == "" || c.Resources.Limits["memory"] == "" {
		t.Errorf("resources %+v", c.Resources)
	}

	// The Service exposes the auth port only, and the Ingress asks it.
	if len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].TargetPort != "auth" {
		t.Errorf("service ports %+v, want the auth port only", svc.Spec.Ports)
	}
	u, err := url.Parse(ing.Metadata.Annotations["nginx.ingress.kubernetes.io/auth-url"])
	if err != nil {
		t.Fatal(err)
	}
	if want := svc.Metadata.Name + "." + svc.Metadata.Namespace + ".svc.cluster.local"; u.Hostname() != want || u.Port() != strconv.Itoa(svc.Spec.Ports[0].Port) {
		t.Errorf("auth-url %s, want %s:%d", u, want, svc.Spec.Ports[0].Port)
	}
	if got := ing.Metadata.Annotations["nginx.ingress.kubernetes.io/auth-response-headers"]; got != strings.Join(forwardauth.IdentityHeaders, ",") {
		t.Errorf("auth-response-headers %q, want %q", got, strings.Join(forwardauth.IdentityHeaders, ","))
	}
}

type deciderFunc func(context.Context, authorizer.Request) authorizer.Decision

func (f deciderFunc) Decide(ctx context.Context, r authorizer.Request) authorizer.Decision {
	return f(ctx, r)
}
