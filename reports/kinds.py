"""What each kind of issued document prints: its template and its context builder.

The owning app registers its kind in its ``AppConfig.ready()`` (the conformance report in
``ReportsConfig``; the acceptance report in ``AcceptanceConfig``), so the render task finds
the template and the context of any document without importing upward.
"""

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class KindSpec:
    template: str
    # context(document) -> the template's context besides ``document`` (e.g. the figures).
    context: Callable = field(default=lambda document: {})
    number_label: str = "报告编号"
    # The reason written into the PAdES signature of signed kinds.
    sign_reason: str = "省计量院出具"
    # on_issue(document, actor) / on_revoke(document, actor): the owner's changes to its
    # own records, run inside the approval's (revocation's) transaction.
    on_issue: Callable | None = None
    on_revoke: Callable | None = None


KINDS: dict[str, KindSpec] = {}


def register_kind(kind: str, spec: KindSpec) -> None:
    KINDS[str(kind)] = spec


def spec_of(kind: str) -> KindSpec:
    try:
        return KINDS[str(kind)]
    except KeyError:
        raise LookupError(f"no template registered for document kind {kind!r}") from None
