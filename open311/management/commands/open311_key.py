"""Khóa API Open311: create, list and revoke the keys apps use to post reports.

    manage.py open311_key create "Ứng dụng Bình Phước Số"   # prints the key once
    manage.py open311_key list
    manage.py open311_key revoke <prefix>      # an older key's prefix starting with "-": revoke -- <prefix>
"""
from django.core.management.base import BaseCommand, CommandError

from incidents.models import ApiKey
from open311 import keys


class Command(BaseCommand):
    help = "Tạo, liệt kê, thu hồi khóa API Open311. / Create, list or revoke Open311 API keys."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        create = actions.add_parser("create", help="tạo khóa mới (in ra một lần) / create a key (printed once)")
        create.add_argument("name", help="tên ứng dụng / the app's name")
        actions.add_parser("list", help="liệt kê khóa / list keys")
        revoke = actions.add_parser("revoke", help="thu hồi khóa theo tiền tố / revoke a key by its prefix")
        revoke.add_argument("prefix")

    def handle(self, *args, action, **options):
        if action == "create":
            name = options["name"].strip()
            if not name:
                raise CommandError("Hãy đặt tên ứng dụng. / Give the app a name.")
            row, key = keys.api_key_create(name=name)
            self.stdout.write(f"Khóa API của {row.name} (chỉ hiện một lần / shown once):\n{key}")
        elif action == "list":
            for row in ApiKey.objects.order_by("created_at"):
                state = "hoạt động / active" if row.active else "đã thu hồi / revoked"
                self.stdout.write(f"{row.prefix}…\t{row.name}\t{row.created_at:%d/%m/%Y %H:%M}\t{state}")
        else:
            if not keys.api_key_revoke(prefix=options["prefix"]):
                raise CommandError("Không có khóa đang hoạt động với tiền tố này. / No active key has this prefix.")
            self.stdout.write("Đã thu hồi. / Revoked.")
