"""Password hashing with argon2id, and the strength a new password must have."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError
from zxcvbn import zxcvbn

_hasher = PasswordHasher()
MIN_LENGTH = 12
MIN_SCORE = 3  # zxcvbn: 0 (guessed at once) … 4 (very unlikely guessed)
# zxcvbn's warnings (English) as messages of our catalogs; others fall back to the general one.
_WARNINGS = {
    "This is a top-10 common password.": "This is one of the most common passwords.",
    "This is a top-100 common password.": "This is one of the most common passwords.",
    "This is a very common password.": "This is a very common password.",
    "This is similar to a commonly used password.": "This is like a common password.",
    "A word by itself is easy to guess.": "A single word is easy to guess.",
    "Names and surnames by themselves are easy to guess.": "Names alone are easy to guess.",
    "Common names and surnames are easy to guess.": "Names alone are easy to guess.",
    'Repeats like "aaa" are easy to guess.': "Repeated characters are easy to guess.",
    'Repeats like "abcabcabc" are only slightly harder to guess than "abc".': (
        "Repeated characters are easy to guess."
    ),
    "Sequences like abc or 6543 are easy to guess.": (
        "Sequences like abc or 6543 are easy to guess."
    ),
    "Recent years are easy to guess.": "Years and dates are easy to guess.",
    "Dates are often easy to guess.": "Years and dates are easy to guess.",
    "Straight rows of keys are easy to guess.": "Rows of keys (qwerty) are easy to guess.",
    "Short keyboard patterns are easy to guess.": "Rows of keys (qwerty) are easy to guess.",
}


def hash_password(password: str) -> str:
    """An argon2id hash of ``password``."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when ``password`` matches ``password_hash``."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, InvalidHashError):
        return False


def weakness(password: str, personal: list[str] | None = None) -> str | None:
    """Why ``password`` is too weak (an English msgid to translate), or None when strong.

    At least ``MIN_LENGTH`` characters and a zxcvbn score of ``MIN_SCORE``, counting the
    person's own name, email and the business's name as easy guesses.
    """
    if len(password) < MIN_LENGTH:
        return "The password needs at least {n} characters."
    if len(password) > 256:
        return "The password may have at most 256 characters."
    words = [w for item in personal or [] for w in item.replace("@", " ").split() if w]
    result = zxcvbn(password[:100], user_inputs=words)
    if result["score"] >= MIN_SCORE:
        return None
    warning = result["feedback"].get("warning") or ""
    return _WARNINGS.get(warning, "The password is too easy to guess: add more uncommon words.")
