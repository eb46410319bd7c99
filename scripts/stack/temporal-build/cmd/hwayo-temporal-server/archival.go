package main

import (
	"os"
	"strings"

	"go.temporal.io/server/common/config"
)

// s3Archival points history and visibility archival at S3 (the s3store archiver) when
// TEMPORAL_ARCHIVAL_S3_URI (s3://bucket) is set, with TEMPORAL_ARCHIVAL_S3_REGION and, for an S3
// stand-in such as moto, TEMPORAL_ARCHIVAL_S3_ENDPOINT (path-style addressing). Credentials come from
// the AWS SDK's usual sources (AWS_ACCESS_KEY_ID, ...). The embedded template only knows filestore, and
// a closed release must outlive the namespace retention (docs/governance.md, "Kept seven years").
func s3Archival(cfg *config.Config) {
	uri := os.Getenv("TEMPORAL_ARCHIVAL_S3_URI")
	if uri == "" {
		return
	}
	if !strings.HasPrefix(uri, "s3://") {
		fail("TEMPORAL_ARCHIVAL_S3_URI must be s3://BUCKET, not %q", uri)
	}
	region := os.Getenv("TEMPORAL_ARCHIVAL_S3_REGION")
	if region == "" {
		fail("TEMPORAL_ARCHIVAL_S3_REGION is required with TEMPORAL_ARCHIVAL_S3_URI")
	}
	s3 := &config.S3Archiver{Region: region}
	if endpoint := os.Getenv("TEMPORAL_ARCHIVAL_S3_ENDPOINT"); endpoint != "" {
		s3.Endpoint = &endpoint
		s3.S3ForcePathStyle = true
	}
	cfg.Archival = config.Archival{
		History: config.HistoryArchival{
			State: "enabled", EnableRead: true, Provider: &config.HistoryArchiverProvider{S3store: s3},
		},
		Visibility: config.VisibilityArchival{
			State: "enabled", EnableRead: true, Provider: &config.VisibilityArchiverProvider{S3store: s3},
		},
	}
	cfg.NamespaceDefaults.Archival = config.ArchivalNamespaceDefaults{
		History:    config.HistoryArchivalNamespaceDefaults{State: "enabled", URI: uri},
		Visibility: config.VisibilityArchivalNamespaceDefaults{State: "enabled", URI: uri},
	}
}
