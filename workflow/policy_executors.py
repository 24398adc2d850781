"""The policy's executors and the families they serve: how changes are dry-run and applied."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from types import MappingProxyType
from urllib.parse import urlsplit

from workflow.executor_spec import (
    COMMAND_TIMEOUT,
    MAX_OUTPUT,
    WEBHOOK_TIMEOUT,
    CommandSpec,
    ExecutorSpec,
    ExternalSpec,
    WebhookSpec,
)
from workflow.policy_fields import (
    Node,
    Problems,
    child,
    choice,
    duration,
    kind,
    known_keys,
    mapping,
    text,
)
from workflow.policy_model import is_glob

KINDS = ("webhook", "command", "external")
KIND_KEYS = {
    "webhook": ("kind", "url", "secret_env", "timeout", "abort"),
    "command": ("kind", "argv", "timeout", "max_output", "pass_env"),
    "external": ("kind",),
}
MIN_OUTPUT = 1024
LOOPBACK = ("localhost", "127.0.0.1", "::1")
ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
SIZE = re.compile(r"(\d{1,12})\s?(B|KB|KiB|MB|MiB|GB|GiB)")
UNITS = {"B": 1, "KB": 1024, "KiB": 1024, "MB": 1024**2, "MiB": 1024**2, "GB": 1024**3,
         "GiB": 1024**3}




@dataclass(frozen=True, slots=True)
class ExecutorBindings:
    """Named executors and the families they serve; exact names beat globs (in file order)."""

    executors: Mapping[str, ExecutorSpec] = field(default_factory=lambda: MappingProxyType({}))
    families: tuple[tuple[str, str], ...] = ()  # (family name or glob, executor name)
    default: str | None = None

    def for_family(self, family: str) -> ExecutorSpec | None:
        """The executor bound to `family`, else the default; None when nothing is bound."""
        names = [name for pattern, name in self.families if pattern == family]
        names += [n for p, n in self.families if is_glob(p) and fnmatchcase(family, p)]
        name = names[0] if names else self.default
        return self.executors.get(name) if name is not None else None


def parse_bindings(root: Node, problems: Problems) -> ExecutorBindings:
    """Read `executors`, `families` and `default_executor`, recording every problem."""
    executors = _executors(root.get("executors"), problems)
    known = sorted(executors)
    families: list[tuple[str, str]] = []
    default = None
    raw_families = root.get("families")
    body = {} if raw_families is None else mapping(
        raw_families, "families", problems, "write `FAMILY: {executor: NAME}` lines"
    ) or {}
    for family, spec in body.items():
        path = child("families", family)
        name = _family_executor(spec, path, known, problems)
        if name is not None and family == "default":
            default = name
        elif name is not None:
            families.append((family, name))
    if "default_executor" in root:
        path = "default_executor"
        if "default" in body:
            problems.add(path, "is given together with families.default", "keep only one")
        name = text(root["default_executor"], path, problems, "name an executor")
        if name is not None and _refer(name, path, known, problems):
            default = name
    valid = {name: spec for name, spec in executors.items() if spec is not None}
    return ExecutorBindings(MappingProxyType(valid), tuple(families), default)


def _refer(name: str, path: str, known: list[str], problems: Problems) -> bool:
    if name in known:
        return True
    defined = ", ".join(known) or "none are defined"
    problems.add(path, f"unknown executor {name!r}",
                 f"define it under executors, or use a defined one ({defined})")
    return False


def _family_executor(spec: object, path: str, known: list[str], problems: Problems) -> str | None:
    body = mapping(spec, path, problems, "write {executor: NAME}")
    if body is None:
        return None
    known_keys(body, path, ("executor",), problems)
    if "executor" not in body:
        problems.add(child(path, "executor"), "is missing", "name the executor: {executor: NAME}")
        return None
    where = child(path, "executor")
    name = text(body["executor"], where, problems, "name an executor")
    return name if name is not None and _refer(name, where, known, problems) else None


def _executors(value: object, problems: Problems) -> dict[str, ExecutorSpec | None]:
    """Every declared executor, None where its definition has problems."""
    if value is None:
        return {}
    body = mapping(value, "executors", problems, "write `NAME: {kind: webhook|command|external}`")
    found: dict[str, ExecutorSpec | None] = {}
    for name, spec in (body or {}).items():
        path = child("executors", name)
        before = len(problems)
        parsed = _executor(name, spec, path, problems)
        found[name] = parsed if len(problems) == before else None
    return found


def _executor(name: str, spec: object, path: str, problems: Problems) -> ExecutorSpec | None:
    body = mapping(spec, path, problems, "write {kind: webhook|command|external, ...}")
    if body is None:
        return None
    if "kind" not in body:
        problems.add(child(path, "kind"), "is missing", f"add kind: one of {', '.join(KINDS)}")
        return None
    word = choice(body["kind"], child(path, "kind"), KINDS, problems)
    if word is None:
        return None
    known_keys(body, path, KIND_KEYS[word], problems)
    if word == "external":
        return ExternalSpec(name)
    timeout = WEBHOOK_TIMEOUT if word == "webhook" else COMMAND_TIMEOUT
    if "timeout" in body:
        timeout = duration(body["timeout"], child(path, "timeout"), problems,
                           zero_ok=False) or timeout
    if word == "webhook":
        url = _url(body, path, problems)
        secret_env = _env_name(body.get("secret_env"), child(path, "secret_env"), problems)
        abort = _url(body, path, problems, "abort") if "abort" in body else None
        if url is None or secret_env is None or ("abort" in body and abort is None):
            return None
        return WebhookSpec(name, url, secret_env, timeout, abort)
    argv = _argv(body.get("argv"), child(path, "argv"), problems)
    size = _size(body.get("max_output", MAX_OUTPUT), child(path, "max_output"), problems)
    names = _env_names(body.get("pass_env", []), child(path, "pass_env"), problems)
    if argv is None or size is None or names is None:
        return None
    return CommandSpec(name, argv, timeout, size, names)


def _url(body: Node, path: str, problems: Problems, key: str = "url") -> str | None:
    where = child(path, key)
    if key not in body:
        problems.add(where, "is missing", "add url: https://... (the receiver's address)")
        return None
    url = text(body[key], where, problems, "write a URL such as https://netops.example/cg")
    if url is None:
        return None
    if any(char.isspace() for char in url):
        problems.add(where, f"{url!r} contains a space",
                     "remove it, or write it as %20 where the receiver expects one")
        return None
    if not _is_http_url(url):
        problems.add(where, f"{url!r} is not an http(s) URL",
                     "write a full URL such as https://netops.example/changegate")
        return None
    parts = urlsplit(url)
    if parts.scheme == "http" and parts.hostname not in LOOPBACK:
        problems.add(where, f"{url!r} is plain HTTP, which would send changes unencrypted",
                     "use https:// (plain http is allowed only for localhost)")
        return None
    if parts.username or parts.password:
        problems.add(where, "carries a user name or password",
                     "remove them; requests are signed with the secret named by secret_env")
        return None
    return url


def _is_http_url(url: str) -> bool:
    """Whether `url` has an http(s) scheme, a host and, if any, a port from 1 to 65535."""
    try:
        parts = urlsplit(url)
        return parts.scheme in ("https", "http") and bool(parts.hostname) and parts.port != 0
    except ValueError:  # a broken [IPv6] host, or a port that is no number up to 65535
        return False


def _env_name(value: object, path: str, problems: Problems) -> str | None:
    fix = "name an environment variable such as CHANGEGATE_WEBHOOK_SECRET"
    if value is None:
        problems.add(path, "is missing", f"{fix}, which holds the signing secret")
        return None
    name = text(value, path, problems, fix)
    if name is not None and not ENV_NAME.fullmatch(name):
        problems.add(path, f"{name!r} is not a valid environment variable name",
                     f"use letters, digits and _ only: {fix} (the name, never the secret)")
        return None
    return name


def _env_names(value: object, path: str, problems: Problems) -> tuple[str, ...] | None:
    if not isinstance(value, list):
        problems.add(path, f"must be a list of variable names, not {kind(value)}",
                     "write [NAME, ...]")
        return None
    names = [_env_name(item, f"{path}[{i}]", problems) for i, item in enumerate(value)]
    found = tuple(n for n in names if n is not None)
    return found if len(found) == len(names) else None


def _argv(value: object, path: str, problems: Problems) -> tuple[str, ...] | None:
    fix = "write a list such as [/usr/local/bin/push-config, --target]; no shell is ever used"
    if value is None:
        problems.add(path, "is missing", fix)
        return None
    if not isinstance(value, list) or not value:
        problems.add(path, f"must be a non-empty list of arguments, not {kind(value)}", fix)
        return None
    for index, item in enumerate(value):
        if not isinstance(item, str):
            problems.add(f"{path}[{index}]", f"must be text, not {kind(item)}", "quote it")
            return None
        if "\0" in item:
            problems.add(f"{path}[{index}]", "contains a NUL character, which no program "
                         "argument can hold", "remove it")
            return None
    if not str(value[0]).strip():
        problems.add(f"{path}[0]", "is blank", "name the program to run")
        return None
    return tuple(str(item) for item in value)


def _size(value: object, path: str, problems: Problems) -> int | None:
    fix = "write a number of bytes or a size such as 512KB or 16MB (1KB = 1024 bytes)"
    size: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        size = value
    elif isinstance(value, str) and (found := SIZE.fullmatch(value.strip())):
        size = int(found.group(1)) * UNITS[found.group(2)]
    if size is None:
        problems.add(path, f"{kind(value)} is not a size", fix)
        return None
    if size < MIN_OUTPUT:
        problems.add(path, f"{size} bytes is too small to show anything useful", "use 1KB or more")
        return None
    return size
