"""`aigw --version`."""

from __future__ import annotations


def test_aigw_version_prints_the_installed_distribution_version():
    import importlib.metadata

    from click.testing import CliRunner

    from aigw.cli import main

    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0
    assert result.output == f"aigw {importlib.metadata.version('aigw-infra')}\n"
