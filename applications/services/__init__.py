"""Operations of the design scheme, the access application and the credentials.

Plain functions taking the actor and data. They return the changed record or raise:
`TransitionRefused` (wrong state, missing rights, unmet condition; the API answers 409),
`ValidationError` (bad input, naming the field), or `PermissionDenied`. Every state change
goes through `portal.workflow.run_transition`; nothing is half-written, since each
operation runs in one transaction.

One module per record: `schemes` (design schemes, feedback, confirmations, change
records), `access` (access applications and the side effects of approval), `vpn` (VPN
accounts) and `certificates` (device certificates, revocation, CRL); `_common` holds what
several of them share. Every public name is re-exported here, so callers keep importing
from `applications.services`. Patch a name where it is looked up: in its submodule.
"""

from ._common import DEVICE_SERIAL, DEVICE_SERIAL_MESSAGE, credentials_link, refused
from .access import (
    APPLICATION_FIELDS,
    MATERIAL_TYPES,
    add_material,
    application_link,
    approve_application,
    approved_application,
    check_application_data,
    create_application,
    reject_application,
    remove_material,
    return_application,
    start_review,
    submit_application,
    update_application,
)
from .certificates import (
    CRL_HOURS,
    GeneratedBundle,
    crl_url,
    csr_refusal_message,
    current_crl_der,
    generate_certificate,
    issue_certificate,
    publish_crl,
    revoke_certificate,
    warn_expiring_certificates,
)
from .schemes import (
    FEEDBACK_FIELDS,
    add_change_record,
    allocate_scheme_number,
    answer_scheme,
    confirm_scheme,
    create_scheme,
    decide_change_record,
    scheme_link,
    send_scheme,
    update_scheme,
)
from .vpn import (
    PASSWORD_ALPHABET,
    TUNNEL_POOL_LOCK,
    open_vpn_account,
    set_vpn_active,
    set_vpn_password,
    strong_password,
)

__all__ = [
    "APPLICATION_FIELDS",
    "CRL_HOURS",
    "DEVICE_SERIAL",
    "DEVICE_SERIAL_MESSAGE",
    "FEEDBACK_FIELDS",
    "MATERIAL_TYPES",
    "PASSWORD_ALPHABET",
    "TUNNEL_POOL_LOCK",
    "GeneratedBundle",
    "add_change_record",
    "add_material",
    "allocate_scheme_number",
    "answer_scheme",
    "application_link",
    "approve_application",
    "approved_application",
    "check_application_data",
    "confirm_scheme",
    "create_application",
    "create_scheme",
    "credentials_link",
    "crl_url",
    "csr_refusal_message",
    "current_crl_der",
    "decide_change_record",
    "generate_certificate",
    "issue_certificate",
    "open_vpn_account",
    "publish_crl",
    "refused",
    "reject_application",
    "remove_material",
    "return_application",
    "revoke_certificate",
    "scheme_link",
    "send_scheme",
    "set_vpn_active",
    "set_vpn_password",
    "start_review",
    "strong_password",
    "submit_application",
    "update_application",
    "update_scheme",
    "warn_expiring_certificates",
]
