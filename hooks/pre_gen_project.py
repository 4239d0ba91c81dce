"""Refuse answers that would bake a broken project, one clear line each."""

import json
import keyword
import re
import sys
import unicodedata

# Cookiecutter's own dependency; without it a refusal cannot tell a package name
# derived from the project name from a typed one, so it names no origin.
try:
    from slugify import slugify
except ImportError:
    slugify = None

ANSWERS = json.loads(r"""{{ cookiecutter | tojson }}""")

# Names a package must not take: importing them from inside the project would
# shadow the real dependency or a standard-library module.
SHADOWED_NAMES = frozenset(sys.stdlib_module_names) | {
    "alembic",
    "anyio",
    "celery",
    "fastapi",
    "flask",
    "flask_wtf",
    "httpx",
    "kombu",
    "mcp",
    "openai",
    "pydantic",
    "pydantic_settings",
    "pytest",
    "redis",
    "requests",
    "sqlalchemy",
    "starlette",
    # The standard library's own regression tests; stdlib_module_names leaves it out.
    "test",
    "tests",
    "uvicorn",
}
# Names that shadow nothing yet still make a confusing project, and why.
RESERVED_NAMES = {
    "src": "is the folder that holds the package, so it would bake src/src/",
}

IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")
# A Kubernetes Service takes the slug as its name, so it must start with a letter.
SLUG = re.compile(r"^[a-z](?:[a-z0-9_-]*[a-z0-9])?$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# PEP 440, without local versions (they cannot be published).
PEP440 = re.compile(
    r"^([1-9][0-9]*!)?(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*"
    r"((a|b|rc)(0|[1-9][0-9]*))?(\.post(0|[1-9][0-9]*))?(\.dev(0|[1-9][0-9]*))?$"
)
DNS_LABEL_LIMIT = 63
# Long enough for any real name; short enough to sit on one line of code
# (in columns, so a name of wide characters may have half as many).
PROJECT_NAME_LIMIT = 60
# The baked code that names the package is laid out for 88 columns up to this.
PACKAGE_NAME_LIMIT = 30


def suggest_identifier(name: str) -> str:
    cleaned = re.sub(r"[^a-z0-9_]+", "_", name.lower()).strip("_") or "service"
    if cleaned[0].isdigit() or keyword.iskeyword(cleaned):
        cleaned = f"{cleaned}_service" if not cleaned[0].isdigit() else f"svc_{cleaned}"
    if cleaned in SHADOWED_NAMES or cleaned in RESERVED_NAMES:
        cleaned = f"{cleaned}_service"
    return cleaned


def package_name_origin(name: str, project_name: str, project_slug: str) -> str:
    """The answer the package name was derived from, or "" when it was typed."""
    if slugify is None or name != project_slug.replace("-", "_"):
        return ""
    if project_slug == slugify(project_name, separator="_"):
        return "project_name"
    return "project_slug"


def check_package_name(name: str, project_name: str, project_slug: str) -> str | None:
    origin = package_name_origin(name, project_name, project_slug)
    fix = f'set package_name="{suggest_identifier(name)}"'
    name_and_origin = f"package_name {name!r}"
    if origin:
        answer = project_name if origin == "project_name" else project_slug
        name_and_origin += f" (from {origin} {answer!r})"
        fix = f"choose another {origin} or {fix}"
    if not IDENTIFIER.match(name):
        return (
            f"{name_and_origin} is not a Python identifier (lowercase letters, "
            f"digits and _, not starting with a digit); {fix}"
        )
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        return f"{name_and_origin} is a Python keyword; {fix}"
    if name in SHADOWED_NAMES:
        return (
            f"{name_and_origin} would shadow the {name!r} module of the same "
            f"name; {fix}"
        )
    if name in RESERVED_NAMES:
        return f"{name_and_origin} {RESERVED_NAMES[name]}; {fix}"
    if len(name) > PACKAGE_NAME_LIMIT:
        # Cut after the last whole word that fits, or mid-word if none does.
        words = name[: PACKAGE_NAME_LIMIT + 1].rpartition("_")[0]
        shorter = suggest_identifier(words or name[:PACKAGE_NAME_LIMIT])
        return (
            f"{name_and_origin} is {len(name)} characters; keep it to "
            f'{PACKAGE_NAME_LIMIT}, e.g. package_name="{shorter}"'
        )
    return None


def check_project_slug(slug: str) -> str | None:
    if not SLUG.match(slug):
        return (
            f"project_slug {slug!r} must be lowercase letters, digits, _ or -, "
            "starting with a letter and ending with a letter or digit; "
            f'try project_slug="{suggest_identifier(slug).replace("_", "-")}"'
        )
    if len(slug) > DNS_LABEL_LIMIT:
        return (
            f"project_slug {slug!r} is {len(slug)} characters; Kubernetes names "
            f"allow {DNS_LABEL_LIMIT}, so choose a shorter project_slug"
        )
    return None


def display_width(text: str) -> int:
    """Columns the text takes in an editor, as ruff counts line length."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def check_project_name(name: str) -> str | None:
    if not name.strip():
        return 'project_name is empty; try project_name="My AI Service"'
    width = display_width(name)
    if width > PROJECT_NAME_LIMIT:
        return (
            f"project_name is {width} columns wide; keep it to {PROJECT_NAME_LIMIT} "
            "(a wide character such as 日 counts twice) and put the rest in "
            "description"
        )
    if any(character in name for character in '"\\\n'):
        return "project_name must not contain quotes, backslashes or line breaks"
    return None


def check_author_email(email: str) -> str | None:
    if not EMAIL.match(email):
        return f'author_email {email!r} is not an e-mail address; try "you@example.com"'
    return None


def check_version(version: str) -> str | None:
    if not PEP440.match(version):
        return f'version {version!r} is not a PEP 440 version; try "0.1.0"'
    return None


def check_port(port: str) -> str | None:
    if not port.isdigit() or not 1 <= int(port) <= 65535:
        return f'port {port!r} is not a TCP port number (1-65535); try "5000"'
    return None


def main() -> int:
    checks = [
        # The slug derives from the name and the package from the slug: report
        # only the first link that breaks, once.
        check_project_name(ANSWERS["project_name"])
        or check_project_slug(ANSWERS["project_slug"])
        or check_package_name(
            ANSWERS["package_name"], ANSWERS["project_name"], ANSWERS["project_slug"]
        ),
        check_author_email(ANSWERS["author_email"]),
        check_version(ANSWERS["version"]),
        check_port(str(ANSWERS["port"])),
    ]
    problems = [problem for problem in checks if problem]
    for problem in problems:
        print(f"ERROR: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
