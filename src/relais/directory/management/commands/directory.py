"""`relais directory export|import`: the directory as Open Referral HSDS 3.0.

    relais directory export [--format json|csv] [--output PATH]
    relais directory import FILE_OR_DIR [--language fr|nl|en] [--as EMAIL]

JSON goes to standard output unless --output names a file; CSV needs --output (a
directory: one file per HSDS table plus datapackage.json). Import takes any HSDS JSON
shape (our export, one object, a list or an API page, tabular JSON) or a CSV directory;
it changes nothing and exits non-zero when the file has a problem, listing each one.
"""

import json
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from relais.directory.hsds.document import load_hsds_file
from relais.directory.hsds.errors import HsdsImportError
from relais.directory.hsds.export import export_hsds
from relais.directory.hsds.importer import import_hsds
from relais.directory.hsds.tables import export_csv

BAR_WIDTH = 30


class Command(BaseCommand):
    help = "Export the directory as Open Referral HSDS 3.0 (JSON or CSV), or import it."

    def add_arguments(self, parser):
        operations = parser.add_subparsers(dest="operation", required=True)
        export = operations.add_parser("export", help="write the directory as HSDS")
        export.add_argument("--format", choices=["json", "csv"], default="json")
        export.add_argument("--output", type=Path,
                            help="file (json; default: standard output) or directory (csv)")
        load = operations.add_parser("import", help="read an HSDS JSON file or CSV directory")
        load.add_argument("path", type=Path, metavar="FILE_OR_DIR")
        load.add_argument("--language", choices=["fr", "nl", "en"], default="fr",
                          help="language of names and descriptions without Relais "
                               "translations (default: fr)")
        load.add_argument("--as", dest="actor", metavar="EMAIL",
                          help="the user the audit log names as having imported")

    def handle(self, *args, operation, **options):
        if operation == "export":
            self.export(options["format"], options["output"])
        else:
            self.load(options["path"], options["language"], options["actor"])

    def export(self, output_format: str, output: Path | None) -> None:
        if output_format == "csv":
            if output is None:
                raise CommandError("--format csv needs --output DIRECTORY")
            files = export_csv(output)
            self.stdout.write(f"wrote {len(files)} files to {output}")
            return
        text = json.dumps(export_hsds(), ensure_ascii=False, indent=2)
        if output is None:
            self.stdout.write(text)
        else:
            output.write_text(text + "\n", encoding="utf-8")
            self.stdout.write(f"wrote {output}")

    def load(self, path: Path, language: str, actor_email: str | None) -> None:
        actor = None
        if actor_email:
            actor = get_user_model().objects.filter(email=actor_email.lower()).first()
            if actor is None:
                raise CommandError(f"no user with the email address {actor_email}")
        try:
            report = import_hsds(load_hsds_file(path), actor=actor, language=language,
                                 progress=self.progress)
        except HsdsImportError as error:
            self.stderr.write("")
            for problem in error.problems:
                self.stderr.write(f"PROBLEM {problem}")
            raise CommandError(f"import refused: {len(error.problems)} problem(s); "
                               f"nothing was changed") from None
        self.stdout.write(report.summary())

    def progress(self, stage: str, done: int, total: int) -> None:
        filled = BAR_WIDTH * done // total if total else BAR_WIDTH
        if (stage, filled) == getattr(self, "_drawn", None) and done != total:
            return  # redraw only when the bar grows: quiet in logs, whatever the size
        self._drawn = (stage, filled)
        bar = "#" * filled + "." * (BAR_WIDTH - filled)
        self.stderr.write(f"\r{stage:<9} [{bar}] {done}/{total}",
                          ending="\n" if done == total else "")
        self.stderr.flush()
