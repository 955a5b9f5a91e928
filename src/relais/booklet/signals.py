"""What the booklet tells the features above it (the watch) without importing them. Sent
inside `services.write`'s transaction."""

from django.dispatch import Signal

# sender=Entry, entry=<Entry>, actor=<User>
entry_written = Signal()
