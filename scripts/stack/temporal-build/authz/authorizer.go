package authz

import (
	"context"
	"fmt"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/server/common/api"
	"go.temporal.io/server/common/authorization"
)

// Beyond the read-only APIs of their namespace (describe, list, count, query, history), each role
// may call these. Terminate, reset, delete, cancel, signal-with-start, batch and schedule APIs are
// for admins only.
var writes = map[string][]string{
	Worker: {
		"PollWorkflowTaskQueue", "RespondWorkflowTaskCompleted", "RespondWorkflowTaskFailed",
		"RespondQueryTaskCompleted", "PollActivityTaskQueue", "RecordActivityTaskHeartbeat",
		"RespondActivityTaskCompleted", "RespondActivityTaskFailed", "RespondActivityTaskCanceled",
		"ResetStickyTaskQueue", "ShutdownWorker", "RecordWorkerHeartbeat",
	},
	// No signal or update: those steer a running release (approve, pause, roll back), which is a
	// person's call, and a CI token is shared by every job of a pipeline.
	CI:       {"StartWorkflowExecution"},
	Operator: {"SignalWorkflowExecution", "UpdateWorkflowExecution"},
	Reader:   {},
}

// Authorizer decides on the grants ClaimMapper read from a verified token.
type Authorizer struct{}

var _ authorization.Authorizer = Authorizer{}

func (Authorizer) Authorize(_ context.Context, c *authorization.Claims, t *authorization.CallTarget) (
	authorization.Result, error,
) {
	if authorization.IsHealthCheckAPI(t.APIName) {
		return authorization.Result{Decision: authorization.DecisionAllow}, nil
	}
	if c == nil {
		return deny("no token"), nil
	}
	// The platform's admin ("temporal-system:admin"), and the internal frontend's own callers (the
	// server's system workers), which the server maps to the same system role.
	if c.System&authorization.RoleAdmin != 0 || permitted(c, t) {
		return authorization.Result{
			Decision:  authorization.DecisionAllow,
			Principal: &commonpb.Principal{Type: c.AuthType, Name: c.Subject},
		}, nil
	}
	return deny(fmt.Sprintf("%q may not call %s in namespace %q", c.Subject, api.MethodName(t.APIName), t.Namespace)), nil
}

func permitted(c *authorization.Claims, t *authorization.CallTarget) bool {
	grants, _ := c.Extensions.(Grants)
	md := api.GetMethodMetadata(t.APIName)
	switch md.Scope {
	case api.ScopeCluster:
		// Cluster facts clients read on connect (system info, search attribute names); never AdminService.
		return md.Access == api.AccessReadOnly && len(grants) > 0
	case api.ScopeNamespace:
		for _, role := range grants[t.Namespace] {
			if Allows(role, t.APIName) {
				return true
			}
		}
	}
	return false
}

// Allows says whether ROLE may call the namespace-scoped API (full gRPC method name) in its namespace.
func Allows(role, apiName string) bool {
	md := api.GetMethodMetadata(apiName)
	if md.Scope != api.ScopeNamespace {
		return false
	}
	if role == Admin {
		return true
	}
	calls, known := writes[role]
	if !known {
		return false
	}
	if md.Access == api.AccessReadOnly {
		return true
	}
	name := api.MethodName(apiName)
	for _, w := range calls {
		if w == name && api.ServiceName(apiName) == api.WorkflowServicePrefix {
			return true
		}
	}
	return false
}

func deny(reason string) authorization.Result {
	return authorization.Result{Decision: authorization.DecisionDeny, Reason: reason}
}
