"""`relais manage fhir_client add|list|revoke`: the systems that call the FHIR API."""

from django.core.management.base import BaseCommand, CommandError

from relais.accounts.models import Organisation
from relais.accounts.validators import compact_kbo
from relais.core.text import is_digits
from relais.interop.fhir import clients
from relais.interop.models import SystemClient


class Command(BaseCommand):
    help = "Register, list or revoke a system client of the FHIR API (docs/fhir.md)."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        add = actions.add_parser("add", help="Register a client; prints its id and secret.")
        add.add_argument("name", help="The system's name, e.g. 'Hôpital Test EHR'.")
        add.add_argument("--organisation", required=True,
                         help="The organisation it acts for: its id or its KBO/BCE number.")
        add.add_argument("--scopes", default="system/*.rs",
                         help="SMART v2 system scopes it may ask for (default: system/*.rs).")
        actions.add_parser("list", help="List the clients.")
        revoke = actions.add_parser("revoke", help="Revoke a client and its tokens.")
        revoke.add_argument("client_id")

    def handle(self, *args, action, **options):
        {"add": self._add, "list": self._list, "revoke": self._revoke}[action](**options)

    def _add(self, *, name, organisation, scopes, **options):
        try:
            client, secret = clients.register_client(
                name=name, organisation=_organisation(organisation), allowed=scopes)
        except clients.InvalidScopes as error:
            raise CommandError(f"Not a scope this server offers: {error}") from None
        self.stdout.write(f"client_id:     {client.application.client_id}\n"
                          f"client_secret: {secret}\n"
                          f"acts for:      {client.organisation}\n"
                          f"scopes:        {client.scopes}\n"
                          "The secret is shown once; Relais keeps only its hash.")

    def _list(self, **options):
        for client in SystemClient.objects.select_related("application", "organisation"):
            state = "active" if client.is_active else "revoked"
            self.stdout.write(f"{client.application.client_id}  {state:7}  "
                              f"{client.application.name} → {client.organisation}  "
                              f"[{client.scopes}]")

    def _revoke(self, *, client_id, **options):
        client = SystemClient.objects.filter(application__client_id=client_id).first()
        if client is None:
            raise CommandError(f"No client {client_id}.")
        clients.revoke_client(client)
        self.stdout.write(f"Revoked {client_id}: its tokens no longer work.")


def _organisation(value: str) -> Organisation:
    found = Organisation.objects.filter(kbo_number=compact_kbo(value)).first()
    if found is None and is_digits(value) and len(value) < 10:
        found = Organisation.objects.filter(pk=int(value)).first()
    if found is None:
        raise CommandError(f"No organisation with id or KBO/BCE number {value}.")
    return found
