"""Taking a conformance report through its chain with the services."""

from reports.services import documents as engine
from reports.services.conformance import draft_from_trial

BOTH = {"enterprise": True, "government": True}


def draft(passed, drafter):
    return draft_from_trial(passed.connection, drafter, BOTH)


def checked(passed, drafter, checker):
    document = engine.compile_document(draft(passed, drafter), drafter)
    return engine.review_document(document, checker)


def issue(passed, drafter, checker, approver):
    return engine.approve_document(checked(passed, drafter, checker), approver)
