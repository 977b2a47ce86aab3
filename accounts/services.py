"""Creating accounts: officers, machine clients (client credentials), browser clients (code + PKCE)."""
from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from oauth2_provider.generators import generate_client_secret
from oauth2_provider.models import get_application_model

from layers.models import Organisation

from .audit import audit_record
from .models import AuditEvent, Profile

DEPARTMENTS = ("land", "planning", "transport", "utilities", "health", "education", "tourism", "environment",
               "public_security",
               # agencies the IOC forwards incidents to (incidents/codelists/agency.csv)
               "fire", "construction", "agriculture", "district")


class AccountError(Exception):
    """A request the account services refuse, with a message for the administrator."""


@dataclass
class MachineClient:
    client_id: str
    client_secret: str  # shown once: only its hash is stored


def _organisation(code: str | None) -> Organisation | None:
    if not code:
        return None
    organisation = Organisation.objects.filter(code=code).first()
    if organisation is None:
        raise AccountError(f"Không có đơn vị {code!r}; các đơn vị: "
                           f"{', '.join(Organisation.objects.values_list('code', flat=True))}")
    return organisation


@transaction.atomic
def officer_create(*, username: str, password: str, department: str, email: str = ""):
    """A person who edits the layers of one department (role officer:<department>)."""
    if department not in DEPARTMENTS:
        raise AccountError(f"Phòng ban {department!r} không có; dùng một trong {', '.join(DEPARTMENTS)}.")
    User = get_user_model()
    if User.objects.filter(username=username).exists():
        raise AccountError(f"Đã có tài khoản {username!r}.")
    user = User.objects.create_user(username=username, password=password, email=email)
    user.groups.add(Group.objects.get_or_create(name=f"officer:{department}")[0])
    return user


@transaction.atomic
def machine_client_create(*, name: str, roles: list[str], organisation: str | None = None,
                          created_by: str = "") -> MachineClient:
    """A machine client (client-credentials grant) acting as a service account with `roles`, for
    `organisation` (a utility writes only the assets it owns)."""
    User = get_user_model()
    username = f"client:{name}"
    if User.objects.filter(username=username).exists():
        raise AccountError(f"Đã có client {name!r}.")
    user = User.objects.create_user(username=username)  # no password: it cannot sign in interactively
    for role in roles:
        user.groups.add(Group.objects.get_or_create(name=role)[0])
    Profile.objects.create(user=user, organisation=_organisation(organisation))
    secret = generate_client_secret()
    Application = get_application_model()
    application = Application.objects.create(
        name=name, user=user, client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS, client_secret=secret,
        algorithm=Application.RS256_ALGORITHM)
    audit_record(AuditEvent.Kind.CLIENT_CREATED, actor=created_by, subject=name, client_id=application.client_id,
                 roles=sorted(roles), organisation=organisation)
    return MachineClient(application.client_id, secret)


@transaction.atomic
def browser_client_create(*, name: str, redirect_uris: list[str], trusted: bool = True) -> str:
    """A public client for browsers or apps (authorization code + PKCE, refresh tokens); `trusted`
    platform apps skip the consent page. Returns the client id."""
    Application = get_application_model()
    application = Application.objects.create(
        name=name, client_type=Application.CLIENT_PUBLIC, authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=" ".join(redirect_uris), skip_authorization=trusted, algorithm=Application.RS256_ALGORITHM)
    return application.client_id
