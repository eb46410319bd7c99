//go:build tools

// The helm command, which lints the worker's chart and installs it into the local clusters.
package tools

import _ "helm.sh/helm/v3/cmd/helm"
