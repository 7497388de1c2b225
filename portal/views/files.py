from django.http import FileResponse
from django.shortcuts import get_object_or_404

from ..access import grant_access, logged_in
from ..permissions import attachments_visible_to


@grant_access(logged_in)
def attachment_download(request, pk):
    """Files have no public URL; this permission-checked view is the only way out."""
    attachment = get_object_or_404(attachments_visible_to(request.user), pk=pk)
    return FileResponse(
        attachment.file.open("rb"),
        as_attachment=request.GET.get("inline") != "1",
        filename=attachment.original_name,
        content_type=attachment.mime_type,
    )
