"""The upload limit, enforced while a request arrives rather than after Django has stored
the whole file.

Two steps, so that the person who sent the form always gets an answer they can act on:

- `UploadLimitMiddleware`: a form whose declared length (Content-Length) is more than one
  file at the limit plus its fields is refused at once, before its body is read, with a
  translated 413 page that gives the limit. The answer goes out while the browser is still
  sending; nothing of the body is stored.
- `UploadLimitHandler` (first of FILE_UPLOAD_HANDLERS): within that margin, a file that
  passes the limit stops being kept as soon as it does; what was kept is thrown away, the
  rest of the request (at most the margin) is read so that the other fields arrive, and the
  form receives a TooLargeUpload, which validate_document refuses with the limit. The form
  comes back filled in with that message.

Stopping the parser instead (StopUpload) would lose the fields after the file, and with
`connection_reset=True` the browser would show a reset connection instead of the form.
"""

from django.core.files.uploadhandler import FileUploadHandler
from django.shortcuts import render

from relais.core.http import safe_referer
from relais.core.uploads import TooLargeUpload, max_request_bytes, max_upload_bytes, too_large_error


class UploadLimitHandler(FileUploadHandler):
    """Passes a file's bytes on to Django's handlers (memory, temporary file) until the
    file passes the limit; then drops them and what the other handlers kept."""

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.kept = 0  # bytes of this file passed on to be stored; tests read it
        self.received = 0
        self.too_large = False

    def receive_data_chunk(self, raw_data, start):
        self.received = start + len(raw_data)
        if self.too_large:
            return None
        if self.received > max_upload_bytes():
            self.too_large = True
            self._discard_kept()
            return None
        self.kept = self.received
        return raw_data

    def file_complete(self, file_size):
        if not self.too_large:
            return None  # the next handler returns the stored file
        return TooLargeUpload(self.file_name, self.content_type, file_size)

    def _discard_kept(self):
        # The later handlers keep the file as `file` (an in-memory buffer, or a temporary
        # file deleted on close): close it, as Django's parser does when a file is skipped.
        for handler in self.request.upload_handlers:
            if handler is not self and getattr(handler, "file", None) is not None:
                handler.file.close()


class UploadLimitMiddleware:
    """Refuse a form whose declared length leaves no doubt it carries a file over the limit,
    before reading its body. After the user's language and session are known, before any
    middleware or view reads the form."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        declared = declared_length(request)
        if request.content_type == "multipart/form-data" and declared > max_request_bytes():
            return render(request, "413.html", {
                "message": too_large_error(declared).messages[0],
                "back_url": safe_referer(request)}, status=413)
        return self.get_response(request)


def declared_length(request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0  # Django's parser refuses it
