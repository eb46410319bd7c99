"""Seeds the moto server with the AWS resources the seed plan expects (idempotent: safe to re-run)."""
import os

import boto3

endpoint = os.environ["AWS_ENDPOINT_URL"]
region = os.environ["AWS_REGION"]
kw = dict(endpoint_url=endpoint, region_name=region, aws_access_key_id="test", aws_secret_access_key="test")
rds, s3, waf, ec2 = (boto3.client(s, **kw) for s in ("rds", "s3", "wafv2", "ec2"))

# RDS: the production database and the backup snapshot emergency recovery restores from (encrypted, as
# the database-backup-ready preflight check requires).
if not rds.describe_db_instances(Filters=[{"Name": "db-instance-id", "Values": ["hwayo-prod-db"]}])["DBInstances"]:
    rds.create_db_instance(DBInstanceIdentifier="hwayo-prod-db", Engine="postgres", EngineVersion="15.4",
                           DBInstanceClass="db.t3.medium", AllocatedStorage=20, MasterUsername="hwayo",
                           MasterUserPassword="hwayo-local-only", DBName="hwayo", StorageEncrypted=True)
# (by name: moto also makes an automated "rds:..." snapshot of a new instance)
if not any(s["DBSnapshotIdentifier"] == "hwayo-prod-db-backup-latest" for s in rds.describe_db_snapshots()["DBSnapshots"]):
    rds.create_db_snapshot(DBSnapshotIdentifier="hwayo-prod-db-backup-latest", DBInstanceIdentifier="hwayo-prod-db")

# S3: the assets bucket (with content, since the check lists it), the release artifacts bucket and the
# Temporal cluster's archive (closed histories, temporal-cluster.sh).
location = {"CreateBucketConfiguration": {"LocationConstraint": region}} if region != "us-east-1" else {}
existing = {b["Name"] for b in s3.list_buckets()["Buckets"]}
for bucket in ("hwayo-prod-assets", "hwayo-release-artifacts", "hwayo-temporal-archive"):
    if bucket not in existing:
        s3.create_bucket(Bucket=bucket, **location)
# The audit log (seed 8.2): Object Lock, every object kept 7 years in COMPLIANCE mode (nobody may shorten it).
if "hwayo-release-audit" not in existing:
    s3.create_bucket(Bucket="hwayo-release-audit", ObjectLockEnabledForBucket=True, **location)
s3.put_object_lock_configuration(Bucket="hwayo-release-audit", ObjectLockConfiguration={
    "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Years": 7}}})
s3.put_object(Bucket="hwayo-prod-assets", Key="static/index.html", Body=b"<html>hwayo</html>", ContentType="text/html")

# WAFv2: a regional web ACL with managed and rate-based rules.
if not any(a["Name"] == "hwayo-prod-waf" for a in waf.list_web_acls(Scope="REGIONAL")["WebACLs"]):
    visibility = lambda name: {"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True, "MetricName": name}
    waf.create_web_acl(
        Name="hwayo-prod-waf", Scope="REGIONAL", DefaultAction={"Allow": {}}, VisibilityConfig=visibility("hwayo-prod-waf"),
        Rules=[
            {"Name": "aws-common", "Priority": 0, "OverrideAction": {"None": {}}, "VisibilityConfig": visibility("aws-common"),
             "Statement": {"ManagedRuleGroupStatement": {"VendorName": "AWS", "Name": "AWSManagedRulesCommonRuleSet"}}},
            {"Name": "rate-limit", "Priority": 1, "Action": {"Block": {}}, "VisibilityConfig": visibility("rate-limit"),
             "Statement": {"RateBasedStatement": {"Limit": 2000, "AggregateKeyType": "IP"}}},
        ])

# EC2: the app's security groups, tagged app=hwayo, open on 80 and 443 only.
vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
for name in ("hwayo-web", "hwayo-api"):
    groups = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": [name]}])["SecurityGroups"]
    if groups:
        continue
    gid = ec2.create_security_group(GroupName=name, Description=f"{name} ingress", VpcId=vpc,
                                    TagSpecifications=[{"ResourceType": "security-group", "Tags": [{"Key": "app", "Value": "hwayo"}]}])["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=gid, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": p, "ToPort": p, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]} for p in (80, 443)])
print("moto seeded")
