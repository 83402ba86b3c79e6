"""Create the first administrator with a generated password, once; print how to sign in."""

import secrets

from django.conf import settings
from django.core.management.base import BaseCommand

from dangvu.accounts.models import User

PASSWORD_FILE = "admin-password.txt"


class Command(BaseCommand):
    help = "Create the 'admin' superuser with a generated password if no superuser exists."

    def handle(self, *args: object, **options: object) -> None:
        path = settings.VAR_DIR / PASSWORD_FILE
        if (
            not User.objects.filter(is_superuser=True, is_active=True)
            .exclude(username="system")
            .exists()
        ):
            password = secrets.token_urlsafe(12)
            User.objects.create_superuser("admin", password=password)
            path.write_text(password + "\n")
            path.chmod(0o600)
        if path.exists():
            self.stdout.write(
                f"Tài khoản quản trị / admin account: admin / {path.read_text().strip()}"
            )
            self.stdout.write(f"(mật khẩu lưu tại / password kept in {path})")
