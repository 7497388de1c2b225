"""The conformance test report (附件1) on the document engine.

Drafted from a passed trial (``reports.conformance.refusal_to_draft`` says why not), with the
figures frozen then (``freeze_figures``); 编制, 审核 and 批准 by three reviewers. Approval
also moves the connection to 已出具符合性测试报告 and the enterprise to stage 04 (验收申请)
in the same transaction; revocation moves both back.
"""

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from portal.models import Stage
from portal.stages import advance_stage, return_to_stage
from portal.workflow import RefusalReason, TransitionRefused, run_transition
from telemetry.models import Connection, ConnectionState

from ..conformance import TEMPLATE, freeze_figures, passed_trial, refusal_to_draft
from ..kinds import KindSpec
from ..models import DocumentKind, DocumentState, IssuedDocument
from .documents import create_draft, link_replacement

TITLE = "湖北省重点用能单位能耗在线监测企业端数据接入符合性测试报告"


def context(document) -> dict:
    return {"figures": document.content}


def _refused(detail, field="connection") -> TransitionRefused:
    return TransitionRefused(RefusalReason.CONDITION_UNMET, field=field, detail=str(detail))


def draft_from_trial(connection: Connection, actor, display_confirmed: dict) -> IssuedDocument:
    """A draft of the report for the connection's passed trial, its figures frozen now.

    ``display_confirmed``: {"enterprise": bool, "government": bool}, the reviewer's check that
    the data show correctly in the platform's two subsystems; both are required."""
    with transaction.atomic():
        connection = Connection.objects.select_for_update().get(pk=connection.pk)
        reason = refusal_to_draft(connection)
        if reason:
            raise _refused(reason)
        missing = [
            label
            for key, label in (("enterprise", _("企业子系统")), ("government", _("政府子系统")))
            if not display_confirmed.get(key)
        ]
        if missing:
            raise _refused(
                _("请先确认企业数据在%(where)s中显示正确。")
                % {"where": "、".join(map(str, missing))},
                field="display_confirmed",
            )
        run = passed_trial(connection)
        document = create_draft(
            DocumentKind.CONFORMANCE,
            connection.enterprise,
            actor,
            title=TITLE,
            content=freeze_figures(run, display_confirmed=display_confirmed),
            connection=connection,
            trial_run=run,
        )
        revoked = (
            IssuedDocument.objects.filter(
                kind=DocumentKind.CONFORMANCE,
                connection=connection,
                state=DocumentState.REVOKED,
                replaced_by__isnull=True,
            )
            .order_by("-revoked_at")
            .first()
        )
        if revoked is not None:
            link_replacement(revoked, document)
    return document


def on_issue(document, actor) -> None:
    """The connection's report is issued and the enterprise moves on to 验收申请."""
    connection = document.connection
    if connection.state != ConnectionState.TRIAL_PASSED:
        raise _refused(
            _("数据对接状态为“%(s)s”，不能出具符合性测试报告。")
            % {"s": connection.get_state_display()}
        )
    run_transition(connection, "issue_report", actor, event="conformance_report_issued")
    advance_stage(document.enterprise, Stage.ACCEPTANCE_APPLICATION)


def on_revoke(document, actor) -> None:
    """A revoked report sends the connection and the enterprise back (a new one may be
    drafted from the same passed trial)."""
    connection = document.connection
    if connection is not None and connection.state == ConnectionState.REPORT_ISSUED:
        run_transition(connection, "revoke_report", actor, event="conformance_report_revoked")
    return_to_stage(document.enterprise, Stage.CONNECTION)


SPEC = KindSpec(
    template=TEMPLATE,
    context=context,
    sign_reason="符合性测试报告",
    on_issue=on_issue,
    on_revoke=on_revoke,
)
