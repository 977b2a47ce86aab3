import getpass
import os

from django.core.management.base import BaseCommand, CommandError

from accounts.services import DEPARTMENTS, AccountError, officer_create


class Command(BaseCommand):
    help = "Create an officer who edits one department's layers (password from GEO_NEW_PASSWORD or a prompt)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--department", required=True, choices=DEPARTMENTS)
        parser.add_argument("--email", default="")

    def handle(self, *args, username, department, email, **options):
        password = os.environ.get("GEO_NEW_PASSWORD") or getpass.getpass("Mật khẩu (password): ")
        try:
            officer_create(username=username, password=password, department=department, email=email)
        except AccountError as error:
            raise CommandError(str(error))
        self.stdout.write(self.style.SUCCESS(f"Đã tạo cán bộ {username} (officer:{department})."))
