package authz

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v4"
	"go.temporal.io/server/common/api"
	"go.temporal.io/server/common/authorization"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/log"
)

const ns = "default"

func decide(t *testing.T, c *authorization.Claims, method, namespace string) bool {
	t.Helper()
	r, err := Authorizer{}.Authorize(context.Background(), c, &authorization.CallTarget{
		APIName: api.WorkflowServicePrefix + method, Namespace: namespace,
	})
	if err != nil {
		t.Fatal(err)
	}
	return r.Decision == authorization.DecisionAllow
}

func holder(roles ...string) *authorization.Claims {
	return &authorization.Claims{Subject: "s", AuthType: "jwt", Extensions: Grants{ns: roles}}
}

func TestDecisionTable(t *testing.T) {
	// method -> roles allowed it in their namespace (admin: every one).
	table := map[string][]string{
		"StartWorkflowExecution":           {CI, Admin},
		"SignalWorkflowExecution":          {Operator, Admin},
		"UpdateWorkflowExecution":          {Operator, Admin},
		"QueryWorkflow":                    {Worker, CI, Operator, Reader, Admin},
		"DescribeWorkflowExecution":        {Worker, CI, Operator, Reader, Admin},
		"ListWorkflowExecutions":           {Worker, CI, Operator, Reader, Admin},
		"GetWorkflowExecutionHistory":      {Worker, CI, Operator, Reader, Admin},
		"PollWorkflowExecutionUpdate":      {Worker, CI, Operator, Reader, Admin},
		"PollWorkflowTaskQueue":            {Worker, Admin},
		"RespondWorkflowTaskCompleted":     {Worker, Admin},
		"PollActivityTaskQueue":            {Worker, Admin},
		"RecordActivityTaskHeartbeat":      {Worker, Admin},
		"RespondActivityTaskCompleted":     {Worker, Admin},
		"RespondActivityTaskCompletedById": {Admin},
		"TerminateWorkflowExecution":       {Admin},
		"ResetWorkflowExecution":           {Admin},
		"DeleteWorkflowExecution":          {Admin},
		"RequestCancelWorkflowExecution":   {Admin},
		"SignalWithStartWorkflowExecution": {Admin},
		"StartBatchOperation":              {Admin},
		"CreateSchedule":                   {Admin},
		"UpdateNamespace":                  {Admin},
	}
	for method, allowed := range table {
		for _, role := range []string{Worker, CI, Operator, Reader, Admin} {
			want := false
			for _, a := range allowed {
				want = want || a == role
			}
			if got := decide(t, holder(role), method, ns); got != want {
				t.Errorf("%s %s: allowed=%v, want %v", role, method, got, want)
			}
			if decide(t, holder(role), method, "other") {
				t.Errorf("%s %s allowed in a namespace it has no role in", role, method)
			}
		}
	}
}

func TestNoTokenHealthAndSystem(t *testing.T) {
	if decide(t, nil, "DescribeWorkflowExecution", ns) {
		t.Error("a call without a token was allowed")
	}
	if decide(t, &authorization.Claims{AuthType: "jwt", Subject: "nobody"}, "DescribeWorkflowExecution", ns) {
		t.Error("a verified token without permissions was allowed")
	}
	if !decide(t, nil, "GetSystemInfo", "") {
		t.Error("the health API was refused")
	}
	internal, _ := authorization.NewInternalClaimMapper().GetClaims(&authorization.AuthInfo{})
	if !decide(t, internal, "TerminateWorkflowExecution", ns) {
		t.Error("the internal frontend's system callers were refused")
	}
	admin := &authorization.Claims{System: authorization.RoleAdmin}
	r, _ := Authorizer{}.Authorize(context.Background(), admin,
		&authorization.CallTarget{APIName: api.AdminServicePrefix + "DescribeCluster"})
	if r.Decision != authorization.DecisionAllow {
		t.Error("the platform admin was refused an AdminService call")
	}
	r, _ = Authorizer{}.Authorize(context.Background(), holder(Admin),
		&authorization.CallTarget{APIName: api.AdminServicePrefix + "DescribeCluster"})
	if r.Decision == authorization.DecisionAllow {
		t.Error("a namespace admin was allowed an AdminService call")
	}
	if !decide(t, holder(Reader), "GetClusterInfo", "") || decide(t, nil, "GetClusterInfo", "") {
		t.Error("cluster read-only APIs: want allowed to any role holder, refused without a token")
	}
}

// keys serves one ECDSA key under kid "k1", as the JWKS provider would.
type keys struct{ pub *ecdsa.PublicKey }

func (k keys) EcdsaKey(_, kid string) (*ecdsa.PublicKey, error) {
	if kid != "k1" {
		return nil, errors.New("unknown kid")
	}
	return k.pub, nil
}
func (keys) HmacKey(string, string) ([]byte, error)        { return nil, errors.New("no") }
func (keys) RsaKey(string, string) (*rsa.PublicKey, error) { return nil, errors.New("no") }
func (keys) SupportedMethods() []string                    { return []string{"ES256"} }
func (keys) Close()                                        {}

func sign(t *testing.T, key *ecdsa.PrivateKey, claims jwt.MapClaims) string {
	tok := jwt.NewWithClaims(jwt.SigningMethodES256, claims)
	tok.Header["kid"] = "k1"
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return "Bearer " + s
}

func TestClaimMapper(t *testing.T) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	m := ClaimMapper{Verified: authorization.NewDefaultJWTClaimMapper(keys{&key.PublicKey}, &config.Authorization{},
		log.NewNoopLogger())}
	exp := time.Now().Add(time.Hour).Unix()
	c, err := m.GetClaims(&authorization.AuthInfo{AuthToken: sign(t, key, jwt.MapClaims{
		"sub": "ci", "exp": exp, "permissions": []string{"default:ci", "default:bogus", "other:reader"}})})
	if err != nil {
		t.Fatal(err)
	}
	g := c.Extensions.(Grants)
	if len(g) != 2 || len(g[ns]) != 1 || g[ns][0] != CI || g["other"][0] != Reader || c.Subject != "ci" {
		t.Errorf("grants %v subject %q", g, c.Subject)
	}
	for name, token := range map[string]string{
		"signed by another key": sign(t, other, jwt.MapClaims{"sub": "x", "exp": exp, "permissions": []string{"default:admin"}}),
		"expired":               sign(t, key, jwt.MapClaims{"sub": "x", "exp": time.Now().Add(-time.Minute).Unix()}),
		"not a bearer token":    "Basic abc",
	} {
		if _, err := m.GetClaims(&authorization.AuthInfo{AuthToken: token}); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
