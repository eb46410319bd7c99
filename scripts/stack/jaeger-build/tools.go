//go:build tools

// The Jaeger v2 all-in-one command (an OpenTelemetry Collector distribution).
package tools

import _ "github.com/jaegertracing/jaeger/cmd/jaeger"
