import os
import secrets
from datetime import datetime, timezone

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from geo.settings.identity import new_rsa_private_key_pem
from geo.settings.security import read_secret_file, write_secret_file


class Command(BaseCommand):
    help = ("Rotate the keys kept under var/ (mode 600): the current key becomes a previous one, still "
            "accepted, and a new one signs. Restart the platform afterwards; once the longest lifetime "
            "has passed (15 min for the OIDC key, 2 weeks for the secret key), --drop-previous.")

    def add_arguments(self, parser):
        parser.add_argument("--oidc", action="store_true", help="the OpenID Connect signing key, var/oidc-key.pem")
        parser.add_argument("--secret-key", action="store_true", help="Django's SECRET_KEY, var/secret_key")
        parser.add_argument("--drop-previous", action="store_true",
                            help="forget the previous keys instead: what they signed is refused from then on")

    def handle(self, *args, oidc, secret_key, drop_previous, **options):
        if not (oidc or secret_key):
            raise CommandError("Name the key: --oidc, --secret-key or both.")
        var = settings.VAR_DIR
        # Settings read var/ only when the environment does not give the key; rotating the file
        # would then change nothing, so say how to rotate it there.
        if oidc and os.environ.get("GEO_OIDC_RSA_PRIVATE_KEY"):
            raise CommandError("The signing key comes from GEO_OIDC_RSA_PRIVATE_KEY: move it to "
                               "GEO_OIDC_RSA_PRIVATE_KEYS_INACTIVE and set a new one (README: Rotating keys).")
        if secret_key and os.environ.get("DJANGO_SECRET_KEY"):
            raise CommandError("The secret key comes from DJANGO_SECRET_KEY: move it to "
                               "DJANGO_SECRET_KEY_FALLBACKS and set a new one (README: Rotating keys).")
        if drop_previous:
            previous = ([*var.glob("oidc-key.previous*.pem")] if oidc else []) + \
                       ([var / "secret_key.previous"] if secret_key else [])
            for path in previous:
                path.unlink(missing_ok=True)
            self.stdout.write("Previous keys dropped; restart the platform.")
            return
        if oidc:
            self._rotate_oidc(var)
        if secret_key:
            self._rotate_secret_key(var)
        self.stdout.write(self.style.SUCCESS(
            "Rotated. Restart the platform; the previous keys stay valid until "
            f"`manage.py rotate_keys --drop-previous{' --oidc' if oidc else ''}{' --secret-key' if secret_key else ''}`."))

    def _rotate_oidc(self, var):
        # The current key is kept first (under a new name), then replaced: at no moment is there no key.
        current = var / "oidc-key.pem"
        if current.exists():
            stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
            write_secret_file(var / f"oidc-key.previous-{stamp}.pem", read_secret_file(current), replace=False)
        write_secret_file(current, new_rsa_private_key_pem(), replace=True)
        self.stdout.write(f"New signing key in {current}; the previous one is still published and accepted.")

    def _rotate_secret_key(self, var):
        current, previous = var / "secret_key", var / "secret_key.previous"
        if current.exists():
            older = read_secret_file(previous).split() if previous.exists() else []
            kept = [read_secret_file(current).strip(), *older]
            write_secret_file(previous, "".join(f"{key}\n" for key in kept), replace=True)
        write_secret_file(current, secrets.token_urlsafe(50), replace=True)
        self.stdout.write(f"New secret key in {current}; the previous ones are in {previous} (SECRET_KEY_FALLBACKS).")
