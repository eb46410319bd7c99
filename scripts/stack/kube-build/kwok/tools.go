//go:build tools

// The kwok controller command.
package tools

import _ "sigs.k8s.io/kwok/cmd/kwok"
