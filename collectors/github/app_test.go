package github_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/pmo-oss/pmo/collectors"
	"github.com/pmo-oss/pmo/collectors/collectortest"
	"github.com/pmo-oss/pmo/collectors/github"
	"github.com/pmo-oss/pmo/collectors/github/githubsim"
	"github.com/pmo-oss/pmo/internal/model"
	"github.com/pmo-oss/pmo/internal/secret"
)

func rsaKey(t *testing.T) (*rsa.PrivateKey, string) {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k, string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}))
}

// TestAppAuth authenticates as a GitHub App installation: one token is
// bought with a signed JWT and used for every request; a wrong key is an
// auth error that names the app keys and never shows the key.
func TestAppAuth(t *testing.T) {
	key, keyPEM := rsaKey(t)
	sim := githubsim.New(githubsim.Config{Repos: []string{"octo-org/api"}, Issues: 10, Seed: 6, AppID: 4242, AppKey: &key.PublicKey})
	srv := httptest.NewServer(sim.Handler())
	defer srv.Close()
	app := func(keyPEM string) *github.Config {
		cfg := simConfig(srv.URL, "octo-org/api")
		cfg.Token = ""
		cfg.App = github.AppAuth{AppID: 4242, InstallationID: 7, PrivateKey: secret.Secret(keyPEM)}
		cfg.Retry.MaxAttempts = 2
		return cfg
	}
	sink := collectortest.NewMemorySink()
	if _, err := newCollector(t, "gh", app(keyPEM)).Collect(context.Background(), sink, collectors.Options{}); err != nil {
		t.Fatal(err)
	}
	if got := sink.Counts()[model.KindIssue]; got != sim.Truth().Issues {
		t.Errorf("%d issues, want %d", got, sim.Truth().Issues)
	}
	if n := sim.TokensIssued(); n != 1 {
		t.Errorf("%d installation tokens issued, want 1 for the whole run", n)
	}

	_, other := rsaKey(t)
	_, err := newCollector(t, "gh", app(other)).Collect(context.Background(), collectortest.NewMemorySink(), collectors.Options{})
	if collectors.ErrorKind(err) != collectors.KindAuth || !strings.Contains(err.Error(), "app.private_key") {
		t.Errorf("wrong key: %v (kind %s), want an auth error naming app.private_key", err, collectors.ErrorKind(err))
	}
	if err != nil && strings.Contains(err.Error(), "PRIVATE KEY") {
		t.Errorf("the key shows in the error: %v", err)
	}
}
