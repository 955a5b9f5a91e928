"""The error an HSDS import raises before writing anything, with every problem found.
"""


class HsdsImportError(Exception):
    """The document cannot be imported; nothing was written. `problems` says why, each
    prefixed with where ("services[3].languages[0].code: …")."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))
