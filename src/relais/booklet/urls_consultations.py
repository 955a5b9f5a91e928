"""Pages of the consultations work."""

urlpatterns = []
