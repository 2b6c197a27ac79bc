"""What an acceptable subscriber address is, and its key: one rule for forms and imports."""

from email_validator import EmailNotValidError, validate_email

MAX_LENGTH = 254  # RFC 5321's limit on a path, which is what an address must fit in


class InvalidAddress(ValueError):
    pass


def address_normalise(raw: str) -> tuple[str, str]:
    """(the address to store, its unique key), or InvalidAddress with the reason.

    Syntax only (no DNS): email-validator, ASCII local parts only (no SMTPUTF8), so that
    look-alike letters cannot make a second subscription of the same address.
    """
    if not isinstance(raw, str):
        raise InvalidAddress("not text")
    address = raw.strip()
    if not address:
        raise InvalidAddress("empty")
    if len(address) > MAX_LENGTH:
        raise InvalidAddress(f"longer than {MAX_LENGTH} characters")
    if any(ord(c) < 32 or ord(c) == 127 for c in address):
        raise InvalidAddress("control characters")
    try:
        valid = validate_email(address, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError as error:
        raise InvalidAddress(str(error)) from None
    stored = valid.ascii_email or valid.normalized
    if len(stored) > MAX_LENGTH:
        raise InvalidAddress(f"longer than {MAX_LENGTH} characters")
    return stored, stored.lower()
