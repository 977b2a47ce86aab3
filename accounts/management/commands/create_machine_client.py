import getpass

from django.core.management.base import BaseCommand, CommandError

from accounts.services import AccountError, machine_client_create


class Command(BaseCommand):
    help = ("Create a machine client (OAuth2 client credentials) with roles, e.g. a utility's sync job: "
            "create_machine_client pc-sync --role utility --organisation PCBP. The secret is shown once.")

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--role", action="append", required=True, help="role (repeatable), e.g. utility")
        parser.add_argument("--organisation", help="organisation code whose assets it may write, e.g. PCBP")

    def handle(self, *args, name, role, organisation, **options):
        try:
            client = machine_client_create(name=name, roles=role, organisation=organisation,
                                           created_by=f"shell:{getpass.getuser()}")
        except AccountError as error:
            raise CommandError(str(error))
        self.stdout.write(f"client_id={client.client_id}")
        self.stdout.write(f"client_secret={client.client_secret}")
        self.stdout.write("Token: POST /o/token/ grant_type=client_credentials (HTTP Basic client_id:client_secret).")
