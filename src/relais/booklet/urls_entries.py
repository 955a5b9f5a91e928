"""Pages of the entries work."""

urlpatterns = []
