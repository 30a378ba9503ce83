"""Shared fixtures: the project's tests never reach the network."""

import socket

import pytest


class NetworkBlocked(OSError):
    """Raised by any attempt to open a network connection during a test."""


@pytest.fixture
def no_network(monkeypatch):
    """Make every socket connection and name lookup fail, as on a machine with no network."""

    def refuse(*args, **kwargs):
        raise NetworkBlocked("a test tried to reach the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    yield


def pytest_generate_tests(metafunc):
    """Parametrise a chapter's ChapterTests over its tables of mistakes and odd returns."""
    for argument, table in (("mistake", "mistakes"), ("odd", "odd_returns"), ("alternative", "alternatives")):
        if argument in metafunc.fixturenames and metafunc.cls is not None:
            metafunc.parametrize(argument, getattr(metafunc.cls, table), ids=str)
