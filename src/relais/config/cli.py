"""The `relais` command: run | serve | worker | demo | migrate | audit | manage <command>.

Any other word is passed to Django's manage, so `relais check --deploy` works too.
"""

# First, before anything slow: a Ctrl+C while this module still imports ends the process
# as SIGINT does by default, without Python's traceback; `main` gives Python its handler
# back. (`_signal` is built in: importing it takes no time.)
import _signal

_signal.signal(_signal.SIGINT, _signal.SIG_DFL)

import os  # noqa: E402 - after the handler above
import signal  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402

from relais.config import run  # noqa: E402

USAGE = """usage: relais <command> [options]

  run [--host H] [--port P] [--adt-port P]
                                web server, worker and ADT listener together (make run)
  serve [--host H] [--port P]   serve the web application (gunicorn when RELAIS_ENV=production)
  worker                        background tasks (emails) and timed work (reminders,
                                escalations, digests), every 15 s; no cron
  demo                          load the fictional demo care zone (idempotent)
  generate [--persons N] [--seed S] ...
                                a synthetic population for benchmarks, in an empty
                                database (resumable; docs/bench.md)
  migrate                       create or update the database tables
  audit verify                  check the audit log's sealed batches and old hash chain
  audit proof <event id>        print and check an event's inclusion proof
  audit seal                    seal the committed events now (the worker does it every 2 s)
  directory export|import ...   the directory as Open Referral HSDS 3 (JSON or CSV)
  observatory compute|export ... the observatory's figures: compute now, export published ones
  adt-listen [--host H] [--port P] [--appliers N]
                                receive the hospital's HL7 v2 ADT feed (MLLP, port 2575):
                                store, acknowledge, and apply it (N applier processes)
  adt-apply                     one more applier of the stored ADT messages (PostgreSQL)
  adt-status [--json]           each ADT feed's health; exit 1 when a feed is not OK
  manage <command> [...]        any Django management command
"""


def main(argv: list[str] | None = None) -> int:
    """Ctrl+C (or `relais run` stopping) may come while a command is still starting (a
    niced ADT applier on a busy machine imports Django for seconds): it ends quietly with
    the shell's code for SIGINT, without a traceback. Once started, each command handles
    it itself (finishing what it is doing)."""
    try:
        signal.signal(signal.SIGINT, signal.default_int_handler)
        sys.unraisablehook = _deliver_interrupts_again
        return _command(list(sys.argv[1:] if argv is None else argv))
    except KeyboardInterrupt:
        return 130
    except RuntimeError as error:
        # Python 3.11 wraps what a descriptor's __set_name__ raises (a class being made
        # while Django imports) in a RuntimeError: still the Ctrl+C.
        if isinstance(error.__cause__, KeyboardInterrupt):
            return 130
        raise


def _deliver_interrupts_again(unraisable) -> None:
    """A Ctrl+C that lands in a finaliser or a weak reference's callback (imports run
    some) cannot be raised there: Python prints its traceback and drops it. It is sent
    again a moment later, from another thread, to reach the command (or `main`)."""
    if issubclass(unraisable.exc_type, KeyboardInterrupt):
        threading.Timer(0.02, os.kill, (os.getpid(), signal.SIGINT)).start()
    else:
        sys.__unraisablehook__(unraisable)


def _command(argv: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "relais.config.settings")
    if not argv or argv[0] in {"-h", "--help", "help"}:
        print(USAGE)
        return 0
    command, rest = argv[0], argv[1:]
    if command == "run":
        return run.main(rest)
    # Django comes with the commands (seconds to import on a busy machine): a Ctrl+C
    # while it loads then ends the process quietly (`main`): why this import is inside
    from relais.config.commands import manage, serve

    if command == "serve":
        return serve(rest)
    if command == "worker":
        return manage(["worker", *rest])
    if command == "demo":
        return manage(["load_demo", *rest])
    if command == "migrate":
        return manage(["migrate", "--no-input", *rest])
    if command == "adt-listen":
        return manage(["adt_listen", *rest])
    if command == "adt-apply":
        return manage(["adt_apply", *rest])
    if command == "adt-status":
        return manage(["adt_status", *rest])
    if command == "manage":
        return manage(rest)
    return manage(argv)


if __name__ == "__main__":
    sys.exit(main())
