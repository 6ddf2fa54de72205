"""The SageMaker side: image asset, execution role, model from an uncompressed S3 prefix, async endpoint
config, endpoint, and scaling to/from zero."""

from __future__ import annotations

from tests.infra.helpers import function_role, of_type, one, role_statements, scaling_alarm, table_id, text


def test_model_reads_an_uncompressed_prefix_and_gets_the_container_env(resources):
    model = one(resources, "AWS::SageMaker::Model")
    container = model["PrimaryContainer"]
    source = container["ModelDataSource"]["S3DataSource"]
    assert source["CompressionType"] == "None"
    assert source["S3DataType"] == "S3Prefix"
    assert text(source["S3Uri"]).endswith('"/models/default/"]]}')
    env = container["Environment"]
    assert set(env) == {
        "SDAPI_JOBS_TABLE",
        "SDAPI_BUCKET",
        "SDAPI_DEFAULT_MODEL",
        "SDAPI_MODEL_ROOT",
        "SDAPI_COMPILE",
        "SDAPI_COMPILE_CACHE_PREFIX",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
    }
    assert env["SDAPI_COMPILE"] == "1"
    assert env["SDAPI_COMPILE_CACHE_PREFIX"] == "compile-cache/default/"
    assert env["SDAPI_MODEL_ROOT"] == "/opt/ml/model"
    assert env["SDAPI_DEFAULT_MODEL"] == "sd_xl_base_1.0"
    assert "container-assets" in text(container["Image"])  # the DockerImageAsset, built at deploy


def test_image_is_built_from_the_container_dockerfile(stack):
    from infra.inference import DOCKERFILE
    from tests.infra.synth import ROOT

    assert (ROOT / DOCKERFILE).is_file(), "inference_container/Dockerfile is missing (the container issue)"


def test_image_asset_hash_ignores_dev_folders(stack):
    from infra.inference import IMAGE_EXCLUDE

    assert {".venv", "cdk.out", "tests", ".git"} <= set(IMAGE_EXCLUDE)
    image = stack.node.find_child("InferenceImage")
    assert image.image_uri  # hashed at synth without Docker


def test_endpoint_config_is_async_with_notifications_and_concurrency(resources):
    config = one(resources, "AWS::SageMaker::EndpointConfig")
    (variant,) = config["ProductionVariants"]
    assert variant["InstanceType"] == "ml.g5.xlarge"
    assert variant["ModelDataDownloadTimeoutInSeconds"] >= 60
    assert variant["ContainerStartupHealthCheckTimeoutInSeconds"] >= 60
    output = config["AsyncInferenceConfig"]["OutputConfig"]
    assert "/async-output/default/" in text(output["S3OutputPath"])
    assert "/async-failure/default/" in text(output["S3FailurePath"])
    notification = output["NotificationConfig"]
    assert notification["IncludeInferenceResponseIn"] == [
        "SUCCESS_NOTIFICATION_TOPIC",
        "ERROR_NOTIFICATION_TOPIC",
    ]
    topics = of_type(resources, "AWS::SNS::Topic")
    assert notification["SuccessTopic"]["Ref"] in topics
    assert notification["ErrorTopic"]["Ref"] in topics
    assert notification["SuccessTopic"] != notification["ErrorTopic"]
    assert config["AsyncInferenceConfig"]["ClientConfig"] == {"MaxConcurrentInvocationsPerInstance": 1}


def test_endpoint_has_the_catalog_name(resources):
    endpoint = one(resources, "AWS::SageMaker::Endpoint")
    assert endpoint["EndpointName"] == "sdapi-default"


def test_scales_between_zero_and_max(resources):
    target = one(resources, "AWS::ApplicationAutoScaling::ScalableTarget")
    assert target["MinCapacity"] == 0
    assert target["MaxCapacity"] == 1
    assert target["ResourceId"] == "endpoint/sdapi-default/variant/AllTraffic"


def test_target_tracking_on_backlog_per_instance(resources):
    policies = [
        p["Properties"] for p in of_type(resources, "AWS::ApplicationAutoScaling::ScalingPolicy").values()
    ]
    (tracking,) = [p for p in policies if p["PolicyType"] == "TargetTrackingScaling"]
    metric = tracking["TargetTrackingScalingPolicyConfiguration"]["CustomizedMetricSpecification"]
    assert metric["MetricName"] == "ApproximateBacklogSizePerInstance"
    assert metric["Namespace"] == "AWS/SageMaker"
    assert metric["Dimensions"] == [{"Name": "EndpointName", "Value": "sdapi-default"}]


def alarm_on(resources, metric_name):
    return [
        a["Properties"]
        for a in of_type(resources, "AWS::CloudWatch::Alarm").values()
        if a["Properties"].get("MetricName") == metric_name and scaling_alarm(resources, a)
    ]


def test_first_request_wakes_a_zero_endpoint_within_a_minute(resources):
    (alarm,) = alarm_on(resources, "HasBacklogWithoutCapacity")
    assert alarm["Period"] == 60
    assert alarm["EvaluationPeriods"] == 1
    assert alarm["Threshold"] == 1
    assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    policy = resources[alarm["AlarmActions"][0]["Ref"]]["Properties"]["StepScalingPolicyConfiguration"]
    assert policy["AdjustmentType"] == "ChangeInCapacity"
    assert policy["StepAdjustments"] == [{"MetricIntervalLowerBound": 0, "ScalingAdjustment": 1}]


def test_scales_in_to_min_after_the_idle_time(resources):
    (alarm,) = alarm_on(resources, "ApproximateBacklogSize")
    assert alarm["EvaluationPeriods"] == 15
    assert alarm["Period"] == 60
    assert alarm["TreatMissingData"] == "breaching"
    policy = resources[alarm["AlarmActions"][0]["Ref"]]["Properties"]["StepScalingPolicyConfiguration"]
    assert policy["AdjustmentType"] == "ExactCapacity"
    assert policy["StepAdjustments"] == [{"MetricIntervalUpperBound": 0, "ScalingAdjustment": 0}]


def test_execution_role_can_do_only_the_container_and_async_work(resources):
    role_id = one(resources, "AWS::SageMaker::Model")["ExecutionRoleArn"]["Fn::GetAtt"][0]
    granted = {}
    for statement in role_statements(resources, role_id):
        if statement["Effect"] == "Deny":
            continue  # the denies have tests of their own below
        for action in statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]:
            granted.setdefault(action, []).append(text(statement["Resource"]))
    assert set(granted) == {
        "ecr:BatchCheckLayerAvailability",
        "ecr:GetDownloadUrlForLayer",
        "ecr:BatchGetImage",
        "ecr:GetAuthorizationToken",
        "s3:GetObject",
        "s3:ListBucket",
        "s3:PutObject",
        "s3:PutObjectTagging",
        "dynamodb:UpdateItem",
        "sns:Publish",
        "logs:CreateLogGroup",
        "logs:CreateLogStream",
        "logs:DescribeLogStreams",
        "logs:PutLogEvents",
        "cloudwatch:PutMetricData",
    }
    puts = " ".join(granted["s3:PutObject"])
    assert '/*"]]}' in puts  # outputs anywhere: SD-on-EKS tasks choose their folder, as the queue agent does
    assert "/async-output/*" in puts
    assert "/async-failure/*" in puts
    assert "/compile-cache/default/*" in puts
    assert "/inputs/" not in puts
    assert "/models/" not in puts
    gets = " ".join(granted["s3:GetObject"])
    assert "/models/default/*" in gets
    assert "/compile-cache/default/*" in gets
    assert "/inputs/*" in gets
    assert "/outputs/" not in gets
    assert granted["dynamodb:UpdateItem"] == [text({"Fn::GetAtt": [table_id(resources, "id"), "Arn"]})]
    assert all(":log-group:/aws/sagemaker/Endpoints/sdapi-default" in r for r in granted["logs:PutLogEvents"])
    assert granted["cloudwatch:PutMetricData"] == ['"*"']


def execution_role_denies(resources) -> list[dict]:
    role_id = one(resources, "AWS::SageMaker::Model")["ExecutionRoleArn"]["Fn::GetAtt"][0]
    return [s for s in role_statements(resources, role_id) if s["Effect"] == "Deny"]


def test_the_container_may_never_write_inputs_uploads_or_models(resources):
    never = " ".join(text(s["Resource"]) for s in execution_role_denies(resources) if "Condition" not in s)
    for folder in ("inputs", "uploads", "models"):
        assert f"/{folder}/*" in never, folder


def test_the_outputs_grant_never_reaches_the_roots_the_container_writes_through_its_own_grants(resources):
    (tagged,) = [s for s in execution_role_denies(resources) if "Condition" in s]
    assert tagged["Condition"] == {"StringEquals": {"s3:RequestObjectTag/sdapi-retention": "outputs"}}
    assert sorted(r["Fn::Join"][1][1] for r in tagged["Resource"]) == [
        "/async-failure/*",
        "/async-output/*",
        "/compile-cache/*",
    ]


def test_the_compile_cache_grant_is_the_pools_own_folder_only(resources):
    role_id = one(resources, "AWS::SageMaker::Model")["ExecutionRoleArn"]["Fn::GetAtt"][0]
    cache = [s for s in role_statements(resources, role_id) if "/compile-cache/" in text(s["Resource"])]
    (grant,) = [s for s in cache if s["Effect"] == "Allow"]
    assert sorted(grant["Action"]) == ["s3:GetObject", "s3:PutObject"]
    assert text(grant["Resource"]).endswith('"/compile-cache/default/*"]]}')
    assert "Condition" not in grant


def test_execution_role_may_publish_metrics_only_to_the_endpoint_instance_namespace(resources):
    role_id = one(resources, "AWS::SageMaker::Model")["ExecutionRoleArn"]["Fn::GetAtt"][0]
    (metrics,) = [s for s in role_statements(resources, role_id) if s["Action"] == "cloudwatch:PutMetricData"]
    assert metrics["Condition"] == {"StringEquals": {"cloudwatch:namespace": "/aws/sagemaker/Endpoints"}}


def test_lambdas_may_invoke_only_the_pool_endpoints(resources):
    statements = role_statements(resources, function_role(resources, "sdapi.handlers.api.handler"))
    (invoke,) = [s for s in statements if "sagemaker:InvokeEndpointAsync" in s["Action"]]
    assert ":endpoint/sdapi-default" in text(invoke["Resource"])


def test_container_environment_parses_into_the_container_config(resources):
    from inference_container.config import ContainerConfig

    env = one(resources, "AWS::SageMaker::Model")["PrimaryContainer"]["Environment"]
    assert set(env) - {"AWS_DEFAULT_REGION"} <= set(ContainerConfig.variables().values())
    resolved = {k: v if isinstance(v, str) else f"resolved-{k.lower()}" for k, v in env.items()}
    config = ContainerConfig.from_env(resolved)
    assert config.jobs_table == "resolved-sdapi_jobs_table"
    assert config.bucket == "resolved-sdapi_bucket"
    assert str(config.model_root) == "/opt/ml/model"
    assert config.default_model == "sd_xl_base_1.0"
