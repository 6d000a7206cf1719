"""Export: each message as one JSON line in a file per campaign, for other tools to send."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TextIO

from crmind.campaigns.channels import DeliveryError, OutgoingMessage
from crmind.campaigns.channels.webhook import payload


class ExportChannel:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: TextIO | None = None

    def send(self, message: OutgoingMessage) -> None:
        try:
            if self._file is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._file = self.path.open("a", encoding="utf-8")
            line = payload(message) | {"email": message.recipient}
            self._file.write(json.dumps(line, ensure_ascii=False, sort_keys=True) + "\n")
            self._file.flush()
        except OSError as error:
            raise DeliveryError(f"export file {self.path}: {error}", transient=True) from error

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
