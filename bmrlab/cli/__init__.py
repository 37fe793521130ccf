"""The ``bmrlab`` command: one module per command (or small group), the parser that lists them,
and the report they print. Heavy imports happen inside the commands, so ``--help`` is quick.

Exit status: 0 done; 1 the run failed or was aborted (data kept, reason stored); 2 bad
input, refused before any instrument was touched, one line per problem, no traceback.
"""

import os
import sys

from ..errors import BadInput
from .parser import build_parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.command(args)
    except BadInput as error:
        for line in error.problems:
            print(f"bmrlab: {line}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # the reader stopped early (`bmrlab devices | head`): no traceback
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
