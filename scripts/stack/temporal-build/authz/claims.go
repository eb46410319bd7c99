// Package authz: who may do what on the Temporal cluster. Tokens are JWTs (ES256 or RS256) whose
// "permissions" claim lists "<namespace>:<role>" entries with the roles below, and
// "temporal-system:admin" for the platform. Signature and expiry are checked by the server's default
// JWT claim mapper; this package reads the roles and decides per API (authorizer.go).
package authz

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/server/common/authorization"
)

// Roles within one namespace. Temporal's own four (worker, read, write, admin) cannot say "CI may
// start a release but not terminate or reset it", hence ours.
const (
	Worker   = "worker"   // the release worker: polls and answers tasks
	CI       = "ci"       // pipelines: start releases, read them
	Operator = "operator" // people: approvals and controls (updates, signals), read
	Reader   = "reader"   // dashboards, auditors: read only
	Admin    = "admin"    // every API of the namespace (terminate, reset, delete)
)

// Grants is what a verified token grants: namespace -> roles. Kept in Claims.Extensions.
type Grants map[string][]string

// ClaimMapper wraps the default JWT claim mapper: it verifies the token, then the grants are read
// from that same (now verified) token.
type ClaimMapper struct{ Verified authorization.ClaimMapper }

func (m ClaimMapper) GetClaims(info *authorization.AuthInfo) (*authorization.Claims, error) {
	claims, err := m.Verified.GetClaims(info)
	if err != nil || claims == nil || info.AuthToken == "" {
		return claims, err
	}
	grants, err := grantsOf(info.AuthToken)
	if err != nil {
		return nil, serviceerror.NewPermissionDenied(err.Error(), "")
	}
	claims.Extensions = grants
	return claims, nil
}

type payload struct {
	Permissions []string `json:"permissions"`
}

// grantsOf reads the permissions of "Bearer <jwt>"; only called after the signature was checked.
func grantsOf(header string) (Grants, error) {
	_, token, _ := strings.Cut(header, " ")
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, errMalformed
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return nil, errMalformed
	}
	var p payload
	if err := json.Unmarshal(raw, &p); err != nil {
		return nil, errMalformed
	}
	grants := Grants{}
	for _, perm := range p.Permissions {
		ns, role, ok := strings.Cut(perm, ":")
		if ok && ns != "" && known[role] {
			grants[ns] = append(grants[ns], role)
		}
	}
	return grants, nil
}

var known = map[string]bool{Worker: true, CI: true, Operator: true, Reader: true, Admin: true}

var errMalformed = errors.New("malformed token payload")
