//go:build tools

// The Temporal Web UI server.
package tools

import _ "github.com/temporalio/ui-server/v2/cmd/server"
