"""The command line's shape: help for every command, clear refusals for bad options."""

from __future__ import annotations

import pytest

from databrewery_lab.cli import build_parser, main


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["demo"],
        ["db"],
        ["db", "start"],
        ["db", "stop"],
        ["db", "status"],
        ["db", "url"],
        ["db", "psql"],
        ["init"],
    ],
)
def test_every_command_has_useful_help(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main([*argv, "--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: databrewery-lab")
    assert len(out.splitlines()) >= 4


def test_unknown_option_is_refused_with_usage(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["demo", "--sacle", "2"])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "unrecognized arguments: --sacle" in err


@pytest.mark.parametrize("bad", ["0", "-1", "lots"])
def test_scale_must_be_a_positive_number(bad: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["demo", "--no-lab", "--scale", bad])
    assert "--scale" in capsys.readouterr().err


def test_demo_defaults() -> None:
    args = build_parser().parse_args(["demo"])
    assert (args.scale, args.seed, args.reset, args.no_lab) == (1.0, 0, False, False)
