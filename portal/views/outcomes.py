"""What a POST view makes of a service call: refusals as messages, errors on the form.

Every app's views use these, so a refused transition reads the same everywhere."""

from django.contrib import messages
from django.core.exceptions import ValidationError

from portal.workflow import TransitionRefused


def attempt(request, operation, success_message=None):
    """Run one service call for a POST view; refusals become an error message.

    Returns the service's result, or None when it was refused.
    """
    try:
        result = operation()
    except TransitionRefused as refusal:
        messages.error(request, refusal.message)
        return None
    except ValidationError as error:
        messages.error(request, "；".join(error.messages))
        return None
    if success_message:
        messages.success(request, success_message)
    return result


def form_errors_from(form, error: ValidationError) -> None:
    """Put a service's ValidationError on the form's fields (or the form itself)."""
    if hasattr(error, "error_dict"):
        for field, messages_ in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages_)
    else:
        form.add_error(None, error.messages)
