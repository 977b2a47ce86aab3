from django.core.management.base import BaseCommand, CommandError

from accounts.services import AccountError, browser_client_create


class Command(BaseCommand):
    help = "Create a public OpenID Connect client (authorization code + PKCE) for a web or mobile app."

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--redirect-uri", action="append", required=True)
        parser.add_argument("--ask-consent", action="store_true", help="show the consent page (third-party apps)")

    def handle(self, *args, name, redirect_uri, ask_consent, **options):
        try:
            client_id = browser_client_create(name=name, redirect_uris=redirect_uri, trusted=not ask_consent)
        except AccountError as error:
            raise CommandError(str(error))
        self.stdout.write(f"client_id={client_id}")
