"""The site's one upload handler: files stay in memory, never in a temporary file.

The only upload is the order import (Einstellungen → Import), whose files hold personal data: they
must not land in /tmp, where Django puts uploads larger than 2.5 MB. A file larger than
IMPORT_MAX_BYTES is dropped while it arrives; the view then says the file is too large.
"""

from django.conf import settings
from django.core.files.uploadhandler import MemoryFileUploadHandler, SkipFile


class InMemoryUploadHandler(MemoryFileUploadHandler):
    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        self.activated = True  # whatever the size: the limit below bounds it

    def receive_data_chunk(self, raw_data, start):
        if start + len(raw_data) > settings.IMPORT_MAX_BYTES:
            self.request.upload_too_large = True
            raise SkipFile
        return super().receive_data_chunk(raw_data, start)
