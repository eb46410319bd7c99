//go:build tools

// The Temporal server and the SQL schema tool (temporal-sql-tool).
package tools

import (
	_ "go.temporal.io/server/cmd/server"
	_ "go.temporal.io/server/cmd/tools/sql"
)
