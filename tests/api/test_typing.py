"""The typing of ``op`` and ``context``: the directive stub matches what is registered."""

from __future__ import annotations

import asyncmig
from asyncmig import _alembic, _proxy
from tests.api import _directives_stub as stub


def test_stub_declares_every_registered_directive_as_it_accepts_arguments() -> None:
    """_directives.pyi declares each directive with the parameters it takes at run time."""
    declared = {method.name: method for method in stub.declared(stub.STUB.read_text())}
    expected = {method.name: method for method in stub.expected()}
    assert sorted(declared) == sorted(expected), "regenerate: python -m tests.api._directives_stub"
    for name, method in expected.items():
        assert declared[name].params == method.params, name
        assert declared[name].returns == method.returns, name


def test_op_and_context_stay_proxies_at_run_time() -> None:
    """The typed names are still the ContextVar proxies, shared with `from alembic import op`."""
    assert isinstance(asyncmig.op, _proxy._Proxy)
    assert isinstance(asyncmig.context, _proxy._Proxy)
    assert _alembic.op is asyncmig.op
    assert _alembic.context is asyncmig.context
    assert repr(asyncmig.op) == "<asyncmig.op proxy>"
