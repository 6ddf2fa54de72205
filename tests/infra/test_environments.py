"""Synth everywhere: the stack synthesizes with cdk-nag on in the environment-agnostic form the tests use,
with a concrete account and region (what the CDK CLI always has), and in the aws-cn / aws-us-gov partitions;
every ARN is built from the partition token; cfn-lint finds no error in any synthesized template."""

from __future__ import annotations

import json
import re

import pytest

from tests.infra.synth import ENVIRONMENTS, LINT_REGION, lint_errors, synth

HARD_CODED_PARTITION = re.compile(r"arn:aws(-cn|-us-gov)?:")


@pytest.fixture(scope="module", params=sorted(ENVIRONMENTS))
def concrete(request, tmp_path_factory, image_directory):
    """(region, template) of a synth with a concrete account and region; the synth itself raises on any
    unacknowledged cdk-nag finding, so reaching the template is the first check."""
    from aws_cdk.assertions import Template

    account, region = ENVIRONMENTS[request.param]
    _, stack, _ = synth(tmp_path_factory.mktemp(f"cdk.out-{request.param}"), image_directory, account, region)
    return region, Template.from_stack(stack).to_json()


def test_a_concrete_environment_synthesizes_with_nag_and_names_its_region(concrete):
    region, template = concrete
    assert region in json.dumps(template)


def test_a_concrete_environment_hard_codes_no_partition(concrete):
    _, template = concrete
    assert HARD_CODED_PARTITION.findall(json.dumps(template)) == []


def test_the_agnostic_template_hard_codes_no_partition(template):
    assert HARD_CODED_PARTITION.findall(json.dumps(template.to_json())) == []


def test_cfn_lint_finds_no_error_in_a_concrete_template(concrete):
    region, template = concrete
    assert lint_errors(template, region) == []


def test_cfn_lint_finds_no_error_in_the_agnostic_template(template):
    assert lint_errors(template.to_json(), LINT_REGION) == []


def test_cfn_lint_reports_errors_it_is_given():
    """The lint helper can fail: a template with an unknown property is an error."""
    bad = {"Resources": {"Q": {"Type": "AWS::SQS::Queue", "Properties": {"NoSuchProperty": 1}}}}
    assert lint_errors(bad, LINT_REGION) != []


def test_nag_text_flattens_tokens_as_cdk_nag_does():
    from infra.nag import flatten

    value = {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":s3:::", {"Fn::GetAtt": ["B", "Arn"]}]]}
    assert flatten(value) == "arn:<AWS::Partition>:s3:::<B.Arn>"


def test_finding_text_resolves_the_stack_s_own_region(tmp_path):
    import aws_cdk as cdk

    from infra.nag import resource_text

    env = cdk.Environment(account="1", region="eu-west-1")
    stack = cdk.Stack(cdk.App(outdir=str(tmp_path)), "S", env=env)
    arn = stack.format_arn(service="logs", resource="log-group", resource_name="g")
    assert resource_text(stack, arn) == "arn:<AWS::Partition>:logs:eu-west-1:1:log-group/g"


def test_snapstart_is_set_only_where_the_partition_has_it(concrete):
    region, template = concrete
    (api,) = [
        r["Properties"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::Lambda::Function" and r["Properties"]["Handler"] == "sdapi.handlers.api.handler"
    ]
    expected = {"ApplyOn": "PublishedVersions"} if region == "eu-west-1" else None
    assert api.get("SnapStart") == expected
