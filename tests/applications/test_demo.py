from applications import demo
from applications.models import (
    AccessApplication,
    ApplicationState,
    DesignScheme,
    DeviceCertificate,
    SchemeState,
    VpnAccount,
)
from portal import demo as portal_demo


def test_the_demo_has_enterprises_at_every_state_and_is_idempotent(db):
    context = portal_demo.seed(log=lambda *a: None)
    demo.seed(context, log=lambda *a: None)
    demo.seed(context, log=lambda *a: None)

    assert set(DesignScheme.objects.values_list("state", flat=True)) == set(SchemeState.values)
    assert set(AccessApplication.objects.values_list("state", flat=True)) == set(
        ApplicationState.values
    )
    approved = AccessApplication.objects.filter(state=ApplicationState.APPROVED).count()
    assert approved == demo.APPROVED == len(context["connected"])
    assert DeviceCertificate.objects.count() == approved
    assert VpnAccount.objects.filter(password_set_at__isnull=False).count() == approved
