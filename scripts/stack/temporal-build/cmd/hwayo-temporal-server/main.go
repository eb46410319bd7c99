// The Temporal server with authorization: the stock server (same embedded configuration template,
// rendered from the environment as deploy/temporal/server.env sets it) plus the default JWT claim
// mapper (keys from TEMPORAL_JWT_KEY_SOURCE1, a JWKS at a file:// or http(s):// URL) and our
// per-namespace roles (scripts/stack/temporal-build/authz). Refuses to start without a key source,
// so it never runs open. Usage: hwayo-temporal-server start
package main

import (
	"fmt"
	"os"
	_ "time/tzdata" // embed tzdata as a fallback

	"go.temporal.io/server/common/authorization"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/log"
	_ "go.temporal.io/server/common/persistence/sql/sqlplugin/postgresql" // the stack's persistence
	"go.temporal.io/server/common/primitives"
	"go.temporal.io/server/temporal"

	"hwayo-release/stack/temporal/authz"
)

// The internal frontend serves the server's own system workers (they carry no token); it must not
// be reachable from outside the node (bind it to loopback, or require mTLS between nodes).
var services = []string{
	string(primitives.FrontendService), string(primitives.InternalFrontendService),
	string(primitives.HistoryService), string(primitives.MatchingService), string(primitives.WorkerService),
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "hwayo-temporal-server: "+format+"\n", args...)
	os.Exit(1)
}

func main() {
	if len(os.Args) != 2 || os.Args[1] != "start" {
		fail("usage: hwayo-temporal-server start (configuration from the environment)")
	}
	if os.Getenv("USE_INTERNAL_FRONTEND") == "" {
		fail("USE_INTERNAL_FRONTEND must be set: the system workers reach the cluster through it")
	}
	cfg, err := config.Load(config.WithEmbedded())
	if err != nil {
		fail("configuration: %v", err)
	}
	s3Archival(cfg)
	auth := &cfg.Global.Authorization
	if !auth.JWTKeyProvider.HasSourceURIsConfigured() {
		fail("TEMPORAL_JWT_KEY_SOURCE1 (the JWKS URL) is required: this server never runs without authorization")
	}
	logger := log.NewZapLogger(log.BuildZapLogger(cfg.Log))
	keys := authorization.NewDefaultTokenKeyProvider(auth, logger)
	mapper := authz.ClaimMapper{Verified: authorization.NewDefaultJWTClaimMapper(keys, auth, logger)}
	s, err := temporal.NewServer(
		temporal.ForServices(services),
		temporal.WithConfig(cfg),
		temporal.WithLogger(logger),
		temporal.InterruptOn(temporal.InterruptCh()),
		temporal.WithAuthorizer(authz.Authorizer{}),
		temporal.WithClaimMapper(func(*config.Config) authorization.ClaimMapper { return mapper }),
	)
	if err != nil {
		fail("cannot create the server: %v", err)
	}
	if err := s.Start(); err != nil {
		fail("cannot start: %v", err)
	}
}
