"""`sdapi.aws.clients`: every session reads botocore's data through the process's one loader."""

from __future__ import annotations

from sdapi.aws import clients


def test_sessions_share_one_loader_so_service_models_are_parsed_once():
    first = clients.session("us-east-1")._session.get_component("data_loader")
    second = clients.session("eu-west-1")._session.get_component("data_loader")
    assert first is second


def test_many_sessions_leave_the_search_paths_as_one_session_does():
    # given one session
    paths = list(clients.session()._session.get_component("data_loader").search_paths)
    # when many more are made
    for _ in range(5):
        clients.session()
    # then boto3's data folder is still on the loader's search paths once
    assert clients.session()._session.get_component("data_loader").search_paths == paths


def test_a_session_keeps_its_own_credentials():
    made = clients.session("us-east-1", aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="x")
    assert made.get_credentials().access_key == "AKIDEXAMPLE"
