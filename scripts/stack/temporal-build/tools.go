//go:build tools

// The Temporal server, the SQL schema tool (temporal-sql-tool) and tdbg (membership and shard owners).
package tools

import (
	_ "go.temporal.io/server/cmd/server"
	_ "go.temporal.io/server/cmd/tools/sql"
	_ "go.temporal.io/server/cmd/tools/tdbg"
)
