"""Operations of the design scheme, the access application and the credentials.

Plain functions taking the actor and data. They return the changed record or raise:
`TransitionRefused` (wrong state, missing rights, unmet condition; the API answers 409),
`ValidationError` (bad input, naming the field), or `PermissionDenied`. Every state change
goes through `portal.workflow.run_transition`; nothing is half-written, since each
operation runs in one transaction.

One module per record, imported by its own name (`from applications.services.access
import approve_application`); this package re-exports nothing, so there is one path to
each name and no import circle through it: `schemes` (design schemes, feedback,
confirmations, change records), `access` (access applications and the side effects of
approval), `vpn` (VPN accounts) and `certificates` (device certificates, revocation,
CRL); `_common` holds what several of them share.
"""
