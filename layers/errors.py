"""Internal failures reach users as a reference they can quote, never as server paths, SQL or
constraint names: the details go to the log under that reference."""
from __future__ import annotations

import logging
import secrets

log = logging.getLogger("geo.incidents")


def logged_reference(what: str, error: BaseException | None = None) -> str:
    """Log `what` (and `error` with its traceback) under a new short reference such as
    "E-3F9A1C2B", and return the reference for the message shown to the user."""
    reference = f"E-{secrets.token_hex(4).upper()}"
    log.error("%s: %s", reference, what, exc_info=(type(error), error, error.__traceback__) if error else None)
    return reference


class ImportRejected(Exception):
    """Input the platform refuses (a file, an import option, a feature's value), with a message for
    the person who sent it. Raised by validation in layers/ and by the importers."""
