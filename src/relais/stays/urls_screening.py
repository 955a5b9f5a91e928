"""Pages of the vulnerability screening; owned by the screening work."""

urlpatterns = []
