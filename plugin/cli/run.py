"""`tinct run REQUEST.json`: run a request written by ``Request.to_json`` (hosts' subprocess bridge).

With ``tinct --error-file FILE run ...``, a user error is also written there as JSON
(``error_to_dict``), so the host that started this process gets the error as data, not as text to parse.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from tinct.core.errors import ParameterError
from tinct.nodes.api import Request
from tinct.plugin.cli.arguments import add_workers_argument
from tinct.plugin.cli.restore import run as run_request


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "run",
        help="run a request file (JSON) written by a host or tinct.nodes.api",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("request", type=Path, help="the request, as written by Request.to_json")
    add_workers_argument(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    return run_request(read_request(args.request), args.workers)


def read_request(path: Path) -> Request:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ParameterError(
            "Cannot read the request file",
            expected="a request written by Request.to_json",
            found=error.strerror or str(error),
            repair="write the request again",
            file=path,
        ) from error
    return Request.from_json(text)
