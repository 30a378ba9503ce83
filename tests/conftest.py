"""Shared fixtures: the project's tests never reach the network; the book is built once per session."""

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


UNGROUPED = pytest.StashKey[bool]()


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """Under `--dist loadgroup`, pytest-xdist keeps an xdist_group on one worker by a suffix it adds
    to each test's id. With a pytest whose ids it cannot change (9.2.0), a group is silently split:
    each worker would then build the book, both at once and into the same folder. Such a test
    fails instead, saying why."""
    if getattr(config.option, "loadgroup", False):
        for item in items:
            if item.get_closest_marker("xdist_group") and "@" not in item.nodeid:
                item.stash[UNGROUPED] = True


def pytest_runtest_setup(item):
    if item.stash.get(UNGROUPED, False):
        pytest.fail(f"pytest-xdist did not keep this test's xdist_group on one worker under pytest "
                    f"{pytest.__version__}: install the pytest that requirements.txt pins", pytrace=False)


@pytest.fixture(scope="session")
def built_book():
    """The whole book, built strictly once per session, into _build/html. Every test that uses it
    is in the xdist group "book", so that one worker builds it and the others never race it."""
    from tests.test_book import HTML, ROOT, build

    proc = build(ROOT, ROOT)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-6000:]
    return HTML


@pytest.fixture(scope="module")
def reader(built_book):
    """Headless Chromium on the built site, network blocked; screenshots in _build/screenshots.
    One per module, closed with it: Playwright's sync API allows one browser driver at a time in a
    process, and other modules (test_batch.py) start their own."""
    from tests.browser import Reader, need_chromium
    from tests.test_book import ROOT

    need_chromium()
    with Reader(built_book, screenshots=ROOT / "_build" / "screenshots") as r:
        yield r
