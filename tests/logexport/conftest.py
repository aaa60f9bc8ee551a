"""Key pairs for the logexport tests: RSA 4096 generation takes about a second, so once per session."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from aigw.logexport.keys import KeyPair, generate_key_pair


@pytest.fixture(scope="session")
def key_pair() -> KeyPair:
    return generate_key_pair()


@pytest.fixture(scope="session")
def other_key_pair() -> KeyPair:
    """A second, unrelated 4096-bit pair: the 'wrong key'."""
    return generate_key_pair()


@pytest.fixture(scope="session")
def private_key(key_pair: KeyPair):
    return load_pem_private_key(key_pair.private_pem, password=None)
