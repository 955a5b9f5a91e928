from django.core.management.base import BaseCommand, CommandError

from relais.audit.log import chain_head, verify_chain


class Command(BaseCommand):
    help = "Audit log tools. `audit verify` walks the hash chain and names every broken event."

    def add_arguments(self, parser):
        parser.add_argument("operation", choices=["verify"])

    def handle(self, *args, operation, **options):
        problems = list(verify_chain())
        for problem in problems:
            self.stderr.write(f"BROKEN {problem}")
        count, head = chain_head()
        if problems:
            raise CommandError(f"audit log: {len(problems)} problem(s) in {count} events")
        self.stdout.write(f"audit log OK: {count} events, head {head}")
