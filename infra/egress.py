"""Private egress for the GPU hosts (`private_egress: true` in cdk.json context): the inference endpoints run
in a VPC of isolated subnets (no internet gateway, no NAT: no general internet route), reaching only S3 and
DynamoDB through gateway endpoints. The container never fetches a URL (URL inputs are fetched by the api
Lambda through the SSRF guard), so this takes nothing away from it; SageMaker itself pulls the image from ECR
and ships logs and metrics outside the VPC.
"""

from __future__ import annotations

from aws_cdk import Acknowledgment, Validations
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

VPC_ACTIONS = [
    "ec2:CreateNetworkInterface",
    "ec2:CreateNetworkInterfacePermission",
    "ec2:DeleteNetworkInterface",
    "ec2:DeleteNetworkInterfacePermission",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeVpcs",
    "ec2:DescribeDhcpOptions",
    "ec2:DescribeSubnets",
    "ec2:DescribeSecurityGroups",
]
"""What SageMaker needs on the execution role to place an endpoint's ENIs in the VPC (no resource-level
permissions exist for the Describe calls)."""


class PrivateEgress(Construct):
    """The VPC (isolated subnets in two AZs, flow logs), the S3 and DynamoDB gateway endpoints, and one
    security group whose only egress is HTTPS to those two services' prefix lists."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.vpc = ec2.Vpc(
            self,
            "Vpc",
            max_azs=2,
            nat_gateways=0,
            subnet_configuration=[
                ec2.SubnetConfiguration(name="inference", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)
            ],
            gateway_endpoints={
                "S3": ec2.GatewayVpcEndpointOptions(service=ec2.GatewayVpcEndpointAwsService.S3),
                "DynamoDb": ec2.GatewayVpcEndpointOptions(service=ec2.GatewayVpcEndpointAwsService.DYNAMODB),
            },
            flow_logs={"Rejected": ec2.FlowLogOptions(traffic_type=ec2.FlowLogTrafficType.REJECT)},
            restrict_default_security_group=False,
        )
        self.security_group = ec2.SecurityGroup(
            self,
            "Inference",
            vpc=self.vpc,
            allow_all_outbound=False,
            description="SageMaker inference: HTTPS out; the only routes lead to the S3 and DynamoDB "
            "gateway endpoints",
        )
        # The route tables hold no default route, only the gateway endpoints' prefix lists, so HTTPS "to
        # anywhere" reaches S3 and DynamoDB and nothing else; no ingress at all.
        self.security_group.add_egress_rule(
            ec2.Peer.any_ipv4(), ec2.Port.tcp(443), "HTTPS (routable only to the gateway endpoints)"
        )

    def attach(self, model: sagemaker.CfnModel, role: iam.Role) -> None:
        """Run `model`'s endpoints in the VPC and give its execution role the ENI permissions."""
        model.vpc_config = sagemaker.CfnModel.VpcConfigProperty(
            security_group_ids=[self.security_group.security_group_id],
            subnets=[s.subnet_id for s in self.vpc.isolated_subnets],
        )
        role.add_to_policy(iam.PolicyStatement(actions=VPC_ACTIONS, resources=["*"]))
        Validations.of(role).acknowledge(
            Acknowledgment(
                id="AwsSolutions-IAM5[Resource::*]",
                reason="SageMaker places endpoint ENIs in the private VPC; the EC2 network-interface and "
                "Describe actions it needs have no resource-level permissions.",
            )
        )
